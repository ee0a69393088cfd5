"""Load test: `backclf serve` on loopback, driven by asyncio clients (httpx).

Run: uv run python benchmarks/bench_serve.py [--clients 1,8,32] [--seconds 10] [--workers 1]
     [--scenarios single,text,batch]

- Cases come from the generator (`backclf generate`, held-out narratives for the texts), each
  with an id; one case in 50 carries a misspelt finding, so error answers are checked too.
- The expected answer of every case is what `backclf predict --format json` writes for it
  (one CLI process over the whole pool): every response is compared with it, byte for byte
  (an error record's ``line`` is its place in the request, so it is compared after that).
- Scenarios: ``single`` (one structured case per POST /assess), ``text`` (one free-text case
  per POST /assess), ``batch`` (100 structured cases per POST /assess/batch, JSON Lines).
- For each number of concurrent clients: requests per second, cases per second, the p50
  and p99 latency of a request, over ``--seconds`` after a one-second warm-up, and the
  server's CPU time per request (from /proc: what the server costs, whatever else runs).
  Any transport error, 5xx or mismatch is counted and makes the exit code 1.

The clients run on the same machine as the server: on 2 cores they take CPU from it, so the
figures are a floor for a server with the machine to itself. The load average is printed
with the figures (other jobs share the machine).
"""

from __future__ import annotations

import argparse
import asyncio
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
import pyarrow.parquet as pq

from backclf.contract.fields import FIELDS

BACKCLF = shutil.which("backclf") or str(Path(sys.executable).with_name("backclf"))
BATCH = 100
MISSPELT_EVERY = 50


def pool(n: int, directory: Path) -> tuple[list[dict], list[dict]]:
    """``n`` structured cases and ``n`` texts from the generator."""
    out = directory / "cases.parquet"
    subprocess.run(
        [BACKCLF, "generate", "--n", str(n), "--seed", "7", "--out", str(out), "--text",
         "heldout"],
        check=True, stdout=subprocess.DEVNULL,
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


def same(got: bytes, expected: bytes, line: int) -> bool:
    if got == expected:
        return True
    try:
        record = json.loads(expected)
    except json.JSONDecodeError:
        return False
    return "error" in record and json.loads(got) == {**record, "line": line}


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.cases = 0
        self.failures = 0
        self.first_failure: str | None = None

    def fail(self, why: str) -> None:
        self.failures += 1
        self.first_failure = self.first_failure or why


async def client(http: httpx.AsyncClient, requests, stop_at: float, record_from: float,
                 tally: Tally, counter: list[int]) -> None:
    while (now := time.perf_counter()) < stop_at:
        index = counter[0] % len(requests)
        counter[0] += 1
        path, body, headers, expected = requests[index]
        start = time.perf_counter()
        try:
            response = await http.post(path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            tally.fail(f"{type(exc).__name__}: {exc}")
            continue
        elapsed = time.perf_counter() - start
        if response.status_code >= 500:
            tally.fail(f"HTTP {response.status_code}")
            continue
        got = response.content.splitlines() if len(expected) > 1 else [response.content]
        if len(got) != len(expected) or not all(
            same(g, e, i + 1) for i, (g, e) in enumerate(zip(got, expected, strict=False))
        ):
            tally.fail(f"answer differs from the CLI's for request {index}")
            continue
        if now >= record_from:
            tally.latencies.append(elapsed)
            tally.cases += len(expected)


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by a process and its children (the workers)."""
    pids = [pid] + [
        int(p.name) for p in Path("/proc").iterdir()
        if p.name.isdigit() and _stat(int(p.name)) and _stat(int(p.name))[1] == pid
    ]
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(s[11] + s[12] for s in map(_stat, pids) if s) / ticks


def _stat(pid: int) -> list[int] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return [int(field) for field in text.rsplit(")", 1)[1].split()[1:15]]


async def level(base: str, requests, clients: int, seconds: float, server: int) -> dict:
    tally, counter = Tally(), [0]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        start = time.perf_counter()
        record_from, stop_at = start + 1.0, start + 1.0 + seconds
        cpu: list[float] = []

        async def measure_cpu() -> None:
            await asyncio.sleep(record_from - time.perf_counter())
            cpu.append(cpu_seconds(server))
            await asyncio.sleep(stop_at - time.perf_counter())
            cpu.append(cpu_seconds(server))

        await asyncio.gather(
            measure_cpu(),
            *(client(http, requests, stop_at, record_from, tally, counter) for _ in range(clients)),
        )
    latencies = sorted(tally.latencies)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "clients": clients,
        "requests": len(latencies),
        "requests_per_s": len(latencies) / seconds,
        "cases_per_s": tally.cases / seconds,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "server_cpu_ms_per_request": (cpu[1] - cpu[0]) * 1000 / max(len(latencies), 1),
        "failures": tally.failures,
        "first_failure": tally.first_failure,
    }


def scenario_requests(name: str, structured, texts, answers, text_answers):
    json_type = {"content-type": "application/json"}
    if name == "single":
        return [("/assess", json.dumps(c).encode(), json_type, [a])
                for c, a in zip(structured, answers, strict=True)]
    if name == "text":
        return [("/assess", json.dumps(c).encode(), json_type, [a])
                for c, a in zip(texts, text_answers, strict=True)]
    lines = {"content-type": "application/x-ndjson"}
    return [
        ("/assess/batch",
         "".join(json.dumps(c) + "\n" for c in structured[i : i + BATCH]).encode(),
         lines, answers[i : i + BATCH])
        for i in range(0, len(structured) - BATCH + 1, BATCH)
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--scenarios", default="single,text,batch")
    parser.add_argument("--pool", type=int, default=2000)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        structured, texts = pool(args.pool, Path(tmp))
    answers, text_answers = cli_answers(structured), cli_answers(texts)

    port = free_port()
    server = subprocess.Popen(
        [BACKCLF, "serve", "--port", str(port), "--workers", str(args.workers),
         "--no-access-log"],
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        results = []
        print(f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
              f"{platform.python_version()}, {args.workers} server process(es)")
        print("| scenario | clients | requests/s | cases/s | p50 ms | p99 ms | "
              "server CPU ms/request | failures | load avg (1 min) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name in args.scenarios.split(","):
            requests = scenario_requests(name, structured, texts, answers, text_answers)
            for clients in (int(c) for c in args.clients.split(",")):
                row = asyncio.run(level(base, requests, clients, args.seconds, server.pid))
                row |= {"scenario": name, "load_average": os.getloadavg()[0]}
                results.append(row)
                print(f"| {name} | {clients} | {row['requests_per_s']:,.0f} | "
                      f"{row['cases_per_s']:,.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
                      f"{row['server_cpu_ms_per_request']:.2f} | {row['failures']} | "
                      f"{row['load_average']:.1f} |", flush=True)
                if row["failures"]:
                    print(f"  first failure: {row['first_failure']}", flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    print(f"server stopped with exit code {code}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return int(code != 0 or any(r["failures"] for r in results))


if __name__ == "__main__":
    sys.exit(main())
