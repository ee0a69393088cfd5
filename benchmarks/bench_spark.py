"""Spark against the CLI, per core: the registered model on Spark (``backclf.spark.assess``,
``mapInArrow``) and ``backclf predict`` Parquet -> Parquet on one core, in one run.

Run: uv run python benchmarks/bench_spark.py [--rows 4000000] [--files 16] [--repeat 3]
     [--masters 'local[1],local[2]'] [--texts 0]
     (a standalone cluster on loopback: benchmarks/bench_spark_cluster.py)

- Input: ``--rows`` generated vignettes (case id and findings, natural Parquet types) in
  ``--files`` files for Spark (one partition each), and the same rows in one file for the CLI.
- CLI: ``backclf predict --input all.parquet --output out.parquet`` pinned to one core
  (``taskset -c 0``): the median of ``--repeat`` runs, as rows/s.
- Spark: each master in its own process (a fresh JVM): ``assess`` written to Spark's
  ``noop`` sink (reading, assessing and moving every row; no file written), a first job (it
  starts the Python workers, which parse the model), then ``--repeat`` timed jobs (median).
  ``local[1]`` runs twice: as Spark runs it (its JVM and its Python worker may use two
  cores between them) and pinned to one core (``taskset -c 0``: the honest "per core").
- Ratios: Spark local[1] / CLI on one core (goal >= 0.5), local[2] / local[1] (goal >= 1.7).
- Correctness: Spark's rows for the first file, written to Parquet, against the CLI's for
  the same file, row by row by case id (goal: 0 differ).
- ``--texts N``: also N held-out narratives (a ``text`` column), local masters only.

The load average is printed beside each figure: other jobs may share the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BACKCLF = shutil.which("backclf") or str(Path(sys.executable).with_name("backclf"))
ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "src" / "backclf" / "published" / "champion.json"
CHUNK = 250_000
ONE_CORE = ["taskset", "-c", "0"]


def generate(rows: int, files: int, directory: Path, texts: bool = False) -> Path:
    """``rows`` generated cases in ``files`` Parquet files under ``directory`` (case id and
    findings, or case id and a narrative), and ``directory.parquet`` with all of them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from backclf.contract.fields import FIELDS
    from backclf.synth.config import GenerationConfig
    from backclf.synth.narrative import render_texts
    from backclf.synth.sampler import sample_rows, sample_table

    directory.mkdir()
    config = GenerationConfig(seed=5)
    per_file = -(-rows // files)
    everything = []
    for f in range(files):
        parts = []
        for chunk in range(f * per_file, min(rows, (f + 1) * per_file), CHUNK):
            sample = sample_rows(
                config, chunk, min(CHUNK, (f + 1) * per_file - chunk, rows - chunk)
            )
            if texts:
                words = render_texts(sample.columns, config.seed, chunk, "heldout")
                table = sample_table(sample, words).select(["case_id", "text"])
            else:
                table = sample_table(sample)
                table = table.select(["case_id", *(c for c in table.column_names if c in FIELDS)])
            parts.append(table)
        if parts:
            part = pa.concat_tables(parts)
            pq.write_table(part, directory / f"part-{f:03d}.parquet")
            everything.append(part)
    pq.write_table(pa.concat_tables(everything), directory.with_suffix(".parquet"))
    return directory


def register(directory: Path) -> str:
    """The packaged champion registered as the pipeline registers it (pyfunc model, wheel,
    ``model_sha256`` tag, ``@champion``) in a scratch MLflow store; its tracking URI."""
    import mlflow
    from mlflow import MlflowClient

    from backclf.pipeline.registry import Store

    store = Store(directory, "bench-spark", "backclf")
    with mlflow.start_run(experiment_id=store.experiment_id):
        version = store._register(PACKAGED)
    client = MlflowClient()
    client.set_registered_model_alias("backclf", "champion", version)
    sha256 = hashlib.sha256(PACKAGED.read_bytes()).hexdigest()
    client.set_model_version_tag("backclf", version, "model_sha256", sha256)
    return mlflow.get_tracking_uri()


# -- one master, in its own process ----------------------------------------------------------


def session(master: str, app: str):
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .config("spark.executor.memory", "1g")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.sql.files.maxPartitionBytes", "8m")  # a partition per input file
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def worker(args: argparse.Namespace) -> None:
    """Time ``--repeat`` jobs on one master; print one JSON line."""
    from backclf.spark import assess, fetch_model

    spark = session(args.master, f"backclf-bench-{args.kind}")
    model = fetch_model("models:/backclf@champion", tracking_uri=args.tracking)
    files = sorted(str(p) for p in Path(args.input).glob("*.parquet"))
    cases = spark.read.parquet(*files)
    columns = [c for c in cases.columns if c != "case_id"]
    rows, partitions = cases.count(), cases.rdd.getNumPartitions()

    def job() -> float:
        start = time.perf_counter()
        assess(cases, model, columns=columns).write.format("noop").mode("overwrite").save()
        return time.perf_counter() - start

    cold = job()  # starts every Python worker, which parses the model
    timings = [job() for _ in range(args.repeat)]
    if args.check:
        assess(spark.read.parquet(files[0]), model, columns=columns).write.mode(
            "overwrite"
        ).parquet(args.check)
    spark.stop()
    print(
        json.dumps({"rows": rows, "partitions": partitions, "first_s": cold, "timings_s": timings})
    )


def run_master(
    master: str,
    data: Path,
    tracking: str,
    repeat: int,
    kind: str,
    pinned=False,
    check: Path | None = None,
) -> dict:
    command = [
        sys.executable,
        __file__,
        "--worker",
        "--master",
        master,
        "--kind",
        kind,
        "--input",
        str(data),
        "--tracking",
        tracking,
        "--repeat",
        str(repeat),
    ]
    if check:
        command += ["--check", str(check)]
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    done = subprocess.run(
        (ONE_CORE if pinned else []) + command, capture_output=True, text=True, env=env, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise SystemExit(f"{master} {kind} failed:\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1])
    result["median_s"] = statistics.median(result["timings_s"])
    result["rows_per_s"] = result["rows"] / result["median_s"]
    return result


def cli_one_core(single: Path, directory: Path, repeat: int) -> float:
    """``backclf predict`` Parquet -> Parquet pinned to one core: median rows/s."""
    import pyarrow.parquet as pq

    out = directory / "cli-bench.parquet"
    command = [*ONE_CORE, BACKCLF, "predict", "--input", str(single), "--output", str(out)]
    subprocess.run(command, check=True, capture_output=True)  # warm the file cache
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        timings.append(time.perf_counter() - start)
    return pq.read_metadata(out).num_rows / statistics.median(timings)


def differing_rows(data: Path, spark_out: Path, directory: Path) -> tuple[int, int]:
    """Rows of the first file where Spark and the CLI differ, and how many were compared."""
    import pyarrow.parquet as pq

    from backclf.spark.scoring import RESULT_SCHEMA

    first = sorted(data.glob("*.parquet"))[0]
    cli_out = directory / "cli-check.parquet"
    subprocess.run(
        [BACKCLF, "predict", "--input", str(first), "--output", str(cli_out)],
        check=True,
        capture_output=True,
    )
    names = ["case_id", *RESULT_SCHEMA.names]
    cli = pq.read_table(cli_out).select(names).to_pylist()
    by_id = {row["case_id"]: row for row in pq.read_table(spark_out).select(names).to_pylist()}
    assert len(by_id) == len(cli), (len(by_id), len(cli))
    return sum(by_id[row["case_id"]] != row for row in cli), len(cli)


def versions() -> str:
    import pyarrow
    import pyspark

    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    return (
        f"pyspark {pyspark.__version__}, pyarrow {pyarrow.__version__}, "
        f"{java.splitlines()[0] if java else 'java ?'}"
    )


def row(job: str, rows: int, way: str, first: str, median: float, rate: float) -> None:
    load = os.getloadavg()[0]
    print(
        f"| {job} | {rows:,} | {way} | {first} | {median:.1f} | {rate:,.0f} | {load:.1f} |",
        flush=True,
    )


def structured(args: argparse.Namespace, directory: Path, tracking: str) -> dict[str, float]:
    data = generate(args.rows, args.files, directory / "structured")
    rates = {"cli": cli_one_core(data.with_suffix(".parquet"), directory, args.repeat)}
    row(
        "structured",
        args.rows,
        "CLI, one core (taskset)",
        "-",
        args.rows / rates["cli"],
        rates["cli"],
    )
    runs = [(m, False) for m in args.masters.split(",")]
    if "local[1]" in args.masters.split(","):
        runs.append(("local[1]", True))
    for master, pinned in runs:
        check = directory / "spark-check.parquet" if (master, pinned) == runs[0] else None
        result = run_master(master, data, tracking, args.repeat, "structured", pinned, check)
        name = f"{master}{' on one core (taskset)' if pinned else ''}"
        rates[name] = result["rows_per_s"]
        row(
            "structured",
            result["rows"],
            f"Spark {name}, {result['partitions']} partitions",
            f"{result['first_s']:.1f}",
            result["median_s"],
            result["rows_per_s"],
        )
        if check:
            differ, compared = differing_rows(data, check, directory)
            print(f"  rows that differ from the CLI's answer: {differ} of {compared:,}", flush=True)
    return rates


def report(rates: dict[str, float]) -> None:
    cli = rates["cli"]
    for name in ("local[1]", "local[1] on one core (taskset)"):
        if name in rates:
            print(f"  Spark {name} / CLI on one core = {rates[name] / cli:.2f} (goal >= 0.5)")
    for base in ("local[1]", "local[1] on one core (taskset)"):
        if "local[2]" in rates and base in rates:
            print(f"  local[2] / {base} = {rates['local[2]'] / rates[base]:.2f} (goal >= 1.7)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=4_000_000)
    p.add_argument("--files", type=int, default=16)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--masters", default="local[1],local[2]")
    p.add_argument("--texts", type=int, default=0)
    # one master, in its own process:
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    for hidden in ("--master", "--kind", "--input", "--tracking", "--check"):
        p.add_argument(hidden, help=argparse.SUPPRESS)
    return p


def header() -> None:
    print(f"{platform.node()}, {os.cpu_count()} CPUs, load {os.getloadavg()}; {versions()}")
    print("| job | rows | way | first job s | median s | rows/s | load avg |")
    print("|---|---|---|---|---|---|---|")


def main() -> None:
    args = parser().parse_args()
    if args.worker:
        worker(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        start = time.perf_counter()
        tracking = register(directory)
        print(f"model registered in {time.perf_counter() - start:.0f} s")
        header()
        report(structured(args, directory, tracking))
        if args.texts:
            texts = generate(args.texts, max(2, args.files // 4), directory / "text", texts=True)
            for master in args.masters.split(","):
                result = run_master(master, texts, tracking, args.repeat, "text")
                row(
                    "text",
                    result["rows"],
                    f"Spark {master}",
                    f"{result['first_s']:.1f}",
                    result["median_s"],
                    result["rows_per_s"],
                )


if __name__ == "__main__":
    main()
