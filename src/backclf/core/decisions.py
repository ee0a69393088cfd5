"""The decisions for a batch of cases, as arrays: what :func:`backclf.core.decide.assess_batch`
returns and every output (records, tables, metrics) is built from."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from backclf.contract.columns import Columns
from backclf.core.model import ReadableModel
from backclf.core.policy import Plan, plan_questions


@dataclass
class Decisions:
    """The decisions for a batch of cases, as arrays (row ``i`` is case ``i``)."""

    proba: np.ndarray  # (n, K) calibrated differential
    chosen: np.ndarray  # (n,) index of the most probable cause
    abstained: np.ndarray  # (n,) bool: top probability under the model's threshold
    fired: np.ndarray  # (n, R) bool: red-flag rules that fire
    level: np.ndarray  # (n,) triage rank (index into TRIAGE_LEVELS)
    overridden: np.ndarray  # (n,) bool: a red flag set the level
    x: np.ndarray  # (n, F) features
    model: ReadableModel
    columns: Columns  # the findings decided on (fever derived from the temperature)
    asked: dict[str, np.ndarray] = field(default_factory=dict)  # (n,) "don't know" answers
    from_text: dict[str, np.ndarray] = field(default_factory=dict)  # (n,) read from free text
    #: answers that disagreed, resolved towards safety: {row: [conflict]} (contract/conflicts)
    conflicts: dict[int, list[dict]] = field(default_factory=dict)
    # (n, K) bool: the causes whose level the model set (escalation.model_levels); None: none
    raised: np.ndarray | None = None
    # (n,) bool: presentations unlike all of the article's causes (typicality.unusual)
    unusual: np.ndarray | None = None
    # (n, len(FIELD_NAMES)) the findings as one matrix (conditions.finding_values); None: not read
    values: np.ndarray | None = None
    # (n,) bool: a sign of the kidney-infection picture (red_flags.infection_sign); None: not read
    infection_sign: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.chosen)

    @cached_property
    def effects(self) -> np.ndarray:
        """(n, F) signed effect of each feature on the chosen cause (computed when asked)."""
        return self.model.effects(self.x, self.proba, self.chosen)

    @cached_property
    def plan(self) -> Plan:
        """The questions to ask next (computed when asked)."""
        return plan_questions(
            self.model,
            self.columns,
            self.x,
            self.proba,
            self.level,
            self.asked,
            from_text=self.from_text,
            values=self.values,
        )
