"""The question policy: what to ask each case of a batch next, computed for the whole batch.

1. **Safety first**: the red-flag checklist, then its follow-ups (:mod:`backclf.core.screen`),
   each asked alone (their answers change what is worth asking next).
2. **Then the question most likely to make the named cause right.** The policy's belief
   ``b`` about the cause is the model file's answer rates, P(answer | cause), combined over
   the answers given so far (a finding not yet asked counts for nothing; "don't know" counts
   as the answer it is). For each unanswered finding ``f``:

       gain(f) = Σ_a P(a) · b(D_a | a)  -  b(D)   +   λ · I(f; cause)

   ``D`` is the cause the model names now and ``D_a`` the one it would name after answer
   ``a``; ``P(a) = Σ_c b(c) P(a | c)``. The first part is the expected rise in the chance
   that the model's named cause is right (the decision itself), the second (weight ``λ``,
   ``information_weight``) the information the answer gives about the cause, which breaks
   the ties of the first (often no single answer changes the named cause, yet two would).
   Why a belief of its own: the model reads an unasked finding as the answer "unknown", and
   its intercept was fitted where most findings are answered, so early in an interview it is
   overconfident; the answer rates marginalise an unasked finding exactly.
3. **Stopping**: no more questions (besides the screen) when the model's named cause is at
   least ``confidence`` likely, when all unanswered findings together could tell less than
   ``min_information`` nats about the cause (the sum of their informations bounds what they
   can tell jointly), or when ``max_answered`` findings the model reads are answered; and once
   a red flag has set a triage level at or above ``urgent_stop`` (the person should go now),
   no question but the safety questions of rules above that level (did you faint? is the pain
   severe, with the pulsating lump?), which can still call an ambulance.

Stateless: what has been asked is read off the case itself (a known value, or an explicit
"don't know"), so the same case gives the same questions through any way in. Everything is
a few matrix products per batch: no per-case Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np

from backclf import knowledge
from backclf.contract.columns import Columns, take
from backclf.contract.fields import FIELDS
from backclf.core.conditions import COLUMN, ConditionSet, small_batch_values
from backclf.core.model import LinearModel, ReadableModel
from backclf.core.model_file import UNKNOWN_ANSWER
from backclf.core.red_flags import Check, compile_condition
from backclf.core.screen import screen, still_open, unknown
from backclf.knowledge import TRIAGE_LEVELS

#: What a discrimination question is chosen by (see the module's docstring).
OBJECTIVES = ("decision", "information")
#: Rows of hypothetical cases evaluated at once for models without additive logits (trees).
_BLOCK = 256


@dataclass(frozen=True, eq=False)
class AnswerTable:
    """A model file's answer rates as arrays, over all answers ``q`` of all findings ``g``.

    ``member[q, g]``: answer q is one of finding g's; ``feature[q]``: the model feature it
    sets (-1: none); ``rates[q, c]`` = P(q | c); ``information[g, c]`` = Σ_q P log P over g's
    answers (minus the entropy of g's answer under cause c); ``delta[q]``: the change answer
    q makes to a linear model's calibrated logits (``None`` for other models)."""

    findings: tuple[str, ...]
    member: np.ndarray  # (Q, G) float 0/1
    feature: np.ndarray  # (Q,)
    rates: np.ndarray  # (Q, K)
    log_rates: np.ndarray  # (Q, K)
    information: np.ndarray  # (G, K)
    unknown_answer: np.ndarray  # (G,) the row of each finding's "unknown" answer
    featureless: tuple[tuple[int, str, int], ...]  # (q, finding, code): answers without features
    position: dict[str, int]  # each finding's index in ``findings``
    log_prior: np.ndarray  # (K,)
    delta: np.ndarray | None
    column: np.ndarray  # (G,) each finding's column in conditions.finding_values


@cache
def answer_table(model: ReadableModel) -> AnswerTable | None:
    """The compiled answer rates of a model (``None`` if its file has none)."""
    policy = model.file.interview
    if policy is None or not policy.answers:
        return None
    index = {f.name: j for j, f in enumerate(model.features)}
    classes = model.file.classes
    findings, owner, feature, rates, unknown_rows, featureless = [], [], [], [], [], []
    for g, entry in enumerate(policy.answers):
        findings.append(entry.finding)
        spec = FIELDS[entry.finding]
        for answer in entry.answers:
            q = len(feature)
            owner.append(g)
            feature.append(index[answer.feature] if answer.feature is not None else -1)
            rates.append([answer.p[c] for c in classes])
            if answer.answer == UNKNOWN_ANSWER:
                unknown_rows.append(q)
            elif answer.feature is None and spec.kind in ("bool", "enum"):
                values = ("no", "yes") if spec.kind == "bool" else spec.values
                if answer.answer in values:
                    featureless.append((q, entry.finding, values.index(answer.answer)))
    rates_arr = np.array(rates, dtype=np.float64)
    member = np.zeros((len(feature), len(findings)))
    member[np.arange(len(feature)), owner] = 1.0
    log_rates = np.log(rates_arr)
    feature_arr = np.array(feature, dtype=np.int64)
    delta = None
    if isinstance(model, LinearModel):
        w = model.weights / (model.scale * model.temperature)  # (K, F)
        delta = np.where(feature_arr[:, None] >= 0, w.T[np.maximum(feature_arr, 0)], 0.0)
    prior = np.array([policy.prior[c] for c in classes])
    return AnswerTable(
        tuple(findings),
        member,
        feature_arr,
        rates_arr,
        log_rates,
        member.T @ (rates_arr * log_rates),
        np.array(unknown_rows),
        tuple(featureless),
        {f: g for g, f in enumerate(findings)},
        np.log(prior),
        delta,
        np.array([COLUMN[f] for f in findings], dtype=np.int64),
    )


def beliefs(
    table: AnswerTable, x: np.ndarray, columns: Columns, asked: Mapping[str, np.ndarray]
) -> np.ndarray:
    """``(n, K)``: P(cause | the answers given), from the prior and the answer rates."""
    answered = np.zeros((len(x), len(table.feature)))
    sets = table.feature >= 0
    answered[:, sets] = x[:, table.feature[sets]]
    for q, finding, code in table.featureless:
        answered[:, q] = columns[finding] == code
    for g, finding in enumerate(table.findings):
        if finding in asked:
            answered[:, table.unknown_answer[g]] = asked[finding] & unknown(columns, finding)
    log_b = table.log_prior + answered @ table.log_rates
    log_b -= log_b.max(axis=1, keepdims=True)
    b = np.exp(log_b)
    return b / b.sum(axis=1, keepdims=True)


def chance_named_right_after(
    model: ReadableModel, x: np.ndarray, proba: np.ndarray, b: np.ndarray, table: AnswerTable
) -> np.ndarray:
    """``(n, Q)``: for each possible answer, P(answer) times the belief in the cause the model
    would name after it, Σ_c b(c) P(a | c) [c = D_a] = b(D_a) P(a | D_a).

    Only unanswered findings are asked, so an answer turns on its one feature (or none, and
    then the model names the same cause); for a linear model that adds a fixed vector to the
    calibrated logits, and the named cause is a running arg-max over the causes."""
    named = proba.argmax(axis=1)
    # An answer that sets no feature leaves the named cause as it is.
    out = b[np.arange(len(b)), named][:, None] * table.rates.T[named]
    sets = np.flatnonzero(table.feature >= 0)
    if table.delta is not None:
        log_p = np.log(np.clip(proba, 1e-300, None))
        delta, rates = table.delta[sets], table.rates[sets]
        best = log_p[:, 0, None] + delta[None, :, 0]
        right = b[:, 0, None] * rates[None, :, 0]
        for c in range(1, proba.shape[1]):
            logit = log_p[:, c, None] + delta[None, :, c]
            better = logit > best
            np.copyto(best, logit, where=better)
            np.copyto(right, b[:, c, None] * rates[None, :, c], where=better)
        out[:, sets] = right
        return out
    for start in range(0, len(x), _BLOCK):
        block = x[start : start + _BLOCK]
        xs = np.repeat(block[:, None, :], len(sets), axis=1)
        xs[:, np.arange(len(sets)), table.feature[sets]] = 1.0
        after = model.logits(xs.reshape(-1, x.shape[1])).argmax(axis=1).reshape(len(block), -1)
        rows = np.arange(start, start + len(block))[:, None]
        out[start : start + _BLOCK, sets] = b[rows, after] * table.rates[sets[None, :], after]
    return out


def information(b: np.ndarray, table: AnswerTable) -> np.ndarray:
    """``(n, G)``: what each finding's answer would tell about the cause, I(answer; cause)
    = H(answer) - H(answer | cause), in nats."""
    chance = b @ table.rates.T  # (n, Q): P(answer)
    spread = chance * np.log(np.clip(chance, 1e-300, None))
    return b @ table.information.T - spread @ table.member


def decision_gain(
    model: ReadableModel, x: np.ndarray, proba: np.ndarray, b: np.ndarray, table: AnswerTable
) -> np.ndarray:
    """``(n, G)``: the expected rise in the chance that the named cause is right."""
    right_now = b[np.arange(len(b)), proba.argmax(axis=1)]
    after = chance_named_right_after(model, x, proba, b, table) @ table.member
    return after - right_now[:, None]


@dataclass(frozen=True)
class Plan:
    """The questions for each case of a batch. ``checklist`` and ``follow_up`` are masks over
    :func:`screen`'s findings; ``ranked[i]`` the discrimination findings (indices into the
    answer table's findings, best first, -1 after the last) and ``gain[i]`` their gains."""

    checklist: np.ndarray  # (n, C) bool
    follow_up: np.ndarray  # (n, U) bool
    ranked: np.ndarray  # (n, L) int
    gain: np.ndarray  # (n, L) float
    table: AnswerTable | None


@cache
def _skip_checks() -> dict[str, Check]:
    """``skip_when`` of questions.yaml, compiled like the red-flag rules."""
    bank = knowledge.question_bank().questions
    return {
        finding: compile_condition(q.skip_when, f"questions.yaml {finding}.skip_when")
        for finding, q in bank.items()
        if q.skip_when is not None
    }


@cache
def _skip_conditions() -> tuple[tuple[str, ...], ConditionSet]:
    """``skip_when`` of questions.yaml compiled for batches once (checked by
    :func:`_skip_checks`)."""
    bank = knowledge.question_bank().questions
    findings = tuple(_skip_checks())
    return findings, ConditionSet.of([bank[f].skip_when for f in findings])


def not_applicable(columns: Columns, values: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per finding with a ``skip_when``, the cases whose question does not apply."""
    if values is None:
        values = small_batch_values(columns)
    if values is None:
        return {finding: check(columns) for finding, check in _skip_checks().items()}
    findings, conditions = _skip_conditions()
    holds = conditions.holds(values)
    return {finding: holds[:, j] for j, finding in enumerate(findings)}


# Long on purpose: one vectorised pass over every case, each step narrowing the rows (and
# their beliefs and information) the next step scores; split, the helpers would pass the
# same arrays back and forth and hide the order of the stopping rule's tests.
def plan_questions(
    model: ReadableModel,
    columns: Columns,
    x: np.ndarray,
    proba: np.ndarray,
    level: np.ndarray,
    asked: Mapping[str, np.ndarray],
    listed: int | None = None,
    stopping: bool = True,
    objective: str = "decision",
    from_text: Mapping[str, np.ndarray] | None = None,
    values: np.ndarray | None = None,
) -> Plan:
    """The questions to ask each case next (see the module's docstring).

    ``asked[f]`` marks the cases that answered finding ``f`` "don't know" and ``from_text[f]``
    those whose value was read from free text (a red flag read as absent is asked again).
    ``listed`` caps how many discrimination questions are ranked (default: the model
    file's); with ``stopping=False`` the stopping rule is ignored (to draw accuracy curves).
    The ``objective`` ``information`` ranks by information alone: greedy entropy reduction,
    the reference the evaluation compares with. ``values``: the batch's
    :func:`~backclf.core.conditions.finding_values`, if already read."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}")
    n = len(proba)
    policy = model.file.interview
    if values is None:
        values = small_batch_values(columns)
    skipped = not_applicable(columns, values)
    urgent = TRIAGE_LEVELS.index(policy.urgent_stop if policy else "emergency")
    going_now = level >= urgent
    above = np.where(going_now, level, -1)
    checklist, follow_up = screen().pending(columns, asked, skipped, from_text, above, values)
    table = answer_table(model)
    width = listed if listed is not None else (policy.listed if policy else 0)
    if table is None or width == 0 or n == 0:
        empty = np.zeros((n, 0))
        return Plan(checklist, follow_up, empty.astype(np.int64), empty, table)

    if values is None:  # a large batch: one finding's cases at a time
        open_ = np.column_stack(
            [still_open(columns, f, asked, skipped) for f in table.findings]
        ).reshape(n, len(table.findings))
    else:
        open_ = np.isnan(values[:, table.column])  # (n, G) unknown ...
        for marks in (asked, skipped):  # ... not answered "don't know", and applicable
            for finding, mask in marks.items():
                if finding in table.position:
                    open_[:, table.position[finding]] &= ~mask
    # While a safety question is pending it is asked alone: its answers change what to ask.
    rows = np.flatnonzero(open_.any(axis=1) & ~checklist.any(axis=1) & ~follow_up.any(axis=1))
    if stopping:
        rows = rows[~going_now[rows]]
        rows = rows[(~open_[rows]).sum(axis=1) < policy.stop.max_answered]
    if len(rows) == 0:  # no case asks a discrimination question (a screen pending, ...)
        width = min(width, open_.shape[1])
        none = np.zeros((n, width))
        return Plan(checklist, follow_up, np.full((n, width), -1, dtype=np.int64), none, table)
    gain = np.full(open_.shape, -np.inf)
    b = beliefs(table, x[rows], take(columns, rows), {f: m[rows] for f, m in asked.items()})
    informs = information(b, table)
    if stopping:
        named = b[np.arange(len(rows)), proba[rows].argmax(axis=1)]
        enough = np.where(open_[rows], informs, 0.0).sum(axis=1) < policy.stop.min_information
        keep = (named < policy.stop.confidence) & ~enough
        rows, b, informs = rows[keep], b[keep], informs[keep]
    if objective == "information":
        gain[rows] = informs
    elif len(rows):
        decision = decision_gain(model, x[rows], proba[rows], b, table)
        gain[rows] = decision + policy.information_weight * informs
    gain[~open_] = -np.inf
    width = min(width, gain.shape[1])
    order = np.argsort(-gain, axis=1, kind="stable")[:, :width]
    best = np.take_along_axis(gain, order, axis=1)
    finite = np.isfinite(best)
    return Plan(
        checklist, follow_up, np.where(finite, order, -1), np.where(finite, best, 0.0), table
    )
