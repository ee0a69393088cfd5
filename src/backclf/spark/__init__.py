"""Assess a Spark DataFrame with the registered MLflow model (the ``spark`` extra).

    from backclf.spark import assess
    scored = assess(cases, "models:/backclf@champion")

Each row is a case, one column per finding of the contract (any subset, natural Spark types:
integer ages and pain scores, booleans with nulls, strings), optionally ``id`` and ``text``.
The registered model (:mod:`backclf.pipeline.mlflow_model`) reads every row as
``backclf predict`` reads a JSON object and decides it through the one decision path, red
flags included; it runs through ``mlflow.pyfunc.spark_udf`` on the executors. The result is the
input's columns, then typed columns: ``error`` (null, or why the row could not be assessed,
in the CLI's words), ``triage_level``, ``triage_overridden``, ``red_flags`` (an array of rule
ids), ``cause``, ``cause_probability`` and one ``p_<cause>`` per cause.

Every column given is read as a finding: a column that is not one (``saddle_numbnes``) is an
error in every row, with the CLI's suggestion, never dropped. Pass ``columns`` to name the
case's columns when the DataFrame holds others (dates, names).

This is an adapter beside ``cli`` and ``serve``: it needs only the contract (the output
columns) and the model's URI, not the training pipeline, and keeps pyspark out of both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from backclf.contract.assessment import TABLE_COLUMNS, TABLE_ROW

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DEFAULT_MODEL = "models:/backclf@champion"
#: Spark SQL types of the contract's table column types.
SPARK_TYPES = {
    "int64": "bigint",
    "string": "string",
    "bool": "boolean",
    "float64": "double",
    "list<string>": "array<string>",
}
#: The typed output columns. ``row`` (a row's place in the batch the model was handed) means
#: nothing in a distributed job, so it is left out.
OUTPUT_COLUMNS = tuple(c for c in TABLE_COLUMNS if c.name != "row")


def result_type() -> str:
    """What the UDF returns (Spark DDL): the model's ``table_row`` object, typed."""
    fields = ", ".join(f"{c.name}: {SPARK_TYPES[c.type]}" for c in OUTPUT_COLUMNS)
    return f"{TABLE_ROW} struct<{fields}>"


def assessment_udf(
    spark: SparkSession, model_uri: str = DEFAULT_MODEL, env_manager: str = "local", **options: Any
):
    """The registered model as a Spark UDF. Call it on one struct of the case's columns
    (``udf(struct(*columns))``), so the model sees each column by name.

    ``env_manager="local"`` uses the executors' Python as it is (backclf installed there);
    ``"virtualenv"`` or ``"uv"`` builds the model's own environment from its logged wheel.
    """
    import mlflow

    return mlflow.pyfunc.spark_udf(
        spark,
        model_uri,
        result_type=result_type(),
        env_manager=env_manager,
        params={"output": "table"},  # no assessment objects: columnar, as for Parquet
        **options,
    )


def assess(
    cases: DataFrame,
    model_uri: str = DEFAULT_MODEL,
    columns: Sequence[str] | None = None,
    udf: Any = None,
    env_manager: str = "local",
) -> DataFrame:
    """``cases`` with the assessment's typed columns added (see the module's docstring).

    ``columns``: the case's columns (default: all of them, so none is silently left out).
    ``udf``: an :func:`assessment_udf` to reuse across calls.
    """
    from pyspark.sql import functions as F

    names = list(cases.columns if columns is None else columns)
    taken = sorted({c.name for c in OUTPUT_COLUMNS} & set(cases.columns))
    if taken:
        raise ValueError(
            f"the input already has column(s) named like the output: {', '.join(taken)}; "
            "rename them first"
        )
    udf = udf or assessment_udf(cases.sparkSession, model_uri, env_manager)
    result = "__backclf_assessment"
    # One UDF call per row: the typed columns are read from its result (one ArrowEvalPython).
    scored = cases.withColumn(result, udf(F.struct(*[F.col(_quoted(n)) for n in names])))
    row = F.col(result)[TABLE_ROW]
    return scored.select(
        *[F.col(_quoted(c)) for c in cases.columns],
        *[row[c.name].alias(c.name) for c in OUTPUT_COLUMNS],
    )


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
