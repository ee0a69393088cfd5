"""The promotion gate: does a new model replace the champion? A decision, with its reasons.

Both models are scored on the same cases (this run's test set) by the same metric functions,
so the comparison is like for like even when the champion was trained on other data. The
candidate becomes the champion only if

- no case with a red flag ends at self-care (always: a safety rule, not a parameter), and
- it is not worse than the champion beyond the tolerances in ``params.yaml``
  (``publish.gate``): test accuracy, expected calibration error (ECE), and the share of
  pyelonephritis cases triaged below ``consultation_24``.

With no champion yet, the safety rule alone decides. Otherwise the candidate is a challenger,
and the reasons say which criterion failed and by how much.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from backclf.contract.columns import Columns
from backclf.core.model import ReadableModel

CHAMPION, CHALLENGER = "champion", "challenger"


@dataclass(frozen=True)
class GateMetrics:
    accuracy: float
    ece: float
    red_flag_cases_at_self_care: int
    pyelonephritis_under_triage_rate: float

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Tolerances:
    accuracy_drop: float
    ece_rise: float
    pyelonephritis_under_triage_rise: float

    @classmethod
    def from_params(cls, gate: dict[str, Any]) -> Tolerances:
        return cls(**{k: float(v) for k, v in gate.items()})


@dataclass(frozen=True)
class Decision:
    promote: bool
    reasons: tuple[str, ...]

    @property
    def alias(self) -> str:
        return CHAMPION if self.promote else CHALLENGER

    def summary(self) -> str:
        verdict = "promoted to @champion" if self.promote else "kept as @challenger"
        return f"{verdict}: " + "; ".join(self.reasons)


def measure(
    model: ReadableModel,
    columns: Columns,
    y,
    red_flag_added,
    ece_bins: int,
) -> GateMetrics:
    """The gate's metrics of one model on labelled cases (the evaluate stage's functions)."""
    from backclf.pipeline.metrics import classification_metrics, triage_audit

    proba = model.predict_proba(model.encode(columns))
    scores = classification_metrics(proba, y, model.abstain_below, ece_bins)
    audit = triage_audit(columns, model, y, red_flag_added)
    return GateMetrics(
        accuracy=scores["accuracy"],
        ece=scores["ece"],
        red_flag_cases_at_self_care=audit["red_flag_cases_at_self_care"],
        pyelonephritis_under_triage_rate=audit["pyelonephritis_under_triage_rate"],
    )


def decide(candidate: GateMetrics, champion: GateMetrics | None, tol: Tolerances) -> Decision:
    """Promote or not, with one reason per criterion that failed (or why it passed)."""
    failures = []
    if candidate.red_flag_cases_at_self_care > 0:
        failures.append(
            f"{candidate.red_flag_cases_at_self_care} red-flag cases end at self-care (must be 0)"
        )
    if champion is None:
        if failures:
            return Decision(False, tuple(failures))
        return Decision(True, ("no champion yet; no red-flag case ends at self-care",))

    drop = round(champion.accuracy - candidate.accuracy, 6)
    if drop > tol.accuracy_drop:
        failures.append(
            f"test accuracy {candidate.accuracy:.4f} is {100 * drop:.2f} points below the "
            f"champion's {champion.accuracy:.4f} (tolerance {100 * tol.accuracy_drop:.2f})"
        )
    rise = round(candidate.ece - champion.ece, 6)
    if rise > tol.ece_rise:
        failures.append(
            f"ECE {candidate.ece:.4f} is {rise:.4f} above the champion's {champion.ece:.4f} "
            f"(tolerance {tol.ece_rise:.4f})"
        )
    under = round(
        candidate.pyelonephritis_under_triage_rate - champion.pyelonephritis_under_triage_rate, 6
    )
    if under > tol.pyelonephritis_under_triage_rise:
        failures.append(
            f"pyelonephritis under-triage {candidate.pyelonephritis_under_triage_rate:.2%} is "
            f"{100 * under:.2f} points above the champion's "
            f"{champion.pyelonephritis_under_triage_rate:.2%} "
            f"(tolerance {100 * tol.pyelonephritis_under_triage_rise:.2f})"
        )
    if failures:
        return Decision(False, tuple(failures))
    return Decision(
        True,
        (
            f"not worse than the champion beyond tolerance (test accuracy "
            f"{candidate.accuracy:.4f} vs {champion.accuracy:.4f}, ECE {candidate.ece:.4f} vs "
            f"{champion.ece:.4f}, pyelonephritis under-triage "
            f"{candidate.pyelonephritis_under_triage_rate:.2%} vs "
            f"{champion.pyelonephritis_under_triage_rate:.2%}); no red-flag case ends at "
            "self-care",
        ),
    )
