"""How well the free-text reader recovers findings (end to end scores are in
:mod:`backclf.pipeline.dev_vignettes`).

Per-finding precision and recall on generated narratives (held-out phrase family): a
finding counts as correct when the extracted value equals the generator's. Negation
errors (a false finding read as true, or a true one read as false) are counted apart.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from backclf.contract.fields import FIELDS

#: Numbers are compared after the rounding the narrative applies.
TOLERANCE = {"temperature_c": 0.051, "days_since_onset": 0.5}


def _same(finding: str, a: Any, b: Any) -> bool:
    if finding in TOLERANCE and isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) <= TOLERANCE[finding]
    return a == b


def extraction_scores(truth: list[dict[str, Any]], predicted: list[dict[str, Any]]) -> dict:
    """Micro and per-finding precision/recall/F1, and negation errors."""
    tp, fp, fn = Counter(), Counter(), Counter()
    negation = Counter()
    for gold, got in zip(truth, predicted, strict=True):
        for finding in FIELDS:
            g, p = gold.get(finding), got.get(finding)
            if g is None and p is None:
                continue
            if g is not None and p is not None and _same(finding, g, p):
                tp[finding] += 1
                continue
            if p is not None:
                fp[finding] += 1
            if g is not None:
                fn[finding] += 1
            if isinstance(g, bool) and isinstance(p, bool):
                negation["false_read_as_true" if g is False else "true_read_as_false"] += 1
            elif g is False and p is None:
                negation["negation_missed"] += 1

    def f1(t: int, p: int, n: int) -> dict[str, float]:
        precision = t / (t + p) if t + p else 1.0
        recall = t / (t + n) if t + n else 1.0
        score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(score, 4),
            "support": t + n,
        }

    per_finding = {f: f1(tp[f], fp[f], fn[f]) for f in FIELDS if tp[f] + fp[f] + fn[f]}
    micro = f1(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return {
        "micro": micro,
        "per_finding": per_finding,
        "negation_errors": {
            k: negation[k] for k in ("false_read_as_true", "true_read_as_false", "negation_missed")
        },
    }
