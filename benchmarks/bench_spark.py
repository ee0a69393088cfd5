"""Scaling benchmark: the registered model on Spark, local[1] against local[2].

Run: uv run python benchmarks/bench_spark.py [--rows 10000000] [--texts 1000000]
     [--masters 'local[1],local[2]'] [--repeat 2] [--files 16]

- Structured job: ``--rows`` generated vignettes (the findings only, natural Parquet types),
  in ``--files`` Parquet files; text job: ``--texts`` held-out narratives (a ``text`` column
  and nothing else). Both are scored with :func:`backclf.spark.assess` (the registered model
  through ``mlflow.pyfunc.spark_udf``) and written to Spark's ``noop`` sink, so the figure is
  reading, assessing and moving rows, not writing files.
- Each master runs in its own process (a fresh JVM): a first job over all the rows (it
  starts the Python workers, which import MLflow and load the model and, for texts, spaCy),
  then ``--repeat`` timed jobs; their median is reported with the first job's time. The
  ratio local[2] / local[1] is the figure.
- Correctness: the first structured file's Spark output is compared row for row (by
  ``case_id``) with ``backclf predict --input file.parquet --output out.parquet``.

The load average is printed with the figures: other jobs share the machine.
"""

from __future__ import annotations

import argparse
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
CHUNK = 250_000


