"""The synthetic vignette sampler: ``generator.yaml`` made executable, vectorised with numpy.

Row ``i`` of a run depends only on ``(seed, i)``: its random numbers come from a Philox
counter stream advanced to row ``i``, so any chunking gives the same rows and the same
seed gives byte-identical Parquet. See ``generator.yaml`` for the story of one vignette.

The sampler (and the exact posterior) take a :class:`GeneratorTables`, a generator spec
compiled by :func:`compile_spec`; left out, it is the packaged ``generator.yaml``
(:func:`default_tables`, compiled once per process). Another spec, such as a perturbed world
of the sensitivity study, is compiled the same way and passes the same checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from backclf import knowledge
from backclf.contract.arrow import from_arrow, to_arrow
from backclf.contract.columns import UNKNOWN, Columns, derive, empty
from backclf.contract.fields import FIELDS
from backclf.knowledge import CAUSE_IDS
from backclf.synth.config import GenerationConfig
from backclf.synth.streams import DRAWS_PER_ROW, STREAM_FINDINGS, draws

DEFAULT_CHUNK = 100_000


# -- Compiled tables -------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledTable:
    """One finding's table as arrays: ``probs[row, value]``; ``codes[value]`` its column code.

    Rows are the five causes then the pooled atypical row (``by_cause`` and ``all_causes``),
    or the parent's values (``given``). The last value is always "unknown".
    """

    finding: str
    values: tuple[str, ...]
    codes: np.ndarray
    probs: np.ndarray
    given: str | None = None
    parent_codes: tuple[int, ...] = ()
    low: np.ndarray = field(default_factory=lambda: np.zeros(0))
    high: np.ndarray = field(default_factory=lambda: np.zeros(0))
    step: float = 1.0
    informative: bool = False


def _values_and_codes(finding: str) -> tuple[tuple[str, ...], np.ndarray]:
    spec = FIELDS[finding]
    if spec.kind == "bool":
        return ("true", "false", "unknown"), np.array([1, 0, UNKNOWN])
    if spec.kind == "enum":
        return (*spec.values, "unknown"), np.array([*range(len(spec.values)), UNKNOWN])
    bins = knowledge.findings_info().bins[finding]
    return (*bins.labels, "unknown"), np.array([*range(len(bins.labels)), UNKNOWN])


def _row(row: knowledge.Row, values: tuple[str, ...], where: str) -> np.ndarray:
    extra = set(row.p) - set(values)
    if extra:
        raise ValueError(f"{where}: values {sorted(extra)} are not among {values}")
    return np.array([row.p.get(v, 0.0) for v in values])


@dataclass(frozen=True, eq=False)
class GeneratorTables:
    """A generator spec made executable: every finding's compiled table, in spec order, and
    the findings answered or left unanswered together."""

    spec: knowledge.GeneratorSpec
    tables: tuple[CompiledTable, ...]
    masking_units: tuple[tuple[str, ...], ...]

    @property
    def priors(self) -> dict[str, float]:
        return self.spec.priors.p


def compile_spec(spec: knowledge.GeneratorSpec) -> GeneratorTables:
    """Compile (and so check) a generator spec: every finding is a contract finding, every
    value one of the finding's values; the pooled atypical row uses the spec's priors."""
    base_prior = np.array([spec.priors.p[c] for c in CAUSE_IDS])
    tables = []
    for finding, table in spec.findings.items():
        if finding not in FIELDS:
            raise ValueError(f"the generator names unknown finding {finding!r}")
        values, codes = _values_and_codes(finding)
        given, parent_codes = None, ()
        if table.by_cause is not None:
            rows = np.stack([_row(table.by_cause[c], values, f"{finding}.{c}") for c in CAUSE_IDS])
            probs = np.vstack([rows, base_prior @ rows])
        elif table.all_causes is not None:
            probs = np.tile(_row(table.all_causes, values, finding), (len(CAUSE_IDS) + 1, 1))
        else:
            given = table.given
            parent_values, parent_code_arr = _values_and_codes(given)
            probs = np.stack(
                [_row(table.table[v], values, f"{finding}|{v}") for v in parent_values]
            )
            parent_codes = tuple(int(c) for c in parent_code_arr)
        low = high = np.zeros(0)
        step = 1.0
        if FIELDS[finding].kind in ("int", "float"):
            bins = knowledge.findings_info().bins[finding]
            edges = np.array(bins.edges, dtype=np.float64)
            low, high = edges[:-1], edges[1:].copy()
            if bins.sample_max is not None:
                high[-1] = min(high[-1], bins.sample_max)
            step = bins.step
        tables.append(
            CompiledTable(
                finding,
                values,
                codes,
                probs,
                given,
                parent_codes,
                low,
                high,
                step,
                table.informative,
            )
        )
    groups = tuple(tuple(g) for g in spec.masking_groups)
    grouped = {f for g in groups for f in g}
    units = groups + tuple((t.finding,) for t in tables if t.finding not in grouped)
    return GeneratorTables(spec, tuple(tables), units)


@cache
def default_tables() -> GeneratorTables:
    """The packaged ``generator.yaml``, compiled once per process."""
    return compile_spec(knowledge.generator_spec())


def compiled_tables() -> tuple[CompiledTable, ...]:
    """Every finding's table of the packaged spec, in generator.yaml order."""
    return default_tables().tables


