"""A light HTTP/1.1 load driver for bench_serve.py: ``clients`` keep-alive connections, each
sending pre-encoded requests in turn and reading each answer whole (Content-Length), with
uvloop when installed. It runs in a process of its own, so its work shares no interpreter
lock with the measuring script; it is far lighter per request than an HTTP library client,
so on a 2-core machine more of the CPU is left to the server measured.

Reads one JSON object on stdin: {"port", "clients", "seconds", "warmup", "requests": [[body
(latin-1), expected (latin-1) or null]], "path", "content_type"}; writes one JSON object:
the number of answers measured, their p50 and p99 in ms, cases, failures. An answer is
compared with its expected bytes when given (a 200); otherwise its status must be 422.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


async def client(port, requests, counter, stop_at, record_from, out) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while (now := time.perf_counter()) < stop_at:
            index = counter[0] % len(requests)
            counter[0] += 1
            request, expected, cases = requests[index]
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            elapsed = time.perf_counter() - start
            status = int(head[9:12])
            ok = (status == 200 and body == expected) if expected is not None else status == 422
            if not ok:
                out["failures"] += 1
                out["first_failure"] = out["first_failure"] or f"{status} {body[:200]!r}"
            elif now >= record_from:
                out["latencies"].append(elapsed)
                out["cases"] += cases
    finally:
        writer.close()


async def drive(spec: dict) -> dict:
    path, media = spec["path"].encode(), spec["content_type"].encode()
    requests = []
    for body, expected, cases in spec["requests"]:
        data = body.encode("latin-1")
        head = (
            b"POST "
            + path
            + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
            + media
            + b"\r\nContent-Length: "
            + str(len(data)).encode()
            + b"\r\n\r\n"
        )
        requests.append(
            (head + data, None if expected is None else expected.encode("latin-1"), cases)
        )
    out = {"latencies": [], "cases": 0, "failures": 0, "first_failure": None}
    start = time.perf_counter()
    record_from = start + spec["warmup"]
    stop_at = record_from + spec["seconds"]
    counter = [0]
    await asyncio.gather(
        *(
            client(spec["port"], requests, counter, stop_at, record_from, out)
            for _ in range(spec["clients"])
        )
    )
    return out


def main() -> None:
    spec = json.loads(sys.stdin.read())
    try:
        import uvloop

        run = uvloop.run
    except ImportError:
        run = asyncio.run
    out = run(drive(spec))
    latencies = sorted(out.pop("latencies"))
    out["count"] = len(latencies)
    out["percentiles_ms"] = (
        {
            str(p): latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000
            for p in (50, 99)
        }
        if latencies
        else {}
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