def generate(rows: int, texts: int, files: int, directory: Path) -> tuple[Path, Path]:
    """The two inputs: structured findings and texts, each split into ``files`` files."""
    import pyarrow.parquet as pq

    from backclf.contract.fields import FIELDS
    from backclf.synth.config import GenerationConfig
    from backclf.synth.narrative import render_texts
    from backclf.synth.sampler import sample_rows, sample_table

    structured, text = directory / "structured", directory / "text"
    structured.mkdir()
    text.mkdir()
    config = GenerationConfig(seed=5)
    for kind, total, out in (("rows", rows, structured), ("texts", texts, text)):
        per_file = -(-total // files)
        for f in range(files):
            start, stop = f * per_file, min(total, (f + 1) * per_file)
            parts = []
            for chunk in range(start, stop, CHUNK):
                sample = sample_rows(config, chunk, min(CHUNK, stop - chunk))
                if kind == "texts":
                    words = render_texts(sample.columns, config.seed, chunk, "heldout")
                    table = sample_table(sample, words).select(["case_id", "text"])
                else:
                    table = sample_table(sample)
                    table = table.select(["case_id", *(c for c in table.column_names
                                                       if c in FIELDS)])
                parts.append(table)
            if parts:
                import pyarrow as pa

                pq.write_table(pa.concat_tables(parts), out / f"part-{f:03d}.parquet")
    return structured, text


def register(directory: Path) -> str:
    """The champion registered as the pipeline registers it, in a scratch MLflow store."""
    import mlflow
    from mlflow import MlflowClient

    from backclf.pipeline.registry import Store

    store = Store(directory, "bench-spark", "backclf")
    champion = Path(__file__).resolve().parents[1] / "src/backclf/published/champion.json"
    with mlflow.start_run(experiment_id=store.experiment_id):  # artifacts in the directory
        version = store._register(champion)
    MlflowClient().set_registered_model_alias("backclf", "champion", version)
    return "models:/backclf@champion"


# -- one master, in its own process ----------------------------------------------------------


def worker(args: argparse.Namespace) -> None:
    from pyspark.sql import SparkSession

    from backclf.spark import assess, assessment_udf

    spark = (
        SparkSession.builder.master(args.master)
        .appName(f"backclf-bench-{args.kind}")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    udf = assessment_udf(spark, args.model)
    files = sorted(str(p) for p in Path(args.input).glob("*.parquet"))
    cases = spark.read.parquet(*files)
    columns = [c for c in cases.columns if c != "case_id"]
    rows, partitions = cases.count(), cases.rdd.getNumPartitions()
    timings = []
    start = time.perf_counter()  # the first job starts every Python worker and loads the model
    assess(cases, columns=columns, udf=udf).write.format("noop").mode("overwrite").save()
    cold = time.perf_counter() - start
    for _ in range(args.repeat):
        start = time.perf_counter()
        assess(cases, columns=columns, udf=udf).write.format("noop").mode("overwrite").save()
        timings.append(time.perf_counter() - start)
    if args.check:
        assess(spark.read.parquet(files[0]), columns=columns, udf=udf).write.mode(
            "overwrite"
        ).parquet(args.check)
    spark.stop()
    print(json.dumps({"rows": rows, "warm_up_s": cold, "timings_s": timings,
                      "partitions": partitions}))


def run_master(master: str, kind: str, data: Path, model: str, repeat: int,
               check: Path | None = None) -> dict:
    command = [sys.executable, __file__, "--worker", "--master", master, "--kind", kind,
               "--input", str(data), "--model", model, "--repeat", str(repeat)]
    if check:
        command += ["--check", str(check)]
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise SystemExit(f"{master} {kind} failed:\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1])
    result["median_s"] = statistics.median(result["timings_s"])
    result["rows_per_s"] = result["rows"] / result["median_s"]
    return result


def check_against_cli(data: Path, spark_out: Path, directory: Path) -> int:
    """Rows of the first structured file where Spark and the CLI differ (should be 0)."""
    import pyarrow.parquet as pq

    from backclf.spark import OUTPUT_COLUMNS

    first = sorted(data.glob("*.parquet"))[0]
    cli_out = directory / "cli.parquet"
    subprocess.run([BACKCLF, "predict", "--input", str(first), "--output", str(cli_out)],
                   check=True, capture_output=True)
    names = ["case_id", *(c.name for c in OUTPUT_COLUMNS)]
    cli = pq.read_table(cli_out).select(names).to_pylist()
    spark = pq.read_table(spark_out).select(names).to_pylist()
    by_id = {row["case_id"]: row for row in spark}
    assert len(by_id) == len(cli), (len(by_id), len(cli))
    return sum(by_id[row["case_id"]] != row for row in cli)


def versions() -> str:
    import mlflow
    import pandas
    import pyarrow
    import pyspark

    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    return (f"pyspark {pyspark.__version__}, pandas {pandas.__version__}, pyarrow "
            f"{pyarrow.__version__}, mlflow {mlflow.__version__}, "
            f"{java.splitlines()[0] if java else 'java ?'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--texts", type=int, default=1_000_000)
    parser.add_argument("--masters", default="local[1],local[2]")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--jobs", default="structured,text")
    # one master in its own process:
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--master", help=argparse.SUPPRESS)
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--check", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{directory / 'mlflow.db'}"
        start = time.perf_counter()
        structured, text = generate(args.rows, args.texts, args.files, directory)
        model = register(directory)
        print(f"inputs and model ready in {time.perf_counter() - start:.0f} s")
        print(f"{platform.node()}, {os.cpu_count()} CPUs; {versions()}")
        print("| job | rows | master | first job s | median s | rows/s | load avg |")
        print("|---|---|---|---|---|---|---|")
        jobs = {"structured": structured, "text": text}
        for kind in args.jobs.split(","):
            rates = {}
            for master in args.masters.split(","):
                check = directory / "spark-check.parquet" if kind == "structured" else None
                result = run_master(master, kind, jobs[kind], model, args.repeat, check)
                rates[master] = result["rows_per_s"]
                print(f"| {kind} | {result['rows']:,} | {master} | {result['warm_up_s']:.1f} | "
                      f"{result['median_s']:.1f} | {result['rows_per_s']:,.0f} | "
                      f"{os.getloadavg()[0]:.1f} |", flush=True)
                if check:
                    differ = check_against_cli(structured, check, directory)
                    print(f"  rows that differ from the CLI's answer: {differ}", flush=True)
            masters = args.masters.split(",")
            if len(masters) == 2:
                ratio = rates[masters[1]] / rates[masters[0]]
                print(f"  {kind}: {masters[1]} / {masters[0]} = {ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
