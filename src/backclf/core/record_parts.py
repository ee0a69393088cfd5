"""The per-case parts of an assessment record: the differential, the cause and the
explanation, as JSON-ready dicts or, for JSON Lines, as JSON bytes (issue 27 item 1).

The bytes are what orjson writes for the dicts: each part's fixed text (a cause's id and
name, a feature's finding and name) is encoded once per model, and the batch's numbers
(probabilities, effects) in one ``orjson.dumps`` call each, split at the commas (a number's
JSON holds none). tests/test_encoded.py compares the records' bytes both ways.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import orjson

from backclf import knowledge
from backclf.contract.columns import decoded
from backclf.core.decisions import Decisions
from backclf.core.encoded import Encoded
from backclf.core.model import ReadableModel
from backclf.knowledge import CAUSE_IDS

EXPLANATION_SIZE = 6
#: An effect smaller than this is not worth showing as a reason.
EXPLANATION_MIN_EFFECT = 0.005


@dataclass(frozen=True)
class _Fixed:
    """Per model: each feature's finding and name, and the parts' fixed JSON."""

    labels: list[tuple[str, str]]  # per model feature: its finding and its name
    names: list[str]  # per cause
    cause_heads: list[bytes]  # per cause: '{"id":..,"name":..,"probability":'
    item_heads: list[bytes]  # per feature: '{"finding":..,"value":'
    item_middles: list[bytes]  # per feature: ',"feature":..,"effect":'


@cache
def _fixed(model: ReadableModel) -> _Fixed:
    names = [c.name for c in knowledge.article().causes]
    labels = [(f.finding, f.name) for f in model.features]
    dumps = orjson.dumps
    return _Fixed(
        labels,
        names,
        [b'{"id":' + dumps(c) + b',"name":' + dumps(n) + b',"probability":'
         for c, n in zip(CAUSE_IDS, names, strict=True)],
        [b'{"finding":' + dumps(f) + b',"value":' for f, _ in labels],
        [b',"feature":' + dumps(n) + b',"effect":' for _, n in labels],
    )


def per_case(decisions: Decisions, abstained: list[bool], encoded: bool) -> tuple[list, list, list]:
    """Per case, the differential, the cause and the explanation (as JSON bytes when
    ``encoded``)."""
    order = np.argsort(-decisions.proba, axis=1, kind="stable").tolist()
    probability = np.round(decisions.proba, 4).tolist()
    if encoded:
        shown = encoded_differentials(decisions.model, order, probability, abstained)
        return *shown, encoded_explanations(decisions)
    shown = differentials(decisions.model, order, probability, abstained)
    return *shown, explanations(decisions)


def differentials(
    model: ReadableModel, order: list[list[int]], probability: list[list[float]],
    abstained: list[bool],
) -> tuple[list[list[dict]], list[dict | None]]:
    """Per case, the differential (causes in ``order``) and the cause (``None`` when the
    model abstained)."""
    ids, names = CAUSE_IDS, _fixed(model).names
    out, causes = [], []
    for ranked, p, none in zip(order, probability, abstained, strict=True):
        differential = [{"id": ids[k], "name": names[k], "probability": p[k]} for k in ranked]
        out.append(differential)
        causes.append(None if none else differential[0])
    return out, causes


def encoded_differentials(
    model: ReadableModel, order: list[list[int]], probability: list[list[float]],
    abstained: list[bool],
) -> tuple[list[Encoded], list[Encoded | None]]:
    """:func:`differentials` as JSON bytes."""
    heads = _fixed(model).cause_heads
    out, causes = [], []
    for ranked, p, none in zip(order, _numbers(probability), abstained, strict=True):
        pieces = [b"["]
        for k in ranked:
            pieces += (heads[k], p[k], b"},")
        pieces[-1] = b"}]"
        out.append(Encoded(b"".join(pieces)))
        causes.append(None if none else Encoded(b"".join(pieces[1:3]) + b"}"))
    return out, causes


def _numbers(rows: list[list[float]]) -> list[list[bytes]]:
    """Each row's numbers as orjson writes them (one call for the whole batch)."""
    if not rows:
        return []
    data = orjson.dumps(rows)
    return [row.split(b",") for row in data[2:-2].split(b"],[")]


def _explanation_rows(decisions: Decisions) -> tuple[list, list[int], list, dict[str, list]]:
    """Per case, the features with the largest effects on the chosen cause (``top``), how
    many of them to show, their effects (rounded), and the values of the findings named."""
    features = decisions.model.features
    effects = decisions.effects
    strength = np.where(
        (decisions.x > 0) & (np.abs(effects) >= EXPLANATION_MIN_EFFECT), np.abs(effects), -1.0
    )
    k = min(EXPLANATION_SIZE, strength.shape[1])
    top = np.argsort(-strength, axis=1, kind="stable")[:, :k]
    rows = np.arange(len(decisions))[:, None]
    listed = strength[rows, top] > 0
    count = listed.sum(axis=1).tolist()
    rounded = np.round(effects[rows, top], 3).tolist()
    # Only the findings some explanation names are decoded (one case names a few).
    named = np.zeros(len(features), dtype=bool)  # (np.unique would import numpy.ma: 17 ms)
    named[top[listed]] = True
    shown = {features[j].finding for j in np.flatnonzero(named).tolist()}
    return top.tolist(), count, rounded, {f: decoded(decisions.columns, f) for f in shown}


def explanations(decisions: Decisions) -> list[list[dict]]:
    """Per case, the present findings with the largest effects on the chosen cause."""
    top, count, rounded, values_of = _explanation_rows(decisions)
    labels = _fixed(decisions.model).labels
    out: list[list[dict]] = []
    for i, (js, n, effect_row) in enumerate(zip(top, count, rounded, strict=True)):
        items = []
        for j, effect in zip(js[:n], effect_row, strict=False):
            finding, name = labels[j]
            items.append(
                {"finding": finding, "value": values_of[finding][i], "feature": name,
                 "effect": effect}
            )
        out.append(items)
    return out


#: An explanation item's JSON up to its effect, by (feature, value), kept across batches;
#: cleared when full. One finding's values are all of one type (its kind decides it), so
#: equal keys encode alike.
_VALUES: dict[tuple[int, Any], bytes] = {}
_VALUES_KEPT = 8192


def encoded_explanations(decisions: Decisions) -> list[Encoded]:
    """:func:`explanations` as JSON bytes."""
    top, count, rounded, values_of = _explanation_rows(decisions)
    fixed = _fixed(decisions.model)
    labels, heads, middles = fixed.labels, fixed.item_heads, fixed.item_middles
    known = _VALUES
    if len(known) > _VALUES_KEPT:
        known.clear()
    out = []
    for i, (js, n, effect_row) in enumerate(zip(top, count, _numbers(rounded), strict=True)):
        pieces = [b"["]
        for j, effect in zip(js[:n], effect_row, strict=False):
            value = values_of[labels[j][0]][i]
            head = known.get((j, value))
            if head is None:  # the item up to its effect
                head = known[(j, value)] = heads[j] + orjson.dumps(value) + middles[j]
            pieces += (head, effect, b"},")
        if n:
            pieces[-1] = b"}]"
        else:
            pieces.append(b"]")
        out.append(Encoded(b"".join(pieces)))
    return out
