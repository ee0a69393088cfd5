"""Benchmark: `backclf predict` as apps use it, each as a fresh process.

Run: uv run python benchmarks/bench_predict.py [--parts single,stream,jsonl,parquet,longline]
- one case through `backclf predict --format json`: median wall time of --runs processes,
  interleaved with the same through `uv run` and with `python -c "import numpy"` (the
  start-up target is the ratio of the first to the last);
- JSON Lines: cases per second for a 100,000-line file, end to end;
- Parquet: rows per second for 1,000,000 rows, and the peak memory of that process;
- longline (not run by default): one 200 MB line (an unknown key) between two cases, from a
  file and through a pipe: wall time and peak memory.

The project's own modules are byte-compiled first, as an installed wheel's would be: this
machine sets PYTHONDONTWRITEBYTECODE=1, so an editable install would otherwise recompile
them from source in every process (~30 ms).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

import backclf
from backclf.synth.sampler import GenerationConfig, sample_rows, sample_table

BACKCLF = shutil.which("backclf") or str(Path(sys.executable).with_name("backclf"))
ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (bytes) of one `backclf` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([BACKCLF, *args], check=False, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) * 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--jsonl", type=int, default=100_000)
    parser.add_argument("--parquet", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the batch benchmarks")
    parser.add_argument("--parts", default="single,stream,jsonl,parquet")
    args = parser.parse_args()
    parts = set(args.parts.split(","))

    compileall.compile_dir(Path(backclf.__file__).parent, quiet=1)
    run(["predict", "--age", "40", "--format", "json"])  # warm the file cache
    if "single" in parts:
        single_case(args.runs)
    if "stream" in parts:
        streaming()
    if parts & {"jsonl", "parquet"}:
        batches(args, parts)
    if "longline" in parts:
        long_line(args.repeat)


def single_case(runs: int) -> None:
    """One case as a fresh process: the installed command, the same through `uv run` (what
    the README's user types), and `python -c "import numpy"` (the start-up target is a ratio
    to it), interleaved so that the machine's drift hits each alike."""
    args = ["predict", "--age", "40", "--trigger", "lifting_heavy_object", "--no-fever"]
    args += ["--format", "json"]
    uv = os.environ.get("UV") or shutil.which("uv")
    commands = {"backclf predict (.venv/bin/backclf)": [BACKCLF, *args]}
    if uv:
        commands["uv run backclf predict"] = [uv, "run", "backclf", *args]
    commands['python -c "import numpy"'] = [sys.executable, "-c", "import numpy"]
    times: dict[str, list[float]] = {label: [] for label in commands}
    cpu: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, command in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(command, check=False, stdout=subprocess.DEVNULL, cwd=ROOT)
            times[label].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[label].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    for label, values in times.items():
        print(
            f"one case, fresh process, {label}: median {statistics.median(values):.3f} s "
            f"(min {min(values):.3f}, max {max(values):.3f}; CPU median "
            f"{statistics.median(cpu[label]):.3f} s; {runs} runs)"
        )
    if not uv:
        print("  (uv not found: `uv run` not measured)")
    # The ratio in wall time, and in CPU time (steadier when the machine is shared).
    for kind, table in (("wall", times), ("CPU", cpu)):
        predict = statistics.median(table["backclf predict (.venv/bin/backclf)"])
        numpy = statistics.median(table['python -c "import numpy"'])
        print(
            f"  start-up ratio ({kind} time), backclf predict / import numpy: "
            f"{predict / numpy:.2f}x (target < 2.5x, aim 2x)"
        )
    # The floor under it: the interpreter, and the libraries the predict path cannot avoid
    # (the Typer CLI, the pydantic contract, the YAML knowledge files, numpy's decision path).
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}  # as the program sets it
    for label, code in [
        ("the interpreter alone", "pass"),
        ("+ import typer, pydantic", "import typer, pydantic.main"),
        ("+ import typer, pydantic, yaml, numpy", "import typer, pydantic.main, yaml, numpy"),
    ]:
        floor = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            floor.append(time.perf_counter() - start)
        print(f"  floor, {label}: median {statistics.median(floor):.3f} s")


