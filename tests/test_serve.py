"""`backclf serve`: the same assessments as `backclf predict` for every input kind, the
contract's messages, limits, the OpenAPI document, and a graceful shutdown. (Problem details,
media types and hosts: test_serve_http.py; connection limits: test_serve_limits.py.)"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from importlib import resources

import httpx
import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from backclf import SCHEMA_VERSION, __version__
from backclf.cli.app import app as cli_app
from backclf.contract.fields import FIELDS

pytest.importorskip("fastapi", reason="the serve extra is not installed")
with warnings.catch_warnings():  # newer Starlette prefers httpx2 for its test client
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from backclf.serve.app import Settings, create_app

NUMB = "I lifted a heavy box this morning, no fever, but I'm numb down below"

#: (case, HTTP status of POST /assess, what the answer must say): hand-written expectations.
CASES = [
    ({"id": "a", "age": 40, "trigger": "lifting_heavy_object", "fever": False}, 200,
     {"triage": "self_care", "cause": "excessive_loading"}),
    ({"id": 2, "saddle_numbness": True}, 200, {"triage": "emergency", "overridden": True}),
    ({"id": "env", "findings": {"fever": True, "frequent_urination": True}}, 200,
     {"triage": "consultation_24", "overridden": True}),
    ({"age": None, "fever": None}, 200, {}),
    ({"temperature_c": 39.2, "painful_urination": True}, 200, {"overridden": True}),
    ({"id": "t1", "text": NUMB}, 200, {"triage": "emergency", "overridden": True}),
    ({"id": "t2", "text": "I bent over to tie my shoe and my back seized up", "fever": False},
     200, {}),
    ({"id": "x", "fevr": True}, 422,
     {"error": "unknown finding 'fevr'; did you mean 'fever'?"}),
    ({"trigger": "lifting"}, 422,
     {"error": "trigger: must be one of bending_or_twisting, lifting_heavy_object, "
      "prolonged_posture, minor_fall_or_bump, none, got 'lifting'; "
      "did you mean 'lifting_heavy_object'?"}),
    ({"age": "40"}, 422, {"error": "age: must be a whole number, got '40'"}),
    ({"age": 200}, 422, {"error": "age: must be between 1 and 120, got 200"}),
    ({"fever": False, "temperature_c": 39}, 200, {"triage": "consultation_24"}),
    ([1, 2], 422, {"error": "a case must be a JSON object of findings, got a JSON array"}),
]


#: The test client's requests name a loopback host (the server answers for no other).
LOCAL = "http://localhost"
RECORD_KEYS = ("id", "line", "error")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), base_url=LOCAL) as c:
        yield c


def error_record(problem: dict) -> dict:
    """The command line's error record inside a problem body."""
    return {key: problem[key] for key in RECORD_KEYS}


def cli_lines(stdin: str, *args: str) -> list[bytes]:
    result = CliRunner().invoke(cli_app, ["predict", "--format", "json", *args], input=stdin)
    return result.stdout_bytes.splitlines()


def as_jsonl(cases) -> str:
    return "".join(json.dumps(c) + "\n" for c in cases)


def test_one_case_gives_the_clis_record_byte_for_byte(client):
    cases = [case for case, _, _ in CASES]
    expected = cli_lines(as_jsonl(cases))
    assert len(expected) == len(cases)
    for (case, status, says), line in zip(CASES, expected, strict=True):
        response = client.post("/assess", json=case)
        assert response.status_code == status, (case, response.text)
        record = response.json()
        if "error" in says:  # the same record, but a single case is always line 1
            assert error_record(record) == {**json.loads(line), "line": 1}
            assert record["error"] == record["detail"] == says["error"]
            assert response.headers["content-type"] == "application/problem+json"
            continue
        assert response.content == line, case
        assert record["triage"]["level"] == says.get("triage", record["triage"]["level"])
        if "overridden" in says:
            assert record["triage"]["overridden"] == says["overridden"]
        if "cause" in says:
            assert record["cause"]["id"] == says["cause"]
        assert record["advice"]["disclaimer"]


def test_flags_and_the_same_json_give_the_same_record(client):
    flags = ["--age", "40", "--trigger", "lifting_heavy_object", "--no-fever", "--spasm"]
    [line] = cli_lines("", *flags)
    body = {"age": 40, "trigger": "lifting_heavy_object", "fever": False, "spasm": True}
    assert client.post("/assess", json=body).content == line
    [line] = cli_lines("", "--text", NUMB, "--no-fever")
    assert client.post("/assess", json={"text": NUMB, "fever": False}).content == line


