"""Strict, self-describing HTTP: problem details with the field, a code and the suggestion;
only the documented media types and encodings; a Host allow-list; HEAD; the headers on every
answer; readable operation ids and the batch's JSON Lines in the OpenAPI document; the
package's client keeps the typo guard end to end; a long text never holds up a structured
case; the access log is off unless asked for.

Expectations are written out by hand (the codes, fields and suggestions below), and every
problem's words are compared with `backclf predict`'s error record for the same case."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import threading
import time

import httpx
import pytest
from typer.testing import CliRunner

from backclf.cli.app import app as cli_app

pytest.importorskip("fastapi", reason="the serve extra is not installed")

from backclf.serve.app import Settings, create_app
from backclf.serve.client import Client, ProblemError

with __import__("warnings").catch_warnings():  # newer Starlette prefers httpx2
    __import__("warnings").simplefilter("ignore")
    from fastapi.testclient import TestClient

LOCAL = "http://localhost"
AS_JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), base_url=LOCAL) as c:
        yield c


def cli_error(case) -> str:
    result = CliRunner().invoke(cli_app, ["predict", "--format", "json"], input=json.dumps(case))
    return json.loads(result.stdout)["error"]


# -- problem details ---------------------------------------------------------------------------

#: case -> [(field, code, suggestion)], one per problem, in the contract's order.
PROBLEMS = [
    ({"fevr": True}, [("fevr", "unknown_finding", "fever")]),
    ({"age": 40, "fevr": True, "saddle_numbnes": True},
     [("fevr", "unknown_finding", "fever"),
      ("saddle_numbnes", "unknown_finding", "saddle_numbness")]),
    ({"trigger": "lifting"}, [("trigger", "wrong_type", "lifting_heavy_object")]),
    ({"age": "40"}, [("age", "wrong_type", None)]),
    ({"age": 200}, [("age", "out_of_range", None)]),
    ({"age": 200, "sex": "man"}, [("age", "out_of_range", None), ("sex", "wrong_type", None)]),
    ([1, 2], [(None, "not_an_object", None)]),
    ({"findings": {"fever": True}, "age": 40}, [(None, "findings_twice", None)]),
    ({"text": 5}, [("text", "wrong_type", None)]),
    ({"id": [1]}, [("id", "wrong_type", None)]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "expected"), PROBLEMS)
def test_a_case_that_breaks_the_contract_is_a_problem_with_field_code_and_suggestion(
    client, case, expected
):
    response = client.post("/assess", json=case)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "tag:backclf,2026:problem:invalid-case"
    assert problem["status"] == 422 and problem["title"]
    assert problem["detail"] == problem["error"] == cli_error(case)  # the CLI's words
    assert problem["line"] == 1
    got = [(e["field"], e["code"], e["suggestion"]) for e in problem["errors"]]
    assert got == expected
    assert "; ".join(e["detail"] for e in problem["errors"]) == problem["detail"]


def test_a_contradiction_is_assessed_with_its_conflict_not_refused(client):
    """Issue 29: "no fever" beside 39 degrees is read as a fever and said so, never a 422."""
    response = client.post("/assess", json={"fever": False, "temperature_c": 39})
    assert response.status_code == 200
    record = response.json()
    assert record["triage"]["level"] == "consultation_24"
    assert [(c["finding"], c["given"], c["used"]) for c in record["conflicts"]] == [
        ("fever", False, True)
    ]


def test_a_body_that_is_not_json_is_a_400_problem(client):
    response = client.post("/assess", content=b'{"age": 40', headers=AS_JSON)
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"].endswith(":malformed-json")
    assert problem["errors"][0]["code"] == "malformed_json"


# -- media types and encodings -----------------------------------------------------------------

REFUSED = [
    ("/assess", b'{"age": 40}', {"content-type": "text/plain"}, "Content-Type 'text/plain'"),
    ("/assess", b"age=40", {"content-type": "application/x-www-form-urlencoded"},
     "Content-Type 'application/x-www-form-urlencoded'"),
    ("/assess", b'{"age": 40}', {}, "no Content-Type"),
    ("/assess", b'{"age": 40}\n', {"content-type": "application/x-ndjson"}, "application/json"),
    ("/assess", b'{"age": 40}', {"content-type": "application/json; charset=utf-16"},
     "charset 'utf-16'"),
    ("/assess", gzip.compress(b'{"age": 40}'),
     {"content-type": "application/json", "content-encoding": "gzip"}, "Content-Encoding 'gzip'"),
    ("/assess", gzip.compress(b'{"age": 40}'), AS_JSON, "gzip"),
    ("/assess", '{"age": 40}'.encode("utf-16"), AS_JSON, "UTF-16"),
    ("/assess", '{"age": 40}'.encode("utf-16-le"), AS_JSON, "UTF-16"),
    ("/assess/batch", b"age\n40\n", {"content-type": "text/csv"}, "Content-Type 'text/csv'"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "body", "headers", "says"), REFUSED)
def test_only_the_documented_media_types_and_encodings_are_read(client, path, body, headers, says):
    response = client.post(path, content=body, headers=headers)
    assert response.status_code == 415, response.text
    problem = response.json()
    assert problem["type"].endswith(":unsupported-media-type")
    assert says in problem["detail"]
    if "content-encoding" in headers:
        assert response.headers["accept-encoding"] == "identity"


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [("/assess", "application/json", b'{"age": 40}'),
     ("/assess", "application/json; charset=UTF-8", b'{"age": 40}'),
     ("/assess", "application/json", '{"age": 40}'.encode("utf-8-sig")),
     ("/assess/batch", "application/json", b'[{"age": 40}]'),
     ("/assess/batch", "application/x-ndjson", b'{"age": 40}\n'),
     ("/assess/batch", "application/jsonl", b'{"age": 40}\n')],
)  # fmt: skip
def test_the_documented_media_types_are_read(client, path, content_type, body):
    response = client.post(path, content=body, headers={"content-type": content_type})
    assert response.status_code == 200, response.text


# -- hosts, HEAD, headers ----------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:1", "[::1]:8000"])
def test_loopback_hosts_are_answered(client, host):
    assert client.get("/health", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example"])
def test_other_hosts_get_421(client, host):
    response = client.post("/assess", json={"saddle_numbness": True}, headers={"host": host})
    assert response.status_code == 421
    assert response.json()["type"].endswith(":host-not-allowed")


def test_allowed_hosts_are_a_setting():
    with TestClient(create_app(Settings(allowed_hosts=("*.example.org",))),
                    base_url="http://api.example.org") as c:  # fmt: skip
        assert c.get("/health").status_code == 200
        assert c.get("/health", headers={"host": "localhost"}).status_code == 421


@pytest.mark.parametrize("path", ["/health", "/version", "/", "/openapi.json", "/docs", "/redoc"])
def test_head_works_wherever_get_does(client, path):
    got, head = client.get(path), client.head(path)
    assert got.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]


def test_head_where_get_does_not_work_is_405(client):
    assert client.head("/assess").status_code == 405


def test_answers_are_not_stored_or_sniffed(client):
    answers = [
        client.post("/assess", json={"saddle_numbness": True}),
        client.post("/assess", json={"fevr": True}),
        client.post("/assess/batch", json=[{"age": 40}]),
        client.get("/health"),
        client.get("/nowhere"),
        client.post("/assess", content=b"x", headers={"content-type": "text/plain"}),
    ]
    for response in answers:
        assert response.headers["cache-control"] == "no-store", response.request.url
        assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get("/").headers["cache-control"] == "no-cache"  # the page sets its own


# -- the OpenAPI document ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def openapi(client) -> dict:
    return client.get("/openapi.json").json()


def test_operation_ids_are_readable(openapi):
    ids = {path: op["operationId"] for path, item in openapi["paths"].items()
           for op in item.values()}  # fmt: skip
    assert ids == {"/assess": "assess", "/assess/batch": "assess_batch",
                   "/health": "health", "/version": "version"}  # fmt: skip


def test_the_batch_documents_json_lines_in_and_out(openapi):
    batch = openapi["paths"]["/assess/batch"]["post"]
    body = batch["requestBody"]["content"]
    assert set(body) == {"application/json", "application/x-ndjson", "application/jsonl"}
    assert (
        body["application/x-ndjson"]["x-item-schema"] == body["application/json"]["schema"]["items"]
    )
    assert "application/x-ndjson" in batch["responses"]["200"]["content"]


def test_the_cross_field_rules_are_documented(openapi):
    description = openapi["paths"]["/assess"]["post"]["requestBody"]["description"]
    implications = [
        ("temperature_c", "fever"), ("bilateral_leg_weakness", "leg_weakness"), ("pregnant", "sex")
    ]  # fmt: skip
    for source, implied in implications:
        assert f"`{source}` implies `{implied}`" in description
    assert "`conflicts`" in description


def test_errors_are_documented_as_problem_details(openapi):
    responses = openapi["paths"]["/assess"]["post"]["responses"]
    for status in ("400", "413", "415", "421", "422", "503"):
        assert set(responses[status]["content"]) == {"application/problem+json"}, status
    schema = responses["422"]["content"]["application/problem+json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/CaseProblem"}


# -- a real server: the client, a long text, the log -------------------------------------------


@pytest.fixture(scope="module")
def server():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "backclf", "serve", "--port", str(port)],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "server did not start"
        time.sleep(0.2)
    log: dict[str, str] = {}
    yield base, log
    process.terminate()
    try:
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    log["text"] = process.communicate()[1]


@pytest.mark.slow
def test_the_packaged_client_keeps_the_typo_guard_end_to_end(server):
    base, _ = server
    with Client(base) as backclf:
        with pytest.raises(ProblemError) as refused:
            backclf.assess({"id": "typo", "age": 40, "saddle_numbnes": True})
        assert refused.value.status == 422
        assert refused.value.problem["error"] == cli_error(
            {"id": "typo", "age": 40, "saddle_numbnes": True}
        )
        [entry] = refused.value.errors
        assert (entry["field"], entry["code"], entry["suggestion"]) == (
            "saddle_numbnes", "unknown_finding", "saddle_numbness")  # fmt: skip
        assessment = backclf.assess({"id": "numb", "age": 40, "saddle_numbness": True})
        assert assessment.triage.level == "emergency" and assessment.id == "numb"
        records = backclf.assess_batch([{"id": 1, "fevr": True}, {"id": 2, "fever": True}])
        assert [type(r).__name__ for r in records] == ["ErrorRecord", "Assessment"]
        assert records[0].error == "unknown finding 'fevr'; did you mean 'fever'?"
        assert records[1].triage.level == "consultation_24"
        assert backclf.health()["status"] == "ok"


LONG_TEXT = ("I lifted a heavy box this morning and my back hurts, no fever. " * 1600)[:100_000]


@pytest.mark.slow
def test_a_structured_case_is_answered_while_a_long_text_is_read(server):
    base, _ = server
    window = 3.0  # seconds of structured requests while long texts are being read
    reading = threading.Event()
    stop = threading.Event()

    def send_texts() -> None:
        with httpx.Client(base_url=base, timeout=300) as texts:
            while not stop.is_set():
                reading.set()
                try:
                    texts.post("/assess", json={"id": "long", "text": LONG_TEXT})
                except httpx.HTTPError:
                    return

    sender = threading.Thread(target=send_texts, daemon=True)
    sender.start()
    reading.wait()
    time.sleep(0.3)  # the first text is in the reading process
    latencies = []
    with httpx.Client(base_url=base) as structured:
        end = time.monotonic() + window
        while time.monotonic() < end:
            start = time.perf_counter()
            answer = structured.post("/assess", json={"id": "s", "saddle_numbness": True})
            latencies.append((time.perf_counter() - start) * 1000)
            assert answer.json()["triage"]["level"] == "emergency"
    stop.set()
    latencies.sort()
    assert len(latencies) >= 20
    # 99 in 100 within 50 ms (the bound). The slowest are reported, not asserted: on
    # this 2-core machine shared with other jobs, a process now and then waits ~0.1 s for a
    # core whatever it runs (seen without any text too).
    p99 = latencies[int(0.99 * len(latencies))]
    print(
        f"structured cases while reading: {len(latencies)}, p50 "
        f"{latencies[len(latencies) // 2]:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1]:.1f} ms"
    )
    assert p99 < 50, latencies[-10:]


@pytest.mark.slow
@pytest.mark.parametrize("access_log", [False, True])
def test_the_access_log_is_off_unless_asked_for(access_log):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    flag = ["--access-log"] if access_log else []
    process = subprocess.Popen(
        [sys.executable, "-m", "backclf", "serve", "--port", str(port), *flag],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        httpx.post(f"http://127.0.0.1:{port}/assess", json={"age": 40})
    finally:
        process.terminate()
        log = process.communicate(timeout=120)[0]  # uvicorn's access log is on stdout
    logged = '"POST /assess HTTP/1.1" 200' in log and "127.0.0.1:" in log.split("serving on")[-1]
    assert logged == access_log, log
    if not access_log:  # nothing but the line saying where it serves
        assert (
            log
            == f"backclf: serving on http://127.0.0.1:{port} (Ctrl-C to stop; API docs at /docs)\n"
        )


# -- docs/contract.md says the same ------------------------------------------------------------


def test_the_contracts_problem_example_is_what_the_server_answers(client):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "contract.md").read_text()
    section = text.split("## Problem details (HTTP)", 1)[1].split("\n## ", 1)[0]
    http = section.split("```http\n", 1)[1].split("```", 1)[0]
    head, _, body = http.partition("\n\n")
    response = client.post("/assess", json={"id": 3, "fevr": True})
    assert head.splitlines()[0] == "HTTP/1.1 422 Unprocessable Entity"
    for line in head.splitlines()[1:]:
        name, _, value = line.partition(": ")
        assert response.headers[name] == value
    assert json.loads(body) == response.json()
    from backclf.serve.problems import CODES, KINDS

    rows = [line for line in section.splitlines() if line.startswith("| `tag:")]
    assert rows == [f"| `{k.type}` | {k.status} | {k.title} |" for k in KINDS]
    codes = next(line for line in section.splitlines() if line.startswith("| `errors[].code`"))
    assert re.findall(r"`([a-z_]+)`", codes.split("|")[3]) == list(CODES)
