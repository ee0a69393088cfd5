"""Simulated interviews: generated patients answer backclf's questions from their own findings.

Every patient of a set is interviewed at once, a step at a time. A step asks each patient one
question: the safety checklist while it is pending (all its items in one question), then its
follow-ups, then a discrimination question chosen by a *strategy*:

- ``policy``: the question policy of the model file (:mod:`backclf.core.policy`);
- ``entropy``: the same, but choosing by information about the cause alone (greedy entropy
  reduction, the reference the issue names);
- ``fixed``: the first unanswered finding in the form's order (the contract's);
- ``random``: an unanswered finding at random (seeded);
- ``screen``: none (the safety screen alone).

A patient answers from the vignette: its value where the vignette has one, "don't know"
where it is unknown. Every assessment goes through :func:`backclf.core.decide.assess_batch`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from backclf.contract.columns import Columns
from backclf.contract.fields import FIELD_NAMES
from backclf.core.decide import assess_batch
from backclf.core.model import ReadableModel
from backclf.core.policy import answer_table, plan_questions
from backclf.core.red_flags import rule_set
from backclf.core.screen import screen, still_open, unknown

STRATEGIES = ("policy", "entropy", "fixed", "random", "screen")
#: Patients assessed at once (the hypothetical differentials take n x answers x causes).
CHUNK = 8192


@dataclass
class Interviews:
    """The state of a set of interviews: what each patient has told so far."""

    truth: Columns  # the vignettes' findings: the answers
    known: Columns  # what has been told (starting point plus answers)
    told_in_text: bool = False  # the starting point was read from the person's words
    asked: dict[str, np.ndarray] = field(default_factory=dict)  # answered "don't know"
    from_text: dict[str, np.ndarray] = field(default_factory=dict)  # read, not answered
    questions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    finished: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def __post_init__(self) -> None:
        n = len(next(iter(self.truth.values())))
        self.known = {name: col.copy() for name, col in self.known.items()}
        self.asked = {name: np.zeros(n, bool) for name in FIELD_NAMES}
        self.from_text = {
            name: ~unknown(self.known, name) & self.told_in_text for name in FIELD_NAMES
        }
        self.questions = np.zeros(n, np.int64)
        self.finished = np.zeros(n, bool)

    def __len__(self) -> int:
        return len(self.questions)

    def answer(self, finding: str, rows: np.ndarray) -> None:
        """The patients of ``rows`` answer ``finding`` from their vignettes."""
        told = self.truth[finding][rows]
        self.known[finding][rows] = told
        self.from_text[finding][rows] = False
        dont_know = unknown({finding: told}, finding)
        self.asked[finding][rows[dont_know]] = True


def start_from(truth: Columns, findings: tuple[str, ...]) -> Columns:
    """What patients tell before any question: only ``findings`` of their vignettes."""
    out = {}
    for name, col in truth.items():
        out[name] = (
            col.copy()
            if name in findings
            else np.full_like(col, np.nan if col.dtype.kind == "f" else -1)
        )
    return out


def step(
    model: ReadableModel,
    state: Interviews,
    strategy: str,
    stopping: bool,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Ask every unfinished patient one question; the rows that were asked one."""
    rows_asked = []
    for start in range(0, len(state), CHUNK):
        rows = np.arange(start, min(start + CHUNK, len(state)))
        rows = rows[~state.finished[rows]]
        if len(rows):
            rows_asked.append(_step_rows(model, state, rows, strategy, stopping, rng))
    asked = np.concatenate(rows_asked) if rows_asked else np.zeros(0, np.int64)
    state.questions[asked] += 1
    done = np.ones(len(state), bool)
    done[asked] = False
    state.finished |= done
    return asked


def _step_rows(model, state, rows, strategy, stopping, rng) -> np.ndarray:
    known = {name: col[rows] for name, col in state.known.items()}
    asked = {name: col[rows] for name, col in state.asked.items()}
    read = {name: col[rows] for name, col in state.from_text.items()}
    decisions = assess_batch(known, model)
    plan = plan_questions(
        model,
        decisions.columns,
        decisions.x,
        decisions.proba,
        decisions.level,
        asked,
        listed=1,
        stopping=stopping and strategy in ("policy", "entropy"),
        objective="information" if strategy == "entropy" else "decision",
        from_text=read,
    )
    checklist = plan.checklist.any(axis=1)
    follow = plan.follow_up.any(axis=1) & ~checklist
    for j, finding in enumerate(screen().checklist):
        state.answer(finding, rows[checklist & plan.checklist[:, j]])
    first_follow = plan.follow_up.argmax(axis=1)
    for j, finding in enumerate(screen().follow_up):
        state.answer(finding, rows[follow & (first_follow == j)])
    table = plan.table
    rest = ~checklist & ~follow
    if strategy in ("policy", "entropy"):
        choice = plan.ranked[:, 0] if plan.ranked.shape[1] else np.full(len(rows), -1)
    elif strategy == "screen":
        choice = np.full(len(rows), -1)
    else:
        choice = _baseline_choice(decisions.columns, asked, table.findings, strategy, rng)
    choice = np.where(rest, choice, -1)
    for g, finding in enumerate(table.findings):
        state.answer(finding, rows[choice == g])
    return rows[checklist | follow | (choice >= 0)]


def _baseline_choice(columns, asked, findings, strategy, rng) -> np.ndarray:
    """The fixed (form) order's or a random choice among the unanswered findings."""
    open_ = np.column_stack([still_open(columns, f, asked, {}) for f in findings])
    if strategy == "fixed":
        form = np.argsort([FIELD_NAMES.index(f) for f in findings], kind="stable")
        ordered = open_[:, form]
        first = ordered.argmax(axis=1)
        return np.where(ordered.any(axis=1), form[first], -1)
    if strategy == "random":
        keys = np.where(open_, rng.random(open_.shape), -1.0)
        return np.where(open_.any(axis=1), keys.argmax(axis=1), -1)
    raise ValueError(f"strategy must be one of {STRATEGIES}")


def predictions(model: ReadableModel, state: Interviews) -> tuple[np.ndarray, np.ndarray]:
    """Each patient's named cause (arg-max) and triage rank from what they have told."""
    decisions = assess_batch(state.known, model)
    return decisions.chosen, decisions.level


def rule_ranks(columns: Columns) -> np.ndarray:
    """The most urgent red-flag rule's rank per case (-1 where none fires)."""
    from backclf.contract.columns import derive

    columns = dict(columns)
    derive(columns)
    rules = rule_set()
    return rules.rank(rules.fired(columns))


def has_policy(model: ReadableModel) -> bool:
    return answer_table(model) is not None
