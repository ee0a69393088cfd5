"""How well the free-text reader does, measured so it cannot flatter itself.

- :func:`extraction_scores`: per-finding precision, recall and F1 against known findings (the
  generator's held-out narratives, or a written set's labels), with negation errors apart.
- :func:`written_set_scores`: a set of texts written by someone who never saw the lexicon,
  each with its findings and the least (and most) urgent triage and the cause a reader of the
  article would expect: red-flag cases reaching their minimum triage, plain cases sent above
  their maximum (over-triage), the right cause named first (abstaining is a miss), extraction,
  negation polarity side by side with stock negspacy (its ``en_clinical`` termset) on the same
  findings, each ConText modifier's agreement with the labels, and what the red-flag safety
  net cost (cases it raised, plain ones among them).

Triage here is the decision path's own (:func:`backclf.core.decide.assess_batch`) on the
findings read, as ``backclf predict --text`` decides them.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from backclf.contract.columns import from_codes
from backclf.contract.expectation import Expectation
from backclf.contract.fields import FIELDS
from backclf.contract.rules import CaseError, check_record
from backclf.core.decide import assess_batch
from backclf.core.model import ReadableModel
from backclf.knowledge import CAUSE_IDS

#: Numbers are compared after the rounding the texts apply.
TOLERANCE = {"temperature_c": 0.051, "days_since_onset": 0.5}
MODIFIERS = ("negated", "uncertain", "historical", "hypothetical", "resolved", "other")


def _same(finding: str, a: Any, b: Any) -> bool:
    if finding in TOLERANCE and isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) <= TOLERANCE[finding]
    return a == b


def _rate(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 1.0


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


# -- written sets ----------------------------------------------------------------------------


class WrittenCase(BaseModel):
    """A text written by someone who never saw the lexicon, with its labels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    style: str
    text: str
    findings: dict[str, Any]
    expect: Expectation
    why: str


def load_written(path: Path) -> list[WrittenCase]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [WrittenCase.model_validate(json.loads(line)) for line in lines if line.strip()]


def _codes(findings: dict[str, Any]) -> dict[str, float | int]:
    try:
        return check_record(findings)
    except CaseError:  # a reading the contract refuses is scored as reading nothing
        return {}


def decide_readings(findings: list[dict[str, Any]], model: ReadableModel):
    """The decision path on findings read from texts (as ``backclf predict --text``)."""
    return assess_batch(from_codes([_codes(f) for f in findings]), model)


def _polarity(cases: list[WrittenCase], predicted: list[dict[str, Any]]) -> dict[str, int]:
    """Gold yes/no findings read with the right polarity, the wrong one, or not at all."""
    counts = Counter()
    for case, got in zip(cases, predicted, strict=True):
        for finding, gold in case.findings.items():
            if not isinstance(gold, bool):
                continue
            side = "negative" if gold is False else "positive"
            value = got.get(finding)
            outcome = "right" if value == gold else "missed" if value is None else "wrong"
            counts[f"{side}_{outcome}"] += 1
    return dict(sorted(counts.items()))


@cache
def _stock_negex():
    """Stock negspacy: a sentencizer and its Negex with the ``en_clinical`` termset."""
    import spacy
    from negspacy.negation import Negex  # noqa: F401  (registers the "negex" factory)
    from negspacy.termsets import termset

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe(
        "negex",
        config={"neg_termset": termset("en_clinical").get_patterns(), "span_keys": ["stock"]},
    )
    return nlp


def _stock_values(doc) -> dict[str, bool]:
    """Stock negspacy's reading of the reader's own finding words in one text: a yes/no
    finding is present if any of its phrases is not negated (a "no"-phrase flips)."""
    from backclf.text.findings import LASTING, NEAR, PHRASE, SPANS, source_of

    nlp = _stock_negex()
    stock = nlp.make_doc(doc.text)
    spans = []
    for span in doc.spans.get(SPANS, []):
        finding, _, key = span.label_.partition("=")
        if FIELDS[finding].kind != "bool" or key == "ability":
            continue
        if source_of(span) not in (PHRASE, NEAR, LASTING):
            continue
        copy = stock.char_span(span.start_char, span.end_char, label=span.label_)
        if copy is not None:
            spans.append(copy)
    stock.spans["stock"] = spans
    for _, component in nlp.pipeline:
        stock = component(stock)
    values: dict[str, bool] = {}
    for span in stock.spans["stock"]:
        finding, _, key = span.label_.partition("=")
        value = (key != "false") != bool(span._.negex)
        values[finding] = values.get(finding, False) or value
    return values


def negation_side_by_side(cases: list[WrittenCase], docs, predicted) -> dict[str, Any]:
    """Polarity of the labelled yes/no findings whose words the reader found, by the reader
    and by stock negspacy over the same words (the same sentences)."""
    ours = stock = n = 0
    ours_negative = stock_negative = n_negative = 0
    for case, doc, got in zip(cases, docs, predicted, strict=True):
        theirs = _stock_values(doc)
        for finding, gold in case.findings.items():
            if not isinstance(gold, bool) or finding not in theirs:
                continue
            n += 1
            ours += got.get(finding) == gold
            stock += theirs[finding] == gold
            if gold is False:
                n_negative += 1
                ours_negative += got.get(finding) is False
                stock_negative += theirs[finding] is False
    return {
        "findings": n,
        "reader_right": ours,
        "stock_negspacy_right": stock,
        "reader_rate": _rate(ours, n),
        "stock_negspacy_rate": _rate(stock, n),
        "negated_findings": n_negative,
        "reader_right_on_negated": ours_negative,
        "stock_negspacy_right_on_negated": stock_negative,
    }


