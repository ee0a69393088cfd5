"""Polarity on public negation data: the NegEx test sentences (Chapman et al.) whose
condition is a backclf finding (``tests/data/negex``, with its provenance and licence).

Each sentence names one condition a physician annotated as affirmed or negated. The reader
reads the whole sentence as it reads any text and must find the finding with the right
polarity (not finding it is a miss); stock negspacy (its ``en_clinical`` termset, a
sentencizer) is given the condition's own words as its entity, so it only has to say
whether they are negated. Same sentences, same labels.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from backclf.contract.fields import FIELDS


def load_negex(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def polarity(finding: str, value: Any) -> bool | None:
    """Whether a reading says the finding is present (a list-valued finding such as the leg
    pain is present unless "none"), or ``None`` when nothing was read."""
    if value is None:
        return None
    if FIELDS[finding].kind == "bool":
        return bool(value)
    return value != "none"


@cache
def _stock():
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


def stock_negspacy_present(sentence: str, concept: str, affirmed_means_present: bool) -> bool:
    """Stock negspacy's polarity for the finding: whether the condition's words are negated."""
    nlp = _stock()
    doc = nlp.make_doc(sentence)
    at = sentence.lower().find(concept.lower())
    span = doc.char_span(at, at + len(concept), alignment_mode="expand") if at >= 0 else None
    doc.spans["stock"] = [span] if span is not None else []
    for _, component in nlp.pipeline:
        doc = component(doc)
    negated = bool(doc.spans["stock"] and doc.spans["stock"][0]._.negex)
    return (not negated) == affirmed_means_present


def negex_scores(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The reader's and stock negspacy's polarity on the sentences, side by side."""
    from backclf.text.extract import extract_many

    readings = extract_many([r["sentence"] for r in records], workers=1)
    ours = stock = 0
    misses: list[dict[str, Any]] = []
    for record, reading in zip(records, readings, strict=True):
        finding, present = record["finding"], record["present"]
        affirmed_means_present = (record["annotation"] == "Affirmed") == present
        read = polarity(finding, reading.findings.get(finding))
        theirs = stock_negspacy_present(
            record["sentence"], record["concept"], affirmed_means_present
        )
        ours += read == present
        stock += theirs == present
        if read != present:
            misses.append({"kit_line": record["kit_line"], "expected": present, "read": read})
    n = len(records)
    return {
        "sentences": n,
        "reader_right": ours,
        "stock_negspacy_right": stock,
        "reader_rate": round(ours / n, 4) if n else 1.0,
        "stock_negspacy_rate": round(stock / n, 4) if n else 1.0,
        "negated_sentences": sum(not r["present"] for r in records),
        "reader_misses": misses,
    }
