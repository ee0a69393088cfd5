"""Perturbed worlds: the generator's numbers moved, its structure and its checks kept.

A *world* is a generator spec and a generation config. :func:`perturb` derives one from the
default by four moves, each of its own size (0 leaves that part exactly as it is):

(a) every row whose source says "assumption" is shifted by ``assumption_shift`` (log-odds);
(b) every row that cites a source (the article, a guideline or a paper) by ``sourced_shift``;
(c) the class priors by ``prior_shift`` (through the config's prior override, as the shifted
    test set does);
(d) the missing rate raised by ``missing_raise``.

How one row moves. A row's "unknown" share (what is not asked) and its declared
uninformative values (the same under every cause) keep their probability, so the world's
structure stays; the answered values share the rest. Their log-probabilities move along a
direction ``z``, centred and scaled so that the root-mean-square change in log-odds between
two answered values equals the shift: for a yes/no finding the log-odds of yes against no
moves by exactly the shift (positive: yes more likely). A zero stays zero. Rows the contract
fixes ("contract: ...") and rows with fewer than two answered values never move.

Directions and signs are drawn per row from the seed and the row's name (not its position),
so a world is reproducible from its seed and does not change when another row is added.
Every world is built through :class:`~backclf.knowledge.GeneratorSpec` validation and
:func:`~backclf.synth.sampler.compile_spec`: the checks of ``generator.yaml`` apply to it.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from backclf.knowledge import CAUSE_IDS, GeneratorSpec, Row, generator_spec
from backclf.synth.config import MAX_MISSING_RATE, GenerationConfig
from backclf.synth.sampler import GeneratorTables, compile_spec, default_tables

RowKind = Literal["assumption", "sourced", "contract"]
PRIORS = "priors"


@dataclass(frozen=True)
class TableRow:
    """One row of the generator, or rows of one finding that state the same numbers from the
    same source (one assumption written once, such as the background rate of fever in the
    four mechanical causes): they move together."""

    key: str  # "fever|pyelonephritis", "temperature_c|fever=true", "confusion|all_causes"
    kind: RowKind
    row: Row
    fixed: tuple[str, ...]  # values that keep their probability: unknown, uninformative ones

    @property
    def finding(self) -> str:
        return self.key.split("|", 1)[0]

    @property
    def conditions(self) -> tuple[str, ...]:
        """The causes (``sudden_postural_change``), ``all_causes``, or parent values
        (``fever=true``) the row is written for."""
        return tuple(self.key.split("|", 1)[1].split("+"))

    def moving(self) -> tuple[str, ...]:
        """The values a shift moves: answered, not declared uninformative, not zero."""
        return tuple(v for v, p in self.row.p.items() if v not in self.fixed and p > 0)

    @property
    def movable(self) -> bool:
        return self.kind != "contract" and len(self.moving()) >= 2


def row_kind(source: str) -> RowKind:
    """Where a row's numbers come from, read off its ``source``."""
    if source.startswith("assumption"):
        return "assumption"
    if source.startswith("contract"):
        return "contract"
    return "sourced"


def table_rows(spec: GeneratorSpec | None = None) -> dict[str, TableRow]:
    """Every finding row of a spec, keyed by name, in generator.yaml order (priors apart).
    Rows of one finding with the same numbers and source are one entry (``a+b`` in the key)."""
    spec = spec or generator_spec()
    rows: dict[str, TableRow] = {}
    for finding, table in spec.findings.items():
        fixed = ("unknown", *table.uninformative_values)
        if table.by_cause is not None:
            named = dict(table.by_cause.items())
        elif table.all_causes is not None:
            named = {"all_causes": table.all_causes}
        else:
            named = {f"{table.given}={v}": r for v, r in table.table.items()}
        groups: dict[tuple, list[str]] = {}
        for condition, row in named.items():
            groups.setdefault((row.source, tuple(row.p.items())), []).append(condition)
        for conditions in groups.values():
            row = named[conditions[0]]
            key = f"{finding}|{'+'.join(conditions)}"
            rows[key] = TableRow(key, row_kind(row.source), row, fixed)
    return rows


def direction(key: str, values: tuple[str, ...], seed: int) -> dict[str, float]:
    """The unit direction a row moves in: for yes/no, yes up; otherwise drawn from the seed
    and the row's name. Centred, with a root-mean-square pairwise difference of 1."""
    if set(values) == {"true", "false"}:
        return {"true": 0.5, "false": -0.5}
    rng = np.random.default_rng([seed, zlib.crc32(key.encode())])
    raw = rng.standard_normal(len(values))
    raw -= raw.mean()
    scale = math.sqrt((len(values) - 1) / 2 / float(np.sum(raw**2)))
    return {v: float(x) * scale for v, x in zip(values, raw, strict=True)}