def modifier_scores(cases: list[WrittenCase], docs, predicted) -> dict[str, Any]:
    """For each ConText modifier: the finding mentions it applied to, and how often the
    mention's reading agrees with the labels: its value is the label (a cautious reading of
    an uncertain red flag agrees with a label that left it out), or it was dropped and the
    label is empty or was read right from other words."""
    from backclf.text.findings import NUMBER, SPANS, source_of
    from backclf.text.modifiers import context_of
    from backclf.text.reading import mention_of

    stats = {m: Counter() for m in MODIFIERS}
    wrong: dict[str, list[str]] = {m: [] for m in MODIFIERS}
    for case, doc, got in zip(cases, docs, predicted, strict=True):
        for span in doc.spans.get(SPANS, []):
            if source_of(span) == NUMBER:
                continue
            context = context_of(span)
            finding = span.label_.partition("=")[0]
            gold = case.findings.get(finding)
            mention = mention_of(doc, span)
            if mention is None:
                agrees = gold is None or _same(finding, got.get(finding), gold)
            else:
                agrees = _same(finding, mention.value, gold) or (mention.uncertain and gold is None)
            for m in MODIFIERS:
                if getattr(context, m) or (m == "uncertain" and context.ambiguous):
                    stats[m]["mentions"] += 1
                    stats[m]["agree"] += agrees
                    if not agrees:
                        wrong[m].append(case.id)
    return {
        m: {
            "mentions": stats[m]["mentions"],
            "agree_with_labels": stats[m]["agree"],
            "rate": _rate(stats[m]["agree"], stats[m]["mentions"]),
            "disagree": sorted(set(wrong[m])),
        }
        for m in MODIFIERS
    }


# Long on purpose: half of it is the report's shape, one dict literal, so every score's key
# and the rows it counts read in one place.
def written_set_scores(cases: list[WrittenCase], model: ReadableModel) -> dict[str, Any]:
    """Every score of one written set (see the module's docstring)."""
    from backclf.text.extract import pipeline
    from backclf.text.findings import SAFETY_NET
    from backclf.text.reading import read_doc

    docs = list(pipeline().pipe([c.text for c in cases]))
    readings = [read_doc(doc) for doc in docs]
    predicted = [r.findings for r in readings]
    decisions = decide_readings(predicted, model)
    without_net = [
        {f: v for f, v in r.findings.items() if f not in _net_findings(r.extracted, SAFETY_NET)}
        for r in readings
    ]
    plain_decisions = decide_readings(without_net, model)
    rank = decisions.level.tolist()
    rank_without_net = plain_decisions.level.tolist()
    low = [c.expect.triage_range[0] for c in cases]
    high = [c.expect.triage_range[1] for c in cases]
    flagged = [i for i, lo in enumerate(low) if lo > 0]
    plain = [i for i, lo in enumerate(low) if lo == 0]
    named = [i for i, c in enumerate(cases) if c.expect.cause is not None]
    chosen = [CAUSE_IDS[k] for k in decisions.chosen.tolist()]
    abstained = decisions.abstained.tolist()
    right = [i for i in named if not abstained[i] and chosen[i] == cases[i].expect.cause]
    raised = [i for i in range(len(cases)) if rank[i] > rank_without_net[i]]

    def ids(rows) -> list[str]:
        return [cases[i].id for i in rows]

    reached = [i for i in flagged if rank[i] >= low[i]]
    over = [i for i in plain if rank[i] > high[i]]
    return {
        "n": len(cases),
        "red_flag_cases_reaching_triage_min": {
            "reached": len(reached),
            "cases": len(flagged),
            "rate": _rate(len(reached), len(flagged)),
            "under": ids(i for i in flagged if rank[i] < low[i]),
        },
        "over_triage_plain": {
            "over": len(over),
            "cases": len(plain),
            "rate": _rate(len(over), len(plain)),
            "ids": ids(over),
        },
        "cause_first": {
            "right": len(right),
            "cases": len(named),
            "rate": _rate(len(right), len(named)),
            "misses": ids(i for i in named if i not in right),
        },
        "extraction": extraction_scores([c.findings for c in cases], predicted),
        "polarity": _polarity(cases, predicted),
        "negation_vs_stock_negspacy": negation_side_by_side(cases, docs, predicted),
        "modifiers": modifier_scores(cases, docs, predicted),
        "safety_net": {
            "cases_raised": len(raised),
            "plain_cases_raised_above_max": len(
                [i for i in raised if i in plain and rank[i] > high[i]]
            ),
            "red_flag_cases_reaching_min_only_through_it": len(
                [i for i in raised if i in flagged and rank_without_net[i] < low[i] <= rank[i]]
            ),
            "ids": ids(raised),
        },
    }


def _net_findings(extracted: list[dict[str, Any]], source: str) -> set[str]:
    return {e["finding"] for e in extracted if e.get("via") == source}