def streaming() -> None:
    process = subprocess.Popen(
        [BACKCLF, "predict", "--format", "json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    case = json.dumps({"age": 40, "trigger": "lifting_heavy_object", "fever": False})
    latencies = []
    for _ in range(200):
        start = time.perf_counter()
        process.stdin.write(case + "\n")
        process.stdin.flush()
        process.stdout.readline()
        latencies.append(time.perf_counter() - start)
    process.stdin.close()
    process.wait()
    print(
        f"one case through a kept-open process (streaming): median "
        f"{statistics.median(latencies[10:]) * 1000:.1f} ms per case"
    )


def batches(args: argparse.Namespace, parts: set[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sample = sample_rows(GenerationConfig(seed=1), 0, args.parquet)
        table = sample_table(sample).drop_columns(
            ["label", "true_cause", "atypical", "red_flag_added"]
        )
        table = table.rename_columns(["id" if c == "case_id" else c for c in table.column_names])
        pq.write_table(table, Path(tmp) / "cases.parquet", row_group_size=131_072)
        records = table.slice(0, args.jsonl).to_pylist()
        with (Path(tmp) / "cases.jsonl").open("w") as f:
            for record in records:
                f.write(json.dumps({k: v for k, v in record.items() if v is not None}) + "\n")

        if "jsonl" in parts:
            jsonl_args = ["predict", "-i", str(Path(tmp) / "cases.jsonl"), "--format", "json"]
            for label, extra in (("", []), (" --lean", ["--lean"])):
                times, cpu = [], []
                for _ in range(args.repeat):
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    times.append(run([*jsonl_args, *extra])[0])
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                    cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
                elapsed = statistics.median(times)
                print(
                    f"JSON Lines{label}, {args.jsonl:,} cases (median of {args.repeat}): "
                    f"{elapsed:.2f} s = {args.jsonl / elapsed:,.0f} cases/s (target >= 50,000, "
                    f"issue 27); CPU {statistics.median(cpu):.2f} s = "
                    f"{statistics.median(cpu) / args.jsonl * 1e6:.0f} us a case; load average "
                    f"{os.getloadavg()[0]:.1f}"
                )
        if "parquet" in parts:
            parquet(Path(tmp), args.repeat)


def parquet(tmp: Path, repeat: int) -> None:
    script = (
        "import resource, runpy, sys\n"
        f"sys.argv = ['backclf', 'predict', '-i', {str(Path(tmp) / 'cases.parquet')!r}, "
        f"'-o', {str(Path(tmp) / 'out.parquet')!r}]\n"
        "try:\n    runpy.run_module('backclf', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )
    times, peaks = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env={**os.environ}
        )
        times.append(time.perf_counter() - start)
        peaks.append(int(result.stderr.strip().splitlines()[-1]) / 1024)
    elapsed, peak_mib = statistics.median(times), max(peaks)
    rows = pq.read_metadata(Path(tmp) / "out.parquet").num_rows
    print(
        f"Parquet, {rows:,} rows (median of {repeat}): {elapsed:.2f} s = "
        f"{rows / elapsed:,.0f} rows/s "
        f"(target >= 200,000); peak memory {peak_mib:,.0f} MiB (target < 2,048)"
    )


PEAK_RSS = (
    "import resource, runpy, sys\n"
    "sys.argv = ['backclf', *sys.argv[1:]]\n"
    "try:\n    runpy.run_module('backclf', run_name='__main__')\n"
    "except SystemExit:\n    pass\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


def long_line(repeat: int, size: int = 200_000_000) -> None:
    """One huge line: memory should follow its size (a small multiple), time be linear."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.jsonl"
        with path.open("wb") as f:
            f.write(b'{"age": 40}\n{"' + b"k" * size + b'": 1}\n{"saddle_numbness": true}\n')
        command = [sys.executable, "-c", PEAK_RSS, "predict", "--format", "json"]
        for way in ("file", "pipe"):
            times, peaks = [], []
            for _ in range(repeat):
                start = time.perf_counter()
                if way == "file":
                    result = subprocess.run([*command, "-i", str(path)], capture_output=True)
                else:  # subprocess writes the bytes through a pipe as the reader takes them
                    result = subprocess.run(command, input=path.read_bytes(), capture_output=True)
                times.append(time.perf_counter() - start)
                peaks.append(int(result.stderr.decode().strip().splitlines()[-1]) / 1024)
            print(
                f"one {size / 1e6:.0f} MB line, {way} (median of {repeat}): "
                f"{statistics.median(times):.1f} s; peak memory {max(peaks):,.0f} MiB"
            )


if __name__ == "__main__":
    main()