def _sign(key: str, seed: int) -> float:
    """A world's random sign for a row (the direction of a yes/no row is otherwise fixed)."""
    rng = np.random.default_rng([seed, zlib.crc32(key.encode()), 1])
    return 1.0 if rng.random() < 0.5 else -1.0


def shifted(p: Mapping[str, float], z: Mapping[str, float], shift: float) -> dict[str, float]:
    """``p`` with the values of ``z`` moved by ``shift * z`` in log-probability, renormalised
    among themselves (the other values keep their probability). Plain floats, libm only."""
    mass = sum(p[v] for v in z)
    weights = {v: p[v] / mass * math.exp(shift * z[v]) for v in z}
    total = sum(weights.values())
    out = dict(p)
    for v, w in weights.items():
        out[v] = mass * w / total
    return out


def shift_rows(
    shifts: Mapping[str, float], seed: int, spec: GeneratorSpec | None = None
) -> GeneratorSpec:
    """A copy of ``spec`` with each named row moved by its signed shift (log-odds) along its
    :func:`direction`; validated as generator.yaml is. Shifts of 0 leave a row untouched."""
    spec = spec or generator_spec()
    rows = table_rows(spec)
    unknown = set(shifts) - set(rows)
    if unknown:
        raise ValueError(f"no generator rows named {sorted(unknown)}")
    data = spec.model_dump()
    for key, shift in shifts.items():
        row = rows[key]
        if shift == 0 or not row.movable:
            continue
        z = direction(key, row.moving(), seed)
        p = shifted(row.row.p, z, shift)
        source = f"{row.row.source} [sensitivity study: moved {shift:+.3g} in log-odds]"
        table = data["findings"][row.finding]
        for condition in row.conditions:
            if condition == "all_causes":
                table["all_causes"] = {"p": p, "source": source}
            elif "=" in condition:
                table["table"][condition.split("=", 1)[1]] = {"p": p, "source": source}
            else:
                table["by_cause"][condition] = {"p": p, "source": source}
    return GeneratorSpec.model_validate(data)


@dataclass(frozen=True)
class Perturbation:
    """How far a world is from the default: one size per move (log-odds, or a rate)."""

    assumption_shift: float = 0.0
    sourced_shift: float = 0.0
    prior_shift: float = 0.0
    missing_raise: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("assumption_shift", "sourced_shift", "prior_shift", "missing_raise"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        if not (self.assumption_shift or self.sourced_shift or self.prior_shift):
            object.__setattr__(self, "seed", 0)  # no direction is drawn: one world, any seed

    @property
    def is_default(self) -> bool:
        return not (
            self.assumption_shift or self.sourced_shift or self.prior_shift or self.missing_raise
        )


@dataclass(frozen=True, eq=False)
class World:
    """A generator spec, compiled, and the config of one set drawn from it."""

    spec: GeneratorSpec
    tables: GeneratorTables
    config: GenerationConfig

    def with_set(self, n: int, seed: int) -> World:
        """The same world, for a set of ``n`` vignettes from ``seed``."""
        return replace(self, config=replace(self.config, n=n, seed=seed))


def default_world(config: GenerationConfig) -> World:
    return World(generator_spec(), default_tables(), config)


def perturb(config: GenerationConfig, perturbation: Perturbation) -> World:
    """The world ``perturbation`` makes of the packaged generator and ``config``."""
    if perturbation.is_default:
        return default_world(config)
    seed = perturbation.seed
    sizes = {"assumption": perturbation.assumption_shift, "sourced": perturbation.sourced_shift}
    shifts = {
        key: sizes[row.kind] * _sign(key, seed)
        for key, row in table_rows().items()
        if row.kind in sizes and sizes[row.kind] and row.movable
    }
    spec = shift_rows(shifts, seed) if shifts else generator_spec()
    priors = config.priors
    if perturbation.prior_shift:
        base = dict(zip(CAUSE_IDS, config.prior_vector(spec.priors.p).tolist(), strict=True))
        z = {c: s * _sign(PRIORS, seed) for c, s in direction(PRIORS, CAUSE_IDS, seed).items()}
        priors = shifted(base, z, perturbation.prior_shift)
    missing = config.missing_rate + perturbation.missing_raise
    if missing >= MAX_MISSING_RATE:
        raise ValueError(f"a missing rate of {missing:g} leaves almost nothing answered")
    new_config = replace(config, priors=priors, missing_rate=missing)  # checked on creation
    tables = compile_spec(spec) if shifts else default_tables()
    return World(spec, tables, new_config)


def one_row_world(config: GenerationConfig, key: str, shift: float, seed: int) -> World:
    """The default world with one row moved by ``shift`` along its direction (the
    one-at-a-time sensitivity ranking)."""
    spec = shift_rows({key: shift}, seed)
    return World(spec, compile_spec(spec), config)
