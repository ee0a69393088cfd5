"""Assess a file of cases on a Spark cluster with the registered model.

    spark-submit examples/spark_assess.py --input cases.parquet --output assessed.parquet \
        [--model models:/backclf@champion] [--columns age,fever,...]

The input is read as ``backclf predict`` reads it:

- Parquet: typed columns, one per finding (any subset), optionally ``id``, ``text`` or an
  envelope column ``findings``;
- CSV with a header: every cell read as text, then by the CLI's CSV rules (``yes``/``no``,
  ``40``), so one odd cell is an error in its row, not a reason to read its whole column as
  text (no ``inferSchema``); a row whose cells do not match the header is an error in its
  place (:mod:`backclf.spark.readers`);
- JSON Lines (``.jsonl``, ``.ndjson``, ``.json``): each line read by the CLI's line reader
  (flat or envelope, as the CLI reads them; blank lines skipped), not by Spark's JSON schema
  inference.

The output (Parquet) is the input's columns (for JSON Lines: ``id``) then the typed
assessment columns of :mod:`backclf.spark` and the model's name, version and hash. MLflow
finds the model through ``MLFLOW_TRACKING_URI`` (the registry the pipeline wrote); only the
driver talks to it. The executors need backclf installed (``pip install 'backclf[spark]'``,
or ``PYSPARK_PYTHON`` pointing at an environment that has it). The run prints how many rows
could not be assessed and how many have a red flag.
"""

from __future__ import annotations

import argparse

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from backclf.spark import DEFAULT_MODEL, ModelBytes, assess, assess_json_lines, fetch_model
from backclf.spark.readers import read_csv, read_json_lines

JSON_LINES = (".jsonl", ".ndjson", ".json")


def read_and_assess(
    spark: SparkSession, path: str, model: str | ModelBytes, columns: list[str] | None = None
) -> DataFrame:
    """The file's cases, assessed (the reading rules above)."""
    if path.endswith(JSON_LINES):
        return assess_json_lines(read_json_lines(spark, path), model)
    if path.endswith(".csv"):
        return assess(read_csv(spark, path), model, columns=columns, text_cells=True)
    return assess(spark.read.parquet(path), model, columns=columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", required=True, help="Parquet, CSV or JSON Lines")
    parser.add_argument("--output", required=True, help="Parquet directory to write")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="MLflow model URI")
    parser.add_argument("--columns", help="the case's columns, comma-separated (default: all)")
    args = parser.parse_args()

    spark = SparkSession.builder.appName("backclf-assess").getOrCreate()
    model = fetch_model(args.model)
    columns = args.columns.split(",") if args.columns else None
    read_and_assess(spark, args.input, model, columns).write.mode("overwrite").parquet(args.output)
    written = spark.read.parquet(args.output)
    summary = written.agg(
        F.count(F.lit(1)).alias("rows"),
        F.count("error").alias("errors"),
        F.sum(F.when(F.size("red_flags") > 0, 1).otherwise(0)).alias("with_red_flags"),
    ).first()
    print(
        f"backclf: {summary['rows']:,} rows assessed into {args.output} by model "
        f"{model.name} version {model.version} (sha256 {model.sha256[:12]}): "
        f"{summary['errors']:,} could not be assessed, "
        f"{summary['with_red_flags'] or 0:,} with a red flag"
    )
    spark.stop()


if __name__ == "__main__":
    main()
