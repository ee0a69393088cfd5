"""Load test: `backclf serve` on loopback beside its framework's floor, in one run.

Run: uv run python benchmarks/bench_serve.py [--clients 1,8,32] [--seconds 10] [--workers 1]
     [--scenarios single,batch,text] [--pool 2000]

- The floor (`benchmarks/serve_floor.py`): a minimal FastAPI app under the same uvicorn
  (protocol and event loop as installed) that reads the body and answers a fixed assessment
  record. At each number of clients it is measured right before `backclf serve` on single
  cases, and the table gives backclf's requests/s as a share of the floor's (goal >= 0.67 at
  8 and 32 clients; p50 <= 1 ms at one client).
- Cases come from the generator (`backclf generate`, held-out narratives for the texts), each
  with an id; one case in 50 carries a misspelt finding, so error answers are checked too
  (status 422). The expected answer of every case is what `backclf predict --format json`
  writes for it: every 200 is compared with it byte for byte.
- Scenarios: ``single`` (one structured case per POST /assess, with the floor beside it),
  ``batch`` (100 structured cases per POST /assess/batch, JSON Lines, compared with the
  command line's JSON Lines rate on the same cases, measured in the same run), ``text`` (one
  free-text case per POST /assess).
- Requests are sent by `benchmarks/http_load.py` in a process of its own (pre-encoded
  requests, keep-alive, uvloop when installed): lighter per request than an HTTP library, so
  more of the 2 cores is left to the server. Still, clients and server share the machine: the
  figures are a floor for a server with the machine to itself. The load average is printed
  with each row (other jobs share the machine), and the server's CPU time per request.
- Any transport error, 5xx or mismatch is counted and makes the exit code 1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
import pyarrow.parquet as pq

from backclf.contract.fields import FIELDS

BACKCLF = shutil.which("backclf") or str(Path(sys.executable).with_name("backclf"))
HERE = Path(__file__).resolve().parent
BATCH = 100
MISSPELT_EVERY = 50


def pool(n: int, directory: Path) -> tuple[list[dict], list[dict]]:
    """``n`` structured cases and ``n`` texts from the generator."""
    out = directory / "cases.parquet"
    subprocess.run(
        [BACKCLF, "generate", "--n", str(n), "--seed", "7", "--out", str(out), "--text", "heldout"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    structured, texts = [], []
    for row in pq.read_table(out).to_pylist():
        case = {"id": row["case_id"]}
        case |= {k: v for k, v in row.items() if k in FIELDS and v is not None}
        if row["case_id"] % MISSPELT_EVERY == 0:
            case["fevr"] = True
        structured.append(case)
        texts.append({"id": f"t{row['case_id']}", "text": row["text"]})
    return structured, texts


def cli_answers(cases: list[dict]) -> list[bytes]:
    """What `backclf predict --format json` writes for each case."""
    body = "".join(json.dumps(c) + "\n" for c in cases).encode()
    done = subprocess.run(
        [BACKCLF, "predict", "--format", "json"], input=body, capture_output=True, check=False
    )
    lines = done.stdout.splitlines()
    assert len(lines) == len(cases), done.stderr
    return lines


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by a process and its children (the workers)."""
    pids = [pid] + [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _stat(int(p.name)) and _stat(int(p.name))[0] == pid
    ]
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(s[10] + s[11] for s in map(_stat, pids) if s) / ticks  # utime + stime


def _stat(pid: int) -> list[int] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return [int(field) for field in text.rsplit(")", 1)[1].split()[1:15]]


def expected_batch(answers: list[bytes]) -> bytes:
    """The JSON Lines answer to a batch of these cases: the command line's lines, an error
    record's ``line`` counted within the batch."""
    lines = []
    for i, answer in enumerate(answers, start=1):
        if answer.startswith(b'{"id":') and b'"error":' in answer[:400]:
            record = json.loads(answer)
            if set(record) == {"id", "line", "error"}:
                answer = orjson.dumps({**record, "line": i})
        lines.append(answer + b"\n")
    return b"".join(lines)


def scenario_requests(name: str, structured, texts, answers, text_answers, floor_record):
    """(path, media type, [(body, expected 200 body or None for a 422, cases)])."""

    def single(case: dict, answer: bytes):
        error = b'"error":' in answer and set(json.loads(answer)) == {"id", "line", "error"}
        return json.dumps(case).encode(), None if error else answer, 1

    if name == "single":
        return (
            "/assess",
            "application/json",
            [single(c, a) for c, a in zip(structured, answers, strict=True)],
        )
    if name == "floor":
        return (
            "/assess",
            "application/json",
            [(json.dumps(c).encode(), floor_record, 1) for c in structured],
        )
    if name == "text":
        return (
            "/assess",
            "application/json",
            [single(c, a) for c, a in zip(texts, text_answers, strict=True)],
        )
    return "/assess/batch", "application/x-ndjson", [
        ("".join(json.dumps(c) + "\n" for c in structured[i : i + BATCH]).encode(),
         expected_batch(answers[i : i + BATCH]), BATCH)
        for i in range(0, len(structured) - BATCH + 1, BATCH)
    ]  # fmt: skip


