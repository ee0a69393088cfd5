"""The model file's ``typicality`` section, from the generator's exact tables.

For every finding whose table depends on the cause, and every answer to it, the answer's cost
under each cause: log P(the cause's most likely answer) - log P(this answer), over answered
values (``generator.yaml``'s "unknown" mass is left out: an unanswered question is no
evidence). Answers that are equally likely under every cause carry no evidence about the cause
and are left out. The threshold is the score that the stated share of held-out plain cases
(no red flag added) reach (:mod:`backclf.core.typicality` reads both).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backclf import knowledge
from backclf.contract.columns import Columns, take
from backclf.contract.fields import FIELDS
from backclf.core.model_file import ModelFile, Typicality
from backclf.core.typicality import compile_section, table_scores
from backclf.knowledge import CAUSE_IDS
from backclf.synth.sampler import GeneratorTables, default_tables

#: Costs are written to this many decimals (the file stays readable and byte-stable).
DIGITS = 4


def answer_costs(world: GeneratorTables | None = None) -> list[dict[str, Any]]:
    """Every informative finding's answers with their cost under each cause."""
    k = len(CAUSE_IDS)
    out = []
    for table in (world or default_tables()).tables:
        if not table.informative:
            continue
        p = table.probs[:k, :-1]
        p = p / p.sum(axis=1, keepdims=True)  # of answered
        with np.errstate(divide="ignore"):
            cost = np.log(p.max(axis=1, keepdims=True)) - np.log(p)
        answers = []
        for v, value in enumerate(table.values[:-1]):
            if np.allclose(p[:, v], p[0, v]) or not np.isfinite(cost[:, v]).all():
                continue  # no evidence about the cause (or never drawn: nothing to compare)
            where: dict[str, Any]
            if FIELDS[table.finding].numeric:
                edges = knowledge.findings_info().bins[table.finding].edges
                where = {"low": float(edges[v]), "high": float(edges[v + 1])}
            else:
                where = {"code": int(table.codes[v])}
            costs = {c: round(float(cost[i, v]), DIGITS) for i, c in enumerate(CAUSE_IDS)}
            answers.append({"answer": value, **where, "cost": costs})
        if answers:
            out.append({"finding": table.finding, "answers": answers})
    return out


def typicality_section(
    columns: Columns, red_flag_added: np.ndarray, plain_share: float
) -> dict[str, Any]:
    """The section, its threshold calibrated so that ``plain_share`` of the plain cases of
    ``columns`` (a held-out set) reach it."""
    findings = answer_costs()
    draft = Typicality(threshold=1.0, fitted_on="", findings=findings)
    plain = take(columns, np.flatnonzero(~red_flag_added))
    scores = table_scores(compile_section(draft), plain)
    threshold = round(float(np.quantile(scores, 1 - plain_share)), DIGITS)
    return {
        "threshold": threshold,
        "fitted_on": (
            f"generator.yaml (exact tables); threshold reached by {plain_share:.1%} of the "
            "validation set's plain cases"
        ),
        "findings": findings,
    }


def with_typicality(file: ModelFile, section: dict[str, Any]) -> ModelFile:
    """A model file with the typicality section."""
    return file.model_copy(update={"typicality": Typicality.model_validate(section)})
