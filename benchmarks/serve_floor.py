"""The floor for `backclf serve`: a minimal FastAPI app under uvicorn that reads the request
body and answers with a fixed assessment record (the bytes `backclf predict` writes for one
case), doing nothing else. `bench_serve.py` runs it beside `backclf serve`, same machine,
same uvicorn protocol and event loop, same clients, in one run.

Run alone: uv run uvicorn benchmarks.serve_floor:app --port 8001 --no-access-log
(the record is read from BACKCLF_FLOOR_RECORD, a file, when set; else a built-in one).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response

_RECORD_FILE = os.environ.get("BACKCLF_FLOOR_RECORD")
RECORD = (
    Path(_RECORD_FILE).read_bytes().strip()
    if _RECORD_FILE
    else b'{"schema_version":"1","id":null,"triage":{"level":"self_care","overridden":false}}'
)

app = FastAPI()


@app.post("/assess")
async def assess(request: Request) -> Response:
    await request.body()
    return Response(RECORD, media_type="application/json")