def test_json_lines_batch_gives_the_clis_output_byte_for_byte(client):
    body = as_jsonl(case for case, _, _ in CASES) + '\n{"age": 40\n  \n{"id": "last"}\n'
    expected = CliRunner().invoke(cli_app, ["predict", "--format", "json"], input=body)
    response = client.post(
        "/assess/batch", content=body, headers={"content-type": "application/x-ndjson"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.content == expected.stdout_bytes
    records = [json.loads(line) for line in response.text.splitlines()]
    assert [r.get("id") for r in records][-1] == "last"
    assert records[-2] == {"id": None, "line": 15, "error": records[-2]["error"]}
    assert records[-2]["error"].startswith("malformed JSON")


def test_json_array_batch_reads_as_the_cli_reads_a_json_file(client, tmp_path):
    cases = [case for case, _, _ in CASES]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    expected = cli_lines("", "--input", str(path))
    response = client.post("/assess/batch", json=cases)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == [json.loads(line) for line in expected]
    errors = [r for r in response.json() if "error" in r]
    assert [r["line"] for r in errors] == [i + 1 for i, (_, s, _) in enumerate(CASES) if s != 200]


def test_bodies_that_hold_no_case(client):
    as_json = {"content-type": "application/json"}
    response = client.post("/assess", content=b'{"age": 40', headers=as_json)
    assert response.status_code == 400
    assert response.json()["error"].startswith("malformed JSON")
    assert response.json()["errors"][0]["code"] == "malformed_json"
    assert client.post("/assess", content=b"  \n", headers=as_json).status_code == 400
    empty = client.post("/assess/batch", content=b"", headers=as_json)
    assert empty.status_code == 400
    assert empty.json()["detail"] == "empty input: no cases to assess"
    assert client.get("/nowhere").json()["status"] == 404


def test_limits_on_body_size_and_batch_length():
    small = Settings(max_body_bytes=200, max_batch=3)
    with TestClient(create_app(small), base_url=LOCAL) as c:
        assert c.post("/assess/batch", json=[{"age": 40}] * 3).status_code == 200
        too_many = c.post("/assess/batch", json=[{"age": 40}] * 4)
        assert too_many.status_code == 413
        assert too_many.json()["detail"] == "4 cases in one batch; at most 3 per request"
        big = c.post("/assess", json={"text": "x" * 300})
        assert big.status_code == 413 and "over 200 bytes" in big.json()["detail"]

        def chunks():  # no Content-Length: counted as it arrives
            yield b'{"text": "'
            for _ in range(30):
                yield b"x" * 10
            yield b'"}'

        as_json = {"content-type": "application/json"}
        assert c.post("/assess", content=chunks(), headers=as_json).status_code == 413


def test_health_and_version(client):
    champion = resources.files("backclf.published").joinpath("champion.json").read_bytes()
    model = {"sha256": hashlib.sha256(champion).hexdigest()}
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["text"] is True
    assert health["model"]["sha256"] == model["sha256"]
    version = client.get("/version").json()
    assert version["package"] == __version__ and version["schema_version"] == SCHEMA_VERSION
    assert version["model"] == health["model"]
    assert set(version["knowledge"]) >= {"article", "red_flags", "lexicon"}


# -- the OpenAPI document --------------------------------------------------------------------


@pytest.fixture(scope="module")
def openapi(client) -> dict:
    return client.get("/openapi.json").json()


def component(document: dict, name: str) -> Draft202012Validator:
    return Draft202012Validator({**document, "$ref": f"#/components/schemas/{name}"})


def test_openapi_document_is_valid(openapi):
    from openapi_spec_validator import validate

    validate(openapi)
    assert {"/assess", "/assess/batch", "/health", "/version"} <= set(openapi["paths"])


def test_openapi_lists_every_finding_with_its_description(openapi):
    schemas = openapi["components"]["schemas"]
    for model in ("CaseRequest", "Findings"):
        properties = schemas[model]["properties"]
        for name, spec in FIELDS.items():
            assert name in properties, (model, name)
            assert properties[name]["description"] == (spec.description or spec.label)
        assert schemas[model]["additionalProperties"] is False
    body = openapi["paths"]["/assess"]["post"]["requestBody"]["content"]["application/json"]
    refs = {option["$ref"] for option in body["schema"]["anyOf"]}
    assert refs == {"#/components/schemas/CaseRequest", "#/components/schemas/CaseEnvelope"}
    trigger = json.dumps(schemas["CaseRequest"]["properties"]["trigger"])
    assert all(value in trigger for value in FIELDS["trigger"].values)


def test_the_document_describes_what_the_server_accepts_and_answers(client, openapi):
    request = component(openapi, "CaseRequest")
    assessment, problem = component(openapi, "Assessment"), component(openapi, "CaseProblem")
    error = component(openapi, "ErrorRecord")
    for case, status, _ in CASES:
        if isinstance(case, dict) and "findings" not in case:
            # The schema cannot say everything (a fever of false with 39 C), but what the
            # server accepts, it allows.
            assert request.is_valid(case) or status != 200, case
        record = client.post("/assess", json=case).json()
        if status == 200:
            assessment.validate(record)
        else:
            problem.validate(record)
            error.validate(error_record(record))
    empty = client.post("/assess/batch", json=[]).json()
    component(openapi, "Problem").validate(empty)


# -- the process: loopback by default, graceful shutdown -------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_listens_on_loopback_and_finishes_requests_on_sigterm(tmp_path):
    port = _free_port()
    command = [sys.executable, "-m", "backclf", "serve", "--port", str(port), "--no-access-log"]
    server = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        # A request in progress (its body half sent) when SIGTERM arrives still gets its answer.
        body = b'{"id": "late", "saddle_numbness": true}'
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(
                b"POST /assess HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body[:10]
            )
            time.sleep(0.3)
            server.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            conn.sendall(body[10:])
            reply = conn.makefile("rb").read()
        head, _, payload = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        assert json.loads(payload)["triage"]["level"] == "emergency"
        assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            server.kill()
        log = server.communicate()[1]
    assert f"http://127.0.0.1:{port}" in log  # loopback unless --host says otherwise
    assert "Traceback" not in log


def test_a_missing_model_file_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli_app, ["serve", "--model", str(tmp_path / "none.json")])
    assert result.exit_code == 66
    assert "cannot read model file" in result.stderr


def test_the_serve_command_starts_nothing_heavy_for_predict():
    # `backclf predict` never imports the server (its start-up stays as it was).
    code = (
        "import sys; from backclf.cli import app; "
        "print(any(m.startswith(('fastapi', 'uvicorn', 'backclf.serve')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"



def test_without_the_text_extra_a_text_is_an_error_in_its_place(monkeypatch):
    from backclf.serve.reading import TextReader

    # The reading process answers that the text extra is missing (LazyExtractor.available).
    monkeypatch.setattr(TextReader, "_probe", lambda self: False)
    with TestClient(create_app(), base_url=LOCAL) as c:
        assert c.get("/health").json()["text"] is False
        answer = c.post("/assess", json={"text": NUMB})
        assert answer.status_code == 422
        assert answer.json()["error"] == (
            "text: reading free text needs the text extra: pip install 'backclf[text]'"
        )
        batch = c.post("/assess/batch", json=[{"text": NUMB}, {"age": 40}]).json()
        assert "error" in batch[0] and batch[1]["triage"]["level"]


def test_cases_that_arrive_together_each_get_their_own_record():
    # Fifty single cases in flight at once are decided in few calls (coalesced on the event
    # loop, at most 7 a call here); each answer is still its own case's CLI record.
    import asyncio

    cases = [{"id": i, "age": 20 + i, "fever": i % 3 == 0, "spasm": i % 2 == 0} for i in range(50)]
    cases[7] = {"id": 7, "fevr": True}
    cases[11] = {"id": 11, "saddle_numbness": True}
    expected = cli_lines(as_jsonl(cases))
    app = create_app(Settings(coalesce=7))
    calls = []
    service = app.posts["/assess"].service
    decide = service.singles._assess
    service.singles._assess = lambda batch, readings: calls.append(len(batch)) or decide(
        batch, readings
    )

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=LOCAL) as http:
            return await asyncio.gather(*(http.post("/assess", json=c) for c in cases))

    try:
        answers = asyncio.run(scenario())
    finally:
        service.reader.close()
    for case, answer, line in zip(cases, answers, expected, strict=True):
        if answer.status_code == 200:
            assert answer.content == line, case
        else:
            assert error_record(answer.json()) == {**json.loads(line), "line": 1}
    assert answers[11].json()["triage"]["level"] == "emergency"
    assert sum(calls) == 49 and max(calls) <= 7 and len(calls) < 49, calls
