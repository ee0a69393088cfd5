"""Spark on a real standalone cluster on loopback, not only ``local[*]``: a master and two
one-core workers started from the pyspark distribution (``spark-class``), the registered
model scoring the benchmark's structured job on them, beside ``local[2]`` and the CLI in the
same run.

Run: uv run python benchmarks/bench_spark_cluster.py [--rows 2000000] [--files 16] [--repeat 3]

The cluster: ``spark-class org.apache.spark.deploy.master.Master`` and two
``spark-class org.apache.spark.deploy.worker.Worker --cores 1`` on 127.0.0.1 (free ports),
each in its own JVM with its own work directory; the job (``bench_spark.py``'s worker, a
fresh driver process) connects to ``spark://127.0.0.1:<port>``, so each executor is a JVM
started by a worker, running its own Python worker. The cluster is stopped at the end (its
processes are ended by their ids). Rows are checked against the CLI's as in
``bench_spark.py``. The load average is printed beside each figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_spark  # the benchmark's data, registry, job and table

LOOPBACK = "127.0.0.1"
WORKERS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def spark_class() -> str:
    found = shutil.which("spark-class") or str(Path(sys.executable).with_name("spark-class"))
    if not Path(found).exists():
        raise SystemExit("spark-class not found: install the spark extra (pyspark)")
    return found


def alive_workers(ui_port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{ui_port}/json/", timeout=2) as answer:
            state = json.load(answer)
    except OSError:
        return -1
    return sum(w.get("state") == "ALIVE" for w in state.get("workers", []))


@contextmanager
def cluster(directory: Path, workers: int = WORKERS):
    """A standalone master and ``workers`` one-core workers on loopback; its master URL."""
    env = {
        **os.environ,
        "SPARK_LOCAL_IP": LOOPBACK,
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_LOG_DIR": str(directory / "logs"),
        "SPARK_WORKER_DIR": str(directory / "work"),
    }
    port, ui = free_port(), free_port()
    master_url = f"spark://{LOOPBACK}:{port}"
    commands = [
        [
            spark_class(),
            "org.apache.spark.deploy.master.Master",
            "--host",
            LOOPBACK,
            "--port",
            str(port),
            "--webui-port",
            str(ui),
        ]
    ]
    for k in range(workers):
        commands.append(
            [
                spark_class(),
                "org.apache.spark.deploy.worker.Worker",
                "--host",
                LOOPBACK,
                "--cores",
                "1",
                "--memory",
                "2g",
                "--webui-port",
                str(free_port()),
                "--work-dir",
                str(directory / f"worker-{k}"),
                master_url,
            ]
        )
    processes = []
    try:
        for k, command in enumerate(commands):
            log = open(directory / f"daemon-{k}.log", "w")  # noqa: SIM115 (closed with the process)
            processes.append(subprocess.Popen(command, stdout=log, stderr=log, env=env))
            if k == 0:
                _wait(lambda: alive_workers(ui) >= 0, "the master")
        _wait(lambda: alive_workers(ui) == workers, f"{workers} workers")
        print(
            f"standalone cluster: master {master_url}, {workers} workers x 1 core "
            f"(pids {', '.join(str(p.pid) for p in processes)})",
            flush=True,
        )
        yield master_url
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait(ready, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start within {seconds:.0f} s")
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ["SPARK_LOCAL_IP"] = LOOPBACK  # the drivers bind to loopback too
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        tracking = bench_spark.register(directory)
        data = bench_spark.generate(args.rows, args.files, directory / "structured")
        cli = bench_spark.cli_one_core(data.with_suffix(".parquet"), directory, args.repeat)
        bench_spark.header()
        bench_spark.row(
            "structured", args.rows, "CLI, one core (taskset)", "-", args.rows / cli, cli
        )
        local = bench_spark.run_master("local[2]", data, tracking, args.repeat, "structured")
        bench_spark.row(
            "structured",
            local["rows"],
            "Spark local[2]",
            f"{local['first_s']:.1f}",
            local["median_s"],
            local["rows_per_s"],
        )
        with cluster(directory) as master:
            check = directory / "cluster-check.parquet"
            result = bench_spark.run_master(
                master, data, tracking, args.repeat, "structured", check=check
            )
            bench_spark.row(
                "structured",
                result["rows"],
                f"Spark standalone, {WORKERS} workers x 1 core, {result['partitions']} partitions",
                f"{result['first_s']:.1f}",
                result["median_s"],
                result["rows_per_s"],
            )
        differ, compared = bench_spark.differing_rows(data, check, directory)
        print(f"  rows that differ from the CLI's answer: {differ} of {compared:,}")
        print(
            f"  standalone / CLI on one core = {result['rows_per_s'] / cli:.2f}; "
            f"standalone / local[2] = {result['rows_per_s'] / local['rows_per_s']:.2f}"
        )


if __name__ == "__main__":
    main()
