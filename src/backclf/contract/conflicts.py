"""Answers that imply others, and what happens when answers disagree: the safer reading wins.

Some findings imply another: a measured temperature of 38.0 °C or more is a fever, weakness
of both legs is weakness of a leg, and a pregnancy is read as a woman's (as the free-text
reader reads it). Where the implied finding was not given, it is filled in (a
*derivation*). Where it was given otherwise ("no fever" beside 39.2 °C; "no weakness in a
leg" but "weakness in both legs"; "pregnant" and "male"), the answers *conflict*: the case is
never refused for it (a refused case gets no triage, and every red flag answered with it
would be lost). The implied value is used, because it is the reading with the more urgent
triage: red-flag rules are positive only (a "yes" can only raise the triage), so the "yes"
fires every rule either reading would; and the female reading keeps pregnancy's rules and the
kidney-infection reading they guard. Each conflict is reported in the assessment's
``conflicts`` (the finding, the value given, the value used, and why), so an app can ask again.

The same table applies to one case (:func:`resolve_codes`, codes of known findings) and to
columns of many (:func:`resolve_columns`), so every way in resolves the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from backclf.contract.fields import FEVER_THRESHOLD_C, FIELDS
from backclf.contract.rules import UNKNOWN, decode, quote

#: Said of every conflict: how it was resolved.
SAFER = "when answers disagree, the one with the more urgent triage is used"


@dataclass(frozen=True)
class Implication:
    """Where ``implied`` holds for the codes of ``sources`` (scalars or whole columns alike),
    ``finding`` has the code ``value``. ``fills_unknown``: also where ``finding`` was not
    given (a derivation); otherwise only where it was given otherwise (a conflict).
    ``why`` takes the sources' values and says, in plain words, why the value is used."""

    finding: str
    value: int
    sources: tuple[str, ...]
    implied: Callable[..., Any]
    fills_unknown: bool
    why: Callable[..., str]


_FEMALE = FIELDS["sex"].values.index("female")

IMPLICATIONS = (
    # Contract: "38.0 or more counts as fever".
    Implication(
        "fever",
        1,
        ("temperature_c",),
        lambda t: t >= FEVER_THRESHOLD_C,
        True,
        lambda t: (
            f"temperature_c is {t:g}, and {FEVER_THRESHOLD_C:g} °C or more counts as fever; {SAFER}"
        ),
    ),
    # Weakness of both legs is weakness of a leg.
    Implication(
        "leg_weakness",
        1,
        ("bilateral_leg_weakness",),
        lambda both: both == 1,
        True,
        lambda both: (
            "bilateral_leg_weakness is true, and weakness of both legs is weakness of a leg; "
            + SAFER
        ),
    ),
    # A pregnancy is a woman's: the free-text reader reads it so too. Not filled in where sex
    # was not given (the model was trained with sex unknown there).
    Implication(
        "sex",
        _FEMALE,
        ("pregnant",),
        lambda pregnant: pregnant == 1,
        False,
        lambda pregnant: (
            "pregnant is true, so sex is read as female (pregnancy's red flags and the "
            f"kidney-infection reading stay); {SAFER}"
        ),
    ),
)


def _conflict(rule: Implication, given: Any, sources: list[Any]) -> dict[str, Any]:
    used = decode(FIELDS[rule.finding], rule.value)
    return {"finding": rule.finding, "given": given, "used": used, "why": rule.why(*sources)}


def resolve_codes(
    codes: dict[str, float | int], conflicts_too: bool = True
) -> tuple[dict[str, float | int], list[dict[str, Any]]]:
    """One case's codes (known findings only) with what they imply, and its conflicts (each
    ``{"finding", "given", "used", "why"}``). ``conflicts_too=False``: fill in unknowns only,
    keep every value as given."""
    resolved = dict(codes)
    conflicts = []
    for rule in IMPLICATIONS:
        if not all(s in resolved for s in rule.sources):
            continue
        if not rule.implied(*(resolved[s] for s in rule.sources)):
            continue
        current = resolved.get(rule.finding)
        if current is None:
            if rule.fills_unknown:
                resolved[rule.finding] = rule.value
        elif current != rule.value and conflicts_too:
            sources = [decode(FIELDS[s], resolved[s]) for s in rule.sources]
            conflicts.append(_conflict(rule, decode(FIELDS[rule.finding], current), sources))
            resolved[rule.finding] = rule.value
    return resolved, conflicts


def resolve_columns(
    columns: dict[str, np.ndarray], conflicts_too: bool = True
) -> dict[int, list[dict[str, Any]]]:
    """Every case's implied findings, in place (columns of codes); the conflicts resolved,
    by row: ``{row: [conflict]}`` (see :func:`resolve_codes`)."""
    conflicts: dict[int, list[dict[str, Any]]] = {}
    for rule in IMPLICATIONS:
        target = columns[rule.finding]
        sources = [columns[s] for s in rule.sources]
        with np.errstate(invalid="ignore"):
            implied = np.asarray(rule.implied(*sources), dtype=bool)
        if not implied.any():  # nothing to fill in or to contradict
            continue
        unknown = target == UNKNOWN
        contradicted = implied & ~unknown & (target != rule.value)
        change = implied & unknown if rule.fills_unknown else np.zeros_like(implied)
        if conflicts_too:
            for i in np.flatnonzero(contradicted).tolist():
                values = [
                    decode(FIELDS[s], col[i]) for s, col in zip(rule.sources, sources, strict=True)
                ]
                given = decode(FIELDS[rule.finding], target[i])
                conflicts.setdefault(i, []).append(_conflict(rule, given, values))
            change = change | contradicted
        if change.any():
            columns[rule.finding] = np.where(change, rule.value, target).astype(target.dtype)
    return conflicts


# -- the text and an explicit answer -----------------------------------------------------------

#: Enum findings whose values run from least to most alarming (a red flag at the end).
ALARM_ORDER = {"radiating_leg_pain": ("none", "one_leg", "both_legs")}
#: Number findings where a higher value is the more alarming (a fever).
HIGHER_IS_WORSE = ("temperature_c",)


def safer_of_two(finding: str, given: float | int, read: float | int) -> float | int:
    """Of an explicit answer's code and the code the free text reads for the same finding,
    the one to use: the more alarming where the finding's values have an order of alarm
    (yes over no; ``both_legs`` over ``one_leg``; the higher temperature), else the explicit
    answer (as documented: explicit findings win over the text)."""
    spec = FIELDS[finding]
    if spec.kind == "bool" or finding in HIGHER_IS_WORSE:
        return max(given, read)
    order = ALARM_ORDER.get(finding)
    if order is not None:
        rank = [order.index(v) for v in (spec.values[int(given)], spec.values[int(read)])]
        return read if rank[1] > rank[0] else given
    return given


def text_conflict(finding: str, given: float | int, used: float | int, words: str | None) -> dict:
    """The conflict note of an explicit answer overruled by what the text says."""
    spec = FIELDS[finding]
    said = f"the text says {quote(words)}" if words else "the text reads it so"
    return {
        "finding": finding,
        "given": decode(spec, given),
        "used": decode(spec, used),
        "why": f"{said}; {SAFER}",
    }
