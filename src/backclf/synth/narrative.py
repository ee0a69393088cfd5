"""Narrative text for generated vignettes, from the phrases of ``narrative.yaml``.

Each text is in lay or clinical words (chosen at random), states every known finding,
negates every finding that is false, and says nothing of unknown findings. Row ``i`` uses
its own counter-based random stream, so texts are deterministic for a seed whatever the
chunking. ``family`` picks one of two disjoint phrase families (``train``, ``heldout``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from backclf import knowledge
from backclf.contract.columns import Columns
from backclf.contract.fields import FIELDS
from backclf.contract.rules import decode
from backclf.synth.streams import STREAM_TEXT, draws

FAMILIES = ("train", "heldout")
STYLES = ("lay", "clinical")


@cache
def narrative_spec() -> knowledge.Narrative:
    """narrative.yaml, checked against the contract: every finding and value it names exists."""
    spec = knowledge.narrative()
    for finding, values in spec.phrases.items():
        if finding not in FIELDS:
            raise ValueError(f"narrative.yaml names unknown finding {finding!r}")
        allowed = _value_keys(finding)
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"narrative.yaml: {finding} has no value {sorted(unknown)[0]!r}")
    return spec


def _value_keys(finding: str) -> set[str]:
    spec = FIELDS[finding]
    if spec.kind == "bool":
        return {"true", "false"}
    return set(spec.values) if spec.kind == "enum" else {"value"}


def _pick(options: list[str], u: float) -> str:
    return options[min(int(u * len(options)), len(options) - 1)]


def _value_key(finding: str, value: Any) -> str:
    kind = FIELDS[finding].kind
    if kind == "bool":
        return "true" if value else "false"
    if kind == "enum":
        return value
    return "value"


def _format_number(finding: str, value: Any) -> str:
    return f"{value:.1f}" if finding == "temperature_c" else f"{value:g}"


def render_one(findings: dict[str, Any], u: np.ndarray, family: str) -> str:
    """The text of one case from its known findings and its row of uniforms."""
    spec = narrative_spec()
    style = STYLES[int(u[0] >= 0.5)]
    age, sex = findings.get("age"), findings.get("sex")
    which = "both" if age and sex else "age" if age else "sex" if sex else "none"
    sex_word = spec.sex_words[style].get(sex, "")
    intro = _pick(getattr(spec.intro[style][family], which), u[1]).format(
        age=age, sex=sex_word, Sex=sex_word.capitalize()
    )
    clauses = []
    slots = []
    for j, (finding, values) in enumerate(spec.phrases.items()):
        if finding not in findings:
            continue
        value = findings[finding]
        styled = getattr(values[_value_key(finding, value)], style)
        phrase = _pick(getattr(styled, family), u[2 + j])
        if "{v}" in phrase:
            phrase = phrase.replace("{v}", _format_number(finding, value))
        clauses.append(phrase)
        slots.append(u[64 + j % 60])
    clauses = [clauses[k] for k in np.argsort(slots, kind="stable")]
    if not clauses:
        return intro
    joiner = ", " if style == "lay" else "; "
    body = joiner.join(clauses)
    return f"{intro} {body[0].upper()}{body[1:]}."


def render_texts(columns: Columns, seed: int, start: int, family: str) -> list[str]:
    """Texts for rows ``start ..`` of a generated chunk."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}")
    n = len(next(iter(columns.values())))
    u = draws(seed, STREAM_TEXT, start, n)
    names = list(FIELDS)
    specs = [FIELDS[name] for name in names]
    cols = [columns[name] for name in names]
    texts = []
    for i in range(n):
        findings = {}
        for name, spec, col in zip(names, specs, cols, strict=True):
            value = decode(spec, col[i])
            if value is not None:
                findings[name] = value
        texts.append(render_one(findings, u[i], family))
    return texts