# -- Sampling --------------------------------------------------------------------------------


def _categorical(u: np.ndarray, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Index of the value drawn by uniform ``u`` from ``probs[rows]``."""
    cumulative = np.cumsum(probs, axis=1)
    index = (u[:, None] >= cumulative[rows]).sum(axis=1)
    return np.minimum(index, probs.shape[1] - 1)


@dataclass
class Sample:
    """A generated chunk: the findings as columns, the label, and bookkeeping."""

    columns: Columns
    label: np.ndarray  # index into CAUSE_IDS (after label noise)
    true_cause: np.ndarray  # before label noise
    atypical: np.ndarray
    red_flag_added: np.ndarray
    start: int


def sample_rows(
    config: GenerationConfig, start: int, n: int, world: GeneratorTables | None = None
) -> Sample:
    """Rows ``start .. start + n`` of the set defined by ``config`` (and the generator
    ``world``, by default the packaged one)."""
    world = world or default_tables()
    tables = world.tables
    needed = 2 + 2 * len(tables) + len(world.masking_units) + 4
    if needed > DRAWS_PER_ROW:  # a knowledge file grew: reserve more draws per row
        raise ValueError(f"a row needs {needed} random draws; raise DRAWS_PER_ROW")
    u = draws(config.seed, STREAM_FINDINGS, start, n)
    next_draw = iter(range(DRAWS_PER_ROW))
    k = len(CAUSE_IDS)
    prior = config.prior_vector(world.priors)
    cause = _categorical(u[:, next(next_draw)], prior[None, :], np.zeros(n, int))
    atypical = u[:, next(next_draw)] < config.atypical_rate
    table_row = np.where(atypical, k, cause)

    columns = empty(n)
    for table in tables:
        draw, within = u[:, next(next_draw)], u[:, next(next_draw)]
        if table.given is None:
            rows = table_row
        else:
            rows = _parent_rows(table.parent_codes, columns[table.given])
        index = _categorical(draw, table.probs, rows)
        code = table.codes[index]
        if table.low.size:
            known = code != UNKNOWN
            bin_ = np.where(known, code, 0)
            low, high = table.low[bin_], table.high[bin_]
            steps = np.maximum(np.floor((high - low) / table.step), 1)
            value = low + table.step * np.floor(within * steps)
            value = np.round(value, 1) if table.step < 1 else value
            columns[table.finding] = np.where(known, value, np.nan)
        else:
            columns[table.finding] = code.astype(np.int8)

    _mask(columns, u, next_draw, config.missing_rate, world.masking_units)
    _pregnancy_only_when_asked(columns, world.spec)
    red_flag_added = u[:, next(next_draw)] < config.red_flag_rate
    _add_red_flags(columns, red_flag_added, u[:, next(next_draw)], world.spec)

    noisy = u[:, next(next_draw)] < config.label_noise
    shift = 1 + np.minimum((u[:, next(next_draw)] * (k - 1)).astype(int), k - 2)
    label = np.where(noisy, (cause + shift) % k, cause)
    derive(columns)
    return Sample(columns, label, cause, atypical, red_flag_added, start)


def _parent_rows(parent_codes: tuple[int, ...], parent: np.ndarray) -> np.ndarray:
    lookup = np.zeros(max(parent_codes) + 2, dtype=int)
    for row, code in enumerate(parent_codes):
        lookup[code + 1] = row  # code -1 (unknown) lands at 0
    return lookup[parent.astype(int) + 1]


def _mask(
    columns: Columns,
    u: np.ndarray,
    next_draw: Iterator[int],
    rate: float,
    units: tuple[tuple[str, ...], ...],
) -> None:
    for unit in units:
        masked = u[:, next(next_draw)] < rate
        for finding in unit:
            col = columns[finding]
            col[masked] = np.nan if col.dtype == np.float64 else UNKNOWN


def _pregnancy_only_when_asked(columns: Columns, spec: knowledge.GeneratorSpec) -> None:
    """Pregnancy is asked of women of child-bearing age only (generator.yaml ``adult_age``)."""
    low, high = spec.findings["pregnant"].adult_age
    female = columns["sex"] == FIELDS["sex"].values.index("female")
    age = columns["age"]
    with np.errstate(invalid="ignore"):
        asked = female & (age >= low) & (age <= high)
    columns["pregnant"][~asked] = UNKNOWN


def _add_red_flags(
    columns: Columns, added: np.ndarray, choice: np.ndarray, spec: knowledge.GeneratorSpec
) -> None:
    scenarios = spec.red_flag_scenarios
    which = np.minimum((choice * len(scenarios)).astype(int), len(scenarios) - 1)
    for s, scenario in enumerate(scenarios):
        rows = added & (which == s)
        for finding, value in scenario.set.items():
            spec = FIELDS[finding]
            columns[finding][rows] = int(value) if spec.kind == "bool" else spec.values.index(value)


def iter_samples(
    config: GenerationConfig,
    chunk_size: int = DEFAULT_CHUNK,
    world: GeneratorTables | None = None,
) -> Iterator[Sample]:
    for start in range(0, config.n, chunk_size):
        yield sample_rows(config, start, min(chunk_size, config.n - start), world)


# -- Tables and files ------------------------------------------------------------------------


def sample_table(sample: Sample, texts: list[str] | None = None) -> pa.Table:
    """One chunk as an Arrow table: ``case_id``, the findings, ``label`` and bookkeeping."""
    n = len(sample.label)
    ids = np.arange(sample.start, sample.start + n)
    table = to_arrow(sample.columns)
    causes = pa.array(CAUSE_IDS)
    extra = {
        "case_id": pa.array(ids, pa.int64()),
        "label": pa.DictionaryArray.from_arrays(pa.array(sample.label, pa.int8()), causes),
        "true_cause": pa.DictionaryArray.from_arrays(
            pa.array(sample.true_cause, pa.int8()), causes
        ),
        "atypical": pa.array(sample.atypical),
        "red_flag_added": pa.array(sample.red_flag_added),
    }
    if texts is not None:
        extra["text"] = pa.array(texts, pa.string())
    table = pa.table({"case_id": extra.pop("case_id"), **{c: table[c] for c in table.column_names}})
    for name, array in extra.items():
        table = table.append_column(name, array)
    return table


def write_parquet(
    config: GenerationConfig,
    out: Path,
    chunk_size: int = DEFAULT_CHUNK,
    text_family: str | None = None,
    on_chunk: Callable[[Sample], None] | None = None,
    world: GeneratorTables | None = None,
) -> Path:
    """Generate ``config.n`` vignettes into one Parquet file, chunk by chunk.

    ``text_family`` (``train`` or ``heldout``) adds a narrative ``text`` column.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    try:
        for sample in iter_samples(config, chunk_size, world):
            texts = None
            if text_family is not None:
                from backclf.synth.narrative import render_texts  # only when text is asked for

                texts = render_texts(sample.columns, config.seed, sample.start, text_family)
            table = sample_table(sample, texts)
            if writer is None:
                writer = pq.ParquetWriter(out, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=chunk_size)
            if on_chunk is not None:
                on_chunk(sample)
        if writer is None:  # n == 0: still a valid, empty file with the schema
            empty_sample = sample_rows(config, 0, 0, world)
            pq.write_table(sample_table(empty_sample, [] if text_family else None), out)
    finally:
        if writer is not None:
            writer.close()
    return out


def label_indices(labels: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Cause ids (strings or dictionary) as indices into ``CAUSE_IDS``."""
    index = pc.index_in(pc.cast(labels, pa.string()), value_set=pa.array(CAUSE_IDS))
    return pc.fill_null(index, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def read_sample(path: Path) -> Sample:
    """A generated file read back as the :class:`Sample` it was written from (its labels,
    true causes and bookkeeping)."""
    columns, label, table = read_labelled(path)
    return Sample(
        columns,
        label,
        label_indices(table["true_cause"]),
        table["atypical"].to_numpy(),
        table["red_flag_added"].to_numpy(),
        0,
    )


def read_labelled(path: Path) -> tuple[Columns, np.ndarray, pa.Table]:
    """Read a generated file back: findings as columns, label indices, and the table."""
    table = pq.read_table(path)
    findings = table.select([c for c in table.column_names if c in FIELDS])
    columns, errors = from_arrow(findings)
    if errors:
        first = next(iter(errors.items()))
        raise ValueError(f"{path}: {len(errors)} invalid rows, first: {first}")
    label = label_indices(table["label"])
    return columns, label, table