def drive(port: int, server_pid: int, requests, clients: int, seconds: float) -> dict:
    """One level of load, from the driver process; the server's CPU time over it."""
    path, media, items = requests
    spec = {
        "port": port, "clients": clients, "seconds": seconds, "warmup": 1.0, "path": path,
        "content_type": media,
        "requests": [[b.decode("latin-1"), None if e is None else e.decode("latin-1"), n]
                     for b, e, n in items],
    }  # fmt: skip
    driver = subprocess.Popen(
        [sys.executable, str(HERE / "http_load.py")], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )  # fmt: skip
    driver.stdin.write(json.dumps(spec).encode())
    driver.stdin.close()
    time.sleep(1.0)  # the warm-up
    cpu_before = cpu_seconds(server_pid)
    answer = driver.stdout.read()
    try:
        out = json.loads(answer)
    except ValueError:
        raise SystemExit(f"the driver answered: {answer[-300:]!r}") from None
    cpu_after = cpu_seconds(server_pid)
    driver.wait()
    count, pct = out["count"], out["percentiles_ms"]

    return {
        "clients": clients,
        "requests": count,
        "requests_per_s": count / seconds,
        "cases_per_s": out["cases"] / seconds,
        "p50_ms": pct.get("50", 0.0),
        "p99_ms": pct.get("99", 0.0),
        "server_cpu_ms_per_request": (cpu_after - cpu_before) * 1000 / max(count, 1),
        "failures": out["failures"],
        "first_failure": out["first_failure"],
        "load_average": os.getloadavg()[0],
    }


def cli_json_lines_rate(structured: list[dict], directory: Path, lines: int = 20_000) -> float:
    """Cases per second of `backclf predict --format json` over a JSON Lines file of the same
    cases (repeated to ``lines``), end to end, as the command line's own benchmark runs it."""
    cases = (structured * (lines // len(structured) + 1))[:lines]
    source, target = directory / "rate.jsonl", directory / "rate.out.jsonl"
    source.write_text("".join(json.dumps(c) + "\n" for c in cases))
    start = time.perf_counter()
    subprocess.run([BACKCLF, "predict", "--format", "json", "--input", str(source), "--output",
                    str(target)], check=False, stderr=subprocess.DEVNULL)  # fmt: skip
    return lines / (time.perf_counter() - start)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], port: int, env: dict | None = None) -> subprocess.Popen:
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL, env=env)
    for _ in range(600):
        try:
            if httpx.post(f"http://127.0.0.1:{port}/assess", json={}).status_code < 500:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"server did not start: {command}")


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


def row(name: str, r: dict, ratio: str = "") -> str:
    return (f"| {name} | {r['clients']} | {r['requests_per_s']:,.0f} | {r['cases_per_s']:,.0f} | "
            f"{r['p50_ms']:.2f} | {r['p99_ms']:.1f} | {r['server_cpu_ms_per_request']:.2f} | "
            f"{ratio} | {r['failures']} | {r['load_average']:.1f} |")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--scenarios", default="single,batch,text")
    parser.add_argument("--pool", type=int, default=2000)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    scenarios = args.scenarios.split(",")
    levels = [int(c) for c in args.clients.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        structured, texts = pool(args.pool, Path(tmp))
        answers = cli_answers(structured)
        text_answers = cli_answers(texts) if "text" in scenarios else []
        cli_rate = cli_json_lines_rate(structured, Path(tmp)) if "batch" in scenarios else 0.0
        floor_record = next(a for a in answers if b'"error":' not in a[:400])
        record_file = Path(tmp) / "record.json"
        record_file.write_bytes(floor_record)
        floor_port, port = free_port(), free_port()
        floor = start(
            [sys.executable, "-m", "uvicorn", "serve_floor:app", "--port", str(floor_port),
             "--no-access-log", "--log-level", "warning", "--app-dir", str(HERE)],
            floor_port, {**os.environ, "BACKCLF_FLOOR_RECORD": str(record_file)},
        )  # fmt: skip
        server = start(
            [BACKCLF, "serve", "--port", str(port), "--workers", str(args.workers)], port
        )
        results, code = [], 0
        try:
            print(f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
                  f"{platform.python_version()}, {args.workers} server process(es)")  # fmt: skip
            print(
                "| scenario | clients | requests/s | cases/s | p50 ms | p99 ms | "
                "server CPU ms/request | vs floor | failures | load avg (1 min) |"
            )
            print("|---|---|---|---|---|---|---|---|---|---|")
            for name in scenarios:
                requests = scenario_requests(name, structured, texts, answers, text_answers,
                                             floor_record)  # fmt: skip
                for clients in levels:
                    if name == "single":
                        base = scenario_requests("floor", structured, texts, answers,
                                                 text_answers, floor_record)  # fmt: skip
                        f = drive(floor_port, floor.pid, base, clients, args.seconds)
                        f["scenario"] = "floor"
                        results.append(f)
                        print(row("floor (FastAPI, fixed record)", f), flush=True)
                    r = drive(port, server.pid, requests, clients, args.seconds)
                    r["scenario"] = name
                    ratio = ""
                    if name == "single":
                        r["vs_floor"] = r["requests_per_s"] / max(f["requests_per_s"], 1e-9)
                        ratio = f"{r['vs_floor']:.2f}x"
                    if name == "batch":
                        r["vs_cli_json_lines"] = r["cases_per_s"] / cli_rate
                        ratio = f"{r['vs_cli_json_lines']:.2f}x CLI"
                    results.append(r)
                    print(row(name, r, ratio), flush=True)
                    if r["failures"]:
                        print(f"  first failure: {r['first_failure']}", flush=True)
            if "batch" in scenarios:
                print(
                    f"\nbackclf predict --format json, JSON Lines, {20_000:,} of these cases: "
                    f"{cli_rate:,.0f} cases/s (load {os.getloadavg()[0]:.1f})"
                )
        finally:
            code = max(stop(server), 0)
            stop(floor)
    print(f"server stopped with exit code {code}")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "cli_json_lines": cli_rate},
                                        indent=2))  # fmt: skip
    return int(code != 0 or any(r["failures"] for r in results))


if __name__ == "__main__":
    sys.exit(main())
