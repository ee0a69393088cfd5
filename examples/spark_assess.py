"""Assess a table of cases on a Spark cluster with the registered model.

    spark-submit examples/spark_assess.py --input cases.parquet --output assessed.parquet \
        [--model models:/backclf@champion] [--columns age,fever,...] [--env-manager uv]

The input (Parquet, CSV with a header, or JSON Lines) has one column per finding (any
subset), optionally ``id`` and ``text``; the output is the input's columns then the typed
assessment columns of :mod:`backclf.spark` (``error``, ``triage_level``,
``triage_overridden``, ``red_flags``, ``cause``, ``cause_probability``, ``p_<cause>``).
MLflow finds the model through ``MLFLOW_TRACKING_URI`` (the registry the pipeline wrote).

The executors need the model's environment: ``--env-manager local`` (the default) uses their
Python as it is (``pip install 'backclf[spark]'`` on every node); ``virtualenv`` or ``uv`` has
MLflow build the model's logged environment (its wheel of backclf) on each executor.
The run prints how many rows could not be assessed and how many have a red flag.
"""

from __future__ import annotations

import argparse

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from backclf.spark import DEFAULT_MODEL, assess


def read(spark: SparkSession, path: str):
    if path.endswith(".csv"):
        return spark.read.option("header", True).option("inferSchema", True).csv(path)
    if path.endswith((".jsonl", ".json", ".ndjson")):
        return spark.read.json(path)
    return spark.read.parquet(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", required=True, help="Parquet, CSV or JSON Lines")
    parser.add_argument("--output", required=True, help="Parquet directory to write")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="MLflow model URI")
    parser.add_argument("--columns", help="the case's columns, comma-separated (default: all)")
    parser.add_argument("--env-manager", default="local", choices=("local", "virtualenv", "uv"))
    args = parser.parse_args()

    spark = SparkSession.builder.appName("backclf-assess").getOrCreate()
    cases = read(spark, args.input)
    columns = args.columns.split(",") if args.columns else None
    scored = assess(cases, args.model, columns=columns, env_manager=args.env_manager)
    scored.write.mode("overwrite").parquet(args.output)
    written = spark.read.parquet(args.output)
    summary = written.agg(
        F.count(F.lit(1)).alias("rows"),
        F.count("error").alias("errors"),
        F.sum(F.when(F.size("red_flags") > 0, 1).otherwise(0)).alias("with_red_flags"),
    ).first()
    print(
        f"backclf: {summary['rows']:,} rows assessed into {args.output}: "
        f"{summary['errors']:,} could not be assessed, "
        f"{summary['with_red_flags']:,} with a red flag"
    )
    spark.stop()


if __name__ == "__main__":
    main()
