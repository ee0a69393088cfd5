"""What runs on the executors: Arrow batches in, the same batches with the assessment out.

The functions here are handed to ``DataFrame.mapInArrow`` (by :mod:`backclf.spark`) with
the registered model file's bytes and hash. Each Python worker checks the bytes against the
hash and parses them once (Spark reuses its Python workers: once per worker, not per task);
it never imports MLflow or pandas. A batch of rows goes through the CLI's own table path
(:func:`backclf.io.tables.decision_table`, the contract's rules on whole columns, then
:func:`backclf.core.decide.assess_batch`; rows with free text through its record path), and a
batch of JSON Lines through the CLI's line reader: every input row gives one output row, in
order, exactly as ``backclf predict`` answers it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyarrow as pa

from backclf.contract.arrow import GENERATED_COLUMNS
from backclf.contract.assessment import flat_row
from backclf.contract.fields import FIELDS
from backclf.core.model import ModelFileError, ReadableModel, parse_model
from backclf.io.parse import JSON_WHITESPACE, parse_json_line
from backclf.io.score import assess_items
from backclf.io.tables import (
    OUTPUT_SCHEMA,
    Batch,
    decision_table,
    records_table,
    text_table_records,
)
from backclf.text.lazy import LazyExtractor

#: Rows decided together. Spark sends Arrow batches of 10,000 rows by default
#: (``spark.sql.execution.arrow.maxRecordsPerBatch``); they are gathered up to this many, so
#: the decision path's cost per batch is paid less often.
SCORE_ROWS = 65_536
#: JSON Lines build a whole record per case (as the CLI does), so fewer at a time.
LINE_ROWS = 16_384
#: The assessment's columns in Spark output. ``row`` (a row's place in one batch) means
#: nothing in a distributed job, so it is left out.
RESULT_SCHEMA = pa.schema([f for f in OUTPUT_SCHEMA if f.name != "row"])
#: The model that decided (issue 28): its registered name and version, and its file's hash.
MODEL_COLUMNS = ("model_name", "model_version", "model_sha256")
#: The columns :func:`score_lines` gives: the case's id (as text), then the assessment's.
LINES_SCHEMA = pa.schema([pa.field("id", pa.string()), *RESULT_SCHEMA])

#: Spark's column for a row its reader could not parse (``columnNameOfCorruptRecord``), and
#: what such a row's ``error`` says: a CSV row with a cell too many would otherwise lose it.
CORRUPT_RECORD = "_corrupt_record"
MALFORMED = "malformed CSV row: its cells do not match the header (a cell too many or too few)"

_models: dict[str, ReadableModel] = {}  # by SHA-256: one parse per Python worker
_extract = LazyExtractor()  # spaCy, loaded by the first text


@dataclass(frozen=True)
class ModelBytes:
    """The registered model file as the executors get it: its bytes, their SHA-256 (checked
    against the registry on the driver), and the name and version it is registered under."""

    content: bytes
    sha256: str
    name: str
    version: str

    def load(self) -> ReadableModel:
        """The model, parsed once per Python worker; refused if the bytes are not the ones
        the registry names."""
        model = _models.get(self.sha256)
        if model is None:
            actual = hashlib.sha256(self.content).hexdigest()
            if actual != self.sha256:
                raise ModelFileError(
                    f"model {self.name} version {self.version}: the file's SHA-256 is "
                    f"{actual}, the registry's is {self.sha256}"
                )
            where = f"model {self.name} version {self.version}"
            model = _models[self.sha256] = parse_model(self.content, where)
        return model

    def identity(self) -> dict[str, str]:
        """The model's identity (:data:`MODEL_COLUMNS`): added to every output row by Spark
        itself, as constants, so they never travel through Python."""
        return dict(zip(MODEL_COLUMNS, (self.name, self.version, self.sha256), strict=True))


# -- a DataFrame of cases ---------------------------------------------------------------------


def score_batches(
    batches: Iterable[pa.RecordBatch],
    model: ModelBytes,
    case_columns: tuple[int, ...],
    text_cells: bool,
) -> Iterator[pa.RecordBatch]:
    """``mapInArrow``'s function: each row's columns, then the assessment's.
    ``case_columns``: the positions of the columns that make up the case."""
    readable = model.load()
    for table in gathered(batches, SCORE_ROWS):
        result = assess_table(table.select(list(case_columns)), readable, text_cells)
        for name, column in zip(result.column_names, result.columns, strict=True):
            table = table.append_column(name, column)
        yield from table.to_batches()


def assess_table(cases: pa.Table, model: ReadableModel, text_cells: bool) -> pa.Table:
    """The assessment columns (:data:`RESULT_SCHEMA`) of a batch of cases, row for row: the
    path of ``backclf predict --input cases.parquet`` (of ``.csv`` with ``text_cells``). A
    row Spark could not parse (its :data:`CORRUPT_RECORD` column set) is an error."""
    malformed = None
    if cases.column_names.count(CORRUPT_RECORD) == 1:
        position = cases.column_names.index(CORRUPT_RECORD)
        malformed = cases.column(position).is_valid()
        cases = cases.remove_column(position)
    result = _assessed(cases, model, text_cells)
    return result if malformed is None else _as_malformed(result, malformed)


def _assessed(cases: pa.Table, model: ReadableModel, text_cells: bool) -> pa.Table:
    if not cases.num_columns:  # no case columns: empty cases (a table needs one to have rows)
        cases = pa.table({GENERATED_COLUMNS[0]: pa.nulls(cases.num_rows, pa.string())})
    if text_cells:
        cases = _as_text(cases)
    batch = Batch(cases, 0, text_cells)
    if "text" in cases.column_names:
        table = records_table(text_table_records(batch, model, _extract), batch)
    else:
        table = decision_table(batch, model)
    return table.select(RESULT_SCHEMA.names)


def _as_malformed(result: pa.Table, malformed: pa.ChunkedArray) -> pa.Table:
    """The rows Spark could not parse as errors, with nulls elsewhere."""
    import pyarrow.compute as pc

    columns = []
    for field, column in zip(result.schema, result.columns, strict=True):
        value = MALFORMED if field.name == "error" else None
        columns.append(pc.if_else(malformed, pa.scalar(value, field.type), column))
    return pa.Table.from_arrays(columns, schema=result.schema)


def _as_text(cases: pa.Table) -> pa.Table:
    """Findings columns as text, to be read as CSV cells (a yes/no column read from CSV with
    a schema is read as its text would be: ``true``); an ``id`` column of text typed as the
    CLI's CSV reader types it (:func:`_csv_id`)."""
    import pyarrow.compute as pc

    if cases.column_names.count("id") == 1:
        position = cases.column_names.index("id")
        cases = cases.set_column(position, "id", _csv_id(cases.column(position)))
    for position, field in enumerate(cases.schema):
        if field.name in FIELDS and not pa.types.is_string(field.type):
            try:
                text = pc.cast(cases.column(position), pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue  # an array or an object stays one: its row's error says so
            cases = cases.set_column(position, field.name, text)
    return cases


def _csv_id(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """An id column of CSV text as Arrow's CSV reader (the CLI's) types it: whole numbers if
    every cell is one, else numbers if every cell is one (``1.5`` is then refused, as the CLI
    refuses it), else text."""
    import pyarrow.compute as pc

    if not pa.types.is_string(column.type):
        return column
    for kind in (pa.int64(), pa.float64()):
        try:
            return pc.cast(column, kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return column


def gathered(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """The batches as tables of at least ``rows`` rows (the last one fewer), in order."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        pending.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(pending)
            pending, count = [], 0
    if pending:
        yield pa.Table.from_batches(pending)


# -- JSON Lines -------------------------------------------------------------------------------


def score_lines(batches: Iterable[pa.RecordBatch], model: ModelBytes) -> Iterator[pa.RecordBatch]:
    """``mapInArrow``'s function for lines of JSON Lines (one string column): each line read
    as ``backclf predict`` reads it; blank lines give no row (:data:`LINES_SCHEMA`)."""
    readable = model.load()
    for table in gathered(batches, LINE_ROWS):
        items = [
            parse_json_line(number, line)
            for number, line in enumerate(table.column(0).to_pylist(), start=1)
            if line is not None and line.strip(JSON_WHITESPACE)
        ]
        records = assess_items(items, readable, _extract)
        rows = [flat_row(record, 0) for record in records]
        out = pa.Table.from_pylist(rows, schema=OUTPUT_SCHEMA).select(RESULT_SCHEMA.names)
        ids = [None if r.get("id") is None else str(r["id"]) for r in records]
        out = out.add_column(0, "id", pa.array(ids, pa.string()))
        yield from out.to_batches()
