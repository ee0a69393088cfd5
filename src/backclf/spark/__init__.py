"""Assess a Spark DataFrame with the registered model (the ``spark`` extra).

    from backclf.spark import assess
    scored = assess(cases, "models:/backclf@champion")

Each row is a case, one column per finding of the contract (any subset, any Spark types:
integer ages, booleans with nulls, strings, decimals), optionally ``id`` and ``text``, or an
envelope column ``findings`` (a struct). The result is the input's columns, then typed
columns: ``error`` (null, or why the row could not be assessed, in the CLI's words),
``triage_level``, ``triage_overridden``, ``red_flags`` (an array of rule ids), ``cause``,
``cause_probability``, one ``p_<cause>`` per cause, then the model that decided:
``model_name``, ``model_version`` (its registered version) and ``model_sha256`` (of its
model file, as in the CLI's ``model.sha256``).

How: the model file is fetched once on the driver from the registry (``models:/...``) and its
SHA-256 checked against the version's ``model_sha256`` tag (:mod:`backclf.spark.registry`);
the executors get the bytes and parse them once per Python worker. Arrow batches go straight
through ``DataFrame.mapInArrow`` into the CLI's table path (:mod:`backclf.spark.scoring`):
the contract's rules checked on whole columns, then the one decision path,
:func:`backclf.core.decide.assess_batch`, red flags included. No pandas, no MLflow on the
executors.

Rows are read as the CLI reads a Parquet table, whatever their Spark types (decimals are
numbers, a date or an array in a finding's column is its row's error in JSON's words, a NaN
is unknown, an ``id`` must be a string or a whole number): a bad cell makes its row an error,
never its column, and the other rows are assessed; a column that is not a finding
(``saddle_numbnes``) is an error in every row, with the CLI's suggestion, never dropped.
Pass ``columns`` to name the case's columns when the DataFrame holds others (dates, names).
Read CSV with
:func:`backclf.spark.readers.read_csv` (every cell as text, no ``inferSchema``) and
``text_cells=True``, as the CLI reads CSV; read JSON Lines with
:func:`backclf.spark.readers.read_json_lines` and :func:`assess_json_lines` (each line read as
the CLI reads it), not ``spark.read.json``, whose inferred schema turns a column with one odd
value into text.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from backclf.spark.registry import RegistryError, fetch_model
from backclf.spark.scoring import (
    CORRUPT_RECORD,
    LINES_SCHEMA,
    MODEL_COLUMNS,
    RESULT_SCHEMA,
    ModelBytes,
    score_batches,
    score_lines,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

__all__ = [
    "DEFAULT_MODEL",
    "MODEL_COLUMNS",
    "OUTPUT_COLUMNS",
    "ModelBytes",
    "RegistryError",
    "assess",
    "assess_json_lines",
    "fetch_model",
]

DEFAULT_MODEL = "models:/backclf@champion"
#: The columns added to the input's: the assessment's, then the model's identity.
OUTPUT_COLUMNS = (*RESULT_SCHEMA.names, *MODEL_COLUMNS)


def assess(
    cases: DataFrame,
    model: str | ModelBytes = DEFAULT_MODEL,
    columns: Sequence[str] | None = None,
    text_cells: bool = False,
) -> DataFrame:
    """``cases`` with the assessment's and the model's columns added (see the module).

    ``model``: a registry URI, or a :func:`fetch_model` result to reuse across calls.
    ``columns``: the case's columns (default: all of them, so none is silently left out).
    ``text_cells``: the cells are text read as CSV cells (``yes``/``no``, ``40``).
    """
    names = list(cases.columns)
    taken = sorted({n for n in names if n.lower() in {c.lower() for c in OUTPUT_COLUMNS}})
    if taken:
        raise ValueError(
            f"the input already has column(s) named like the output: {', '.join(taken)}; "
            "rename them first"
        )
    wanted = set(names if columns is None else columns)
    missing = sorted(wanted - set(names))
    if missing:
        raise ValueError(f"columns not in the input: {', '.join(missing)}")
    if CORRUPT_RECORD in names:  # rows Spark could not parse (readers.read_csv) stay errors
        wanted.add(CORRUPT_RECORD)
    positions = tuple(i for i, name in enumerate(names) if name in wanted)
    source = model if isinstance(model, ModelBytes) else fetch_model(model)
    cases = arrow_ready(cases)
    job = functools.partial(
        score_batches, model=source, case_columns=positions, text_cells=text_cells
    )
    return _with_identity(cases.mapInArrow(job, output_schema(cases.schema)), source)


def assess_json_lines(lines: DataFrame, model: str | ModelBytes = DEFAULT_MODEL) -> DataFrame:
    """Lines of JSON Lines (one string column, as ``spark.read.text(path)`` gives), each read
    as ``backclf predict`` reads a line (flat findings or an envelope with ``findings``, an
    ``id``, ``text``); blank lines give no row. Out: ``id`` (as text), then the assessment's
    and the model's columns."""
    if len(lines.columns) != 1:
        raise ValueError(f"expected one column of lines, got {len(lines.columns)}")
    source = model if isinstance(model, ModelBytes) else fetch_model(model)
    text = lines.select(lines[lines.columns[0]].cast("string"))
    job = functools.partial(score_lines, model=source)
    return _with_identity(text.mapInArrow(job, _from_arrow_schema(LINES_SCHEMA)), source)


def output_schema(schema: StructType) -> StructType:
    """What the executors give: the input's columns, then the assessment's (Spark types)."""
    from pyspark.sql.types import StructType

    return StructType([*schema.fields, *_from_arrow_schema(RESULT_SCHEMA).fields])


def _with_identity(scored: DataFrame, model: ModelBytes) -> DataFrame:
    """The model's name, version and hash as constant columns (Spark adds them per row)."""
    from pyspark.sql import functions as F

    return scored.select(
        "*", *(F.lit(value).alias(name) for name, value in model.identity().items())
    )


def arrow_ready(cases: DataFrame) -> DataFrame:
    """``cases`` with every column Spark cannot hand to Python as Arrow (char/varchar,
    year-month intervals, calendar intervals) or hands over as bytes (variant) cast to its
    text, so that no input type stops the job: such a cell is then a bad value in its row."""
    import inspect

    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import to_arrow_type

    # pyspark 4 asks for the session's time zone to type timestamps (any zone: only a probe)
    zone = {"timezone": "UTC"} if "timezone" in inspect.signature(to_arrow_type).parameters else {}

    def convertible(field) -> bool:
        if type(field.dataType).__name__ == "VariantType":  # pyspark 4: arrives as bytes
            return False
        try:
            to_arrow_type(field.dataType, **zone)
        except Exception:  # pyspark's UNSUPPORTED_DATA_TYPE_FOR_ARROW_CONVERSION
            return False
        return True

    fields = cases.schema.fields
    if all(convertible(f) for f in fields):
        return cases
    return cases.select(
        *[
            F.col(_quoted(f.name)) if convertible(f) else F.col(_quoted(f.name)).cast("string")
            for f in fields
        ]
    )


def _from_arrow_schema(schema) -> StructType:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
