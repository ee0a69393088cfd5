"""Files of cases read into Spark as ``backclf predict`` reads them.

Spark's own readers guess: ``inferSchema`` types a CSV column by all of its cells, so one odd
cell makes the whole column text (and every row an error); ``spark.read.json`` merges the
lines' shapes into one schema; a CSV row with a cell too many loses that cell silently. These
readers leave the reading to backclf's rules instead:

- :func:`read_csv`: every cell as text (read by the CLI's CSV rules in
  :func:`backclf.spark.assess` with ``text_cells=True``), quoted cells may span lines and
  quotes are escaped by doubling them (RFC 4180, as the CLI reads CSV), and a row whose cells
  do not match the header keeps its place as an error (Spark's corrupt-record column);
- :func:`read_json_lines`: one row per line, each line read by the CLI's JSON Lines reader
  in :func:`backclf.spark.assess_json_lines`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backclf.spark.scoring import CORRUPT_RECORD

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def read_csv(spark: SparkSession, path: str) -> DataFrame:
    """A CSV file (or directory) with a header: every column as text, and Spark's
    :data:`CORRUPT_RECORD` column for rows it cannot match to the header."""
    from pyspark.sql.types import StringType, StructField, StructType

    options = {"header": True, "multiLine": True, "escape": '"'}
    header = spark.read.options(**options).csv(path).columns  # the names, every one text
    schema = StructType(
        [StructField(name, StringType()) for name in header]
        + [StructField(CORRUPT_RECORD, StringType())]
    )
    return (
        spark.read.schema(schema)
        .options(**options, mode="PERMISSIVE", columnNameOfCorruptRecord=CORRUPT_RECORD)
        .csv(path)
    )


def read_json_lines(spark: SparkSession, path: str) -> DataFrame:
    """A JSON Lines file (or directory): one row per line, the line as text."""
    return spark.read.text(path)
