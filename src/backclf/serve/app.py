"""The HTTP application: ``POST /assess``, ``POST /assess/batch``, ``GET /health``,
``GET /version``, the OpenAPI document (``/openapi.json``, ``/docs``) and the page for people
(``GET /``, :mod:`backclf.serve.page`).

The model, the knowledge and (where the ``text`` extra is installed) the free-text reader are
loaded once, when the application is created. Each request's cases are read by
:mod:`backclf.serve.bodies` (the command line's parsing) and assessed by
:func:`backclf.io.score.assess_items` in a worker thread, so the event loop stays free;
single cases that arrive together are assessed in one call (:mod:`backclf.serve.coalesce`). Answers
are the command line's records encoded the same way: a valid case gives the same bytes as a
line of ``backclf predict --format json``.

Status codes: 200 assessed (a batch is always 200 once read: a bad case is an error record in
its place); 400 a body that is not JSON, or empty; 413 a body or batch over the limits; 422 a
single case that breaks the contract (unknown finding, wrong value), with the command line's
message and suggestion.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from backclf import SCHEMA_VERSION, __version__, knowledge
from backclf.contract.assessment import Assessment, ErrorRecord
from backclf.core.model import ReadableModel, load_model
from backclf.io.encode import to_json_bytes
from backclf.io.parse import Item
from backclf.io.score import assess_items
from backclf.serve import docs
from backclf.serve.bodies import batch_items, case_item, is_json_lines
from backclf.serve.coalesce import Coalescer
from backclf.serve.page import add_page
from backclf.text.lazy import LazyExtractor

JSON = "application/json"
JSON_LINES = "application/x-ndjson"
#: The environment variable that carries the settings to worker processes (``--workers``).
SETTINGS_ENV = "BACKCLF_SERVE_SETTINGS"
KNOWLEDGE_FILES = ("article", "findings", "red_flags", "lexicon")
EMPTY = "empty input: no cases to assess"


@dataclass(frozen=True)
class Settings:
    """What a server is started with. Nothing here can turn the red-flag rules off."""

    model_path: Path | None = None
    #: The largest request body accepted, in bytes (a case is a few hundred bytes).
    max_body_bytes: int = 16 * 1024 * 1024
    #: The most cases in one ``POST /assess/batch``.
    max_batch: int = 10_000
    #: The most single cases assessed in one call when they arrive together (1: never
    #: together); see :mod:`backclf.serve.coalesce`.
    coalesce: int = 256

    def to_json(self) -> str:
        values = asdict(self)
        values["model_path"] = str(self.model_path) if self.model_path else None
        return json.dumps(values)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        values = json.loads(text)
        path = values.pop("model_path")
        return cls(model_path=Path(path) if path else None, **values)


class TooLarge(Exception):
    pass


def app_from_environment() -> FastAPI:
    """The application of a worker process (uvicorn's factory when ``--workers`` > 1)."""
    return create_app(Settings.from_json(os.environ[SETTINGS_ENV]))


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application, with its model and knowledge loaded (raises
    :class:`~backclf.core.model.ModelFileError` if the model file cannot be used)."""
    settings = settings or Settings()
    model = load_model(settings.model_path)
    extract = LazyExtractor()
    text_ready = extract.available  # loads spaCy now if the text extra is installed
    assess_items([Item(1, {})], model, extract)  # builds the knowledge and the rules once
    model_info = {"kind": model.kind, "version": model.version or __version__,
                  "sha256": model.sha256}
    versions = {name: knowledge.read_yaml(f"{name}.yaml")["version"] for name in KNOWLEDGE_FILES}

    app = FastAPI(
        title="backclf",
        version=__version__,
        summary="What is causing this sudden lower back soreness, and what should the person "
        "do now?",
        description=(
            "The likely cause of sudden lower back soreness, red flags, triage and the "
            "article's advice. The red-flag rules always apply. Information from a health "
            "article, **not a diagnosis**."
        ),
    )
    app.state.settings = settings
    app.state.model = model
    singles = Coalescer(lambda items: assess_items(items, model, extract), settings.coalesce)

    @app.exception_handler(StarletteHTTPException)
    async def _problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    @app.post(
        "/assess",
        summary="Assess one case",
        response_class=Response,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {JSON: {"schema": docs.case_body_schema()}},
            }
        },
        responses={
            200: _content(JSON, _ref(Assessment), "the assessment"),
            400: _content(JSON, _ref(ErrorRecord), "the body is not JSON, or is empty"),
            413: _content(JSON, _ref(docs.Problem), "the body is larger than the limit"),
            422: _content(
                JSON,
                _ref(ErrorRecord),
                "the case breaks the contract (e.g. an unknown finding, with a suggestion)",
            ),
        },
    )
    async def assess(request: Request) -> Response:
        """The same JSON object ``backclf predict`` reads from a line: findings at the top
        level (or inside ``findings``), an optional ``id``, and optional free ``text``."""
        try:
            body = await _read_body(request, settings.max_body_bytes)
        except TooLarge as exc:
            return _problem_response(413, str(exc))
        item = case_item(body)
        if item is None:
            return _problem_response(400, EMPTY, record=True)
        record = await singles.assess(item)
        status = 200 if "error" not in record else 400 if item.error else 422
        return Response(to_json_bytes(record), status_code=status, media_type=JSON)

    record_schema = {"anyOf": [_ref(Assessment), _ref(ErrorRecord)]}

    @app.post(
        "/assess/batch",
        summary="Assess many cases: a JSON array, or JSON Lines",
        response_class=Response,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    JSON: {"schema": {"type": "array", "items": docs.case_body_schema()}},
                    JSON_LINES: {
                        "schema": {"type": "string", "description": "one case per line"}
                    },
                },
            }
        },
        responses={
            200: {
                "description": "one record per case, in order: an assessment, or an error "
                "record in the case's place; JSON Lines in, JSON Lines out",
                "content": {
                    JSON: {"schema": {"type": "array", "items": record_schema}},
                    JSON_LINES: {
                        "schema": {"type": "string", "description": "one record per line"}
                    },
                },
            },
            400: _content(JSON, _ref(docs.Problem), "the body holds no case"),
            413: _content(JSON, _ref(docs.Problem), "the body or the batch is over the limit"),
        },
    )
    async def assess_batch(request: Request) -> Response:
        """Cases as a JSON array (``application/json``), or JSON Lines
        (``application/x-ndjson``), as ``backclf predict --input`` reads them. A case that
        cannot be assessed is an error record in its place; the others are assessed."""
        try:
            body = await _read_body(request, settings.max_body_bytes)
        except TooLarge as exc:
            return _problem_response(413, str(exc))
        return await run_in_threadpool(
            _batch, body, is_json_lines(request.headers.get("content-type")), settings.max_batch,
            model, extract,
        )

    @app.get("/health", summary="Ready to assess", response_model=docs.Health)
    def health() -> dict[str, Any]:
        return {"status": "ok", "text": text_ready, "model": model_info}

    @app.get("/version", summary="Package, contract, model and knowledge versions",
             response_model=docs.VersionInfo)
    def version() -> dict[str, Any]:
        return {
            "package": __version__,
            "schema_version": SCHEMA_VERSION,
            "model": model_info,
            "knowledge": versions,
        }

    add_page(app)
    app.openapi = lambda: _openapi(app)
    return app


def _batch(
    body: bytes, json_lines: bool, max_batch: int, model: ReadableModel, extract: LazyExtractor
) -> Response:
    items, as_lines = batch_items(body, json_lines)
    if not items:
        return _problem_response(400, EMPTY)
    if len(items) > max_batch:
        return _problem_response(
            413, f"{len(items):,} cases in one batch; at most {max_batch:,} per request"
        )
    records = assess_items(items, model, extract)
    if as_lines:
        return Response(b"".join(to_json_bytes(r) + b"\n" for r in records),
                        media_type=JSON_LINES)
    return Response(b"[" + b",".join(to_json_bytes(r) for r in records) + b"]", media_type=JSON)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to be over ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    too_large = f"request body over {limit:,} bytes"
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(too_large)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(too_large)
        chunks.append(chunk)
    return b"".join(chunks)


def _problem_response(status: int, message: str, record: bool = False) -> Response:
    """A request-level problem; ``record`` gives it an error record's shape (``POST
    /assess``, whose errors are all error records)."""
    body = {"id": None, "line": 1, "error": message} if record else {"error": message}
    return JSONResponse(body, status_code=status)


def _ref(model: type) -> dict[str, str]:
    return {"$ref": docs.REF_TEMPLATE.format(model=model.__name__)}


def _content(media: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema}}}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document with the contract's models as components (built once)."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        _, top = models_json_schema(
            [(m, "validation") for m in (Assessment, ErrorRecord, docs.Problem)],
            ref_template=docs.REF_TEMPLATE,
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(top["$defs"])
        schemas.update(docs.request_components())
        app.openapi_schema = document
    return app.openapi_schema
