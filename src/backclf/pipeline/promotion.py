"""The promotion gate: does a new model replace the champion? A decision, with its reasons.

Both models are scored on **common ground**, the same fixed reference data whatever world
the new model was trained in (:class:`Reference`): the default world's test split
(``data/reference.parquet``, fixed in ``params.yaml`` ``generate.reference``), the
development vignettes and the dangerous-presentation audit. An experiment that changes the
generator is judged on the same cases as the champion was, never on its own test set.
Each figure is the one definition every report uses (:func:`metrics.model_figures`:
accuracy and ECE against the label, triage safety against the true cause).

The candidate becomes the champion only if

- no case with a red flag ends at self-care (always: a safety rule, not a parameter), and
- it is not worse than the champion beyond the tolerances in ``params.yaml``
  (``publish.gate``): reference accuracy, expected calibration error (ECE), the share of
  pyelonephritis cases triaged below ``consultation_24``, development vignettes with the
  right cause first, and dangerous presentations below their minimum.

Otherwise the candidate is a challenger, and the reasons say which criterion failed and by
how much.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from backclf.core.model import ReadableModel

if TYPE_CHECKING:
    from backclf.pipeline.dev_vignettes import DevCase
    from backclf.pipeline.presentations import Presentation
    from backclf.synth.sampler import Sample

CHAMPION, CHALLENGER = "champion", "challenger"


@dataclass(frozen=True)
class Reference:
    """The gate's common ground, the same for every model it compares."""

    sample: Sample  # the default world's test split
    dev_cases: list[DevCase]
    presentations: list[Presentation]
    ece_bins: int


@dataclass(frozen=True)
class GateMetrics:
    accuracy: float
    ece: float
    red_flag_cases_at_self_care: int
    pyelonephritis_under_triage_rate: float
    dev_cause_first: int
    dangerous_presentations_below_minimum: int

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Tolerances:
    accuracy_drop: float
    ece_rise: float
    pyelonephritis_under_triage_rise: float
    dev_cause_first_drop: int
    dangerous_presentations_rise: int

    @classmethod
    def from_params(cls, gate: dict[str, Any]) -> Tolerances:
        return cls(**gate)


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


def measure(model: ReadableModel, reference: Reference) -> GateMetrics:
    """The gate's metrics of one model on the reference data."""
    from backclf.pipeline.dev_vignettes import structured_scores
    from backclf.pipeline.metrics import model_figures
    from backclf.pipeline.presentations import presentation_audit

    figures = model_figures(model, reference.sample, reference.ece_bins)
    dev = structured_scores(reference.dev_cases, model)
    audit = presentation_audit(reference.presentations, model)
    return GateMetrics(
        accuracy=figures["accuracy"],
        ece=figures["ece"],
        red_flag_cases_at_self_care=figures["red_flag_cases_at_self_care"],
        pyelonephritis_under_triage_rate=figures["pyelonephritis_under_triage_rate"],
        dev_cause_first=round(dev["cause_first_rate"] * dev["cause_named_cases"]),
        dangerous_presentations_below_minimum=len(audit["below_minimum"]),
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

    failures += _regressions(candidate, champion, tol)
    if failures:
        return Decision(False, tuple(failures))
    return Decision(True, (_not_worse(candidate, champion),))


def _regressions(candidate: GateMetrics, champion: GateMetrics, tol: Tolerances) -> list[str]:
    """One reason per figure on which the candidate is worse than the champion beyond its
    tolerance."""
    failures = []
    drop = round(champion.accuracy - candidate.accuracy, 6)
    if drop > tol.accuracy_drop:
        failures.append(
            f"reference accuracy {candidate.accuracy:.4f} is {100 * drop:.2f} points below the "
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
    fewer = champion.dev_cause_first - candidate.dev_cause_first
    if fewer > tol.dev_cause_first_drop:
        failures.append(
            f"{candidate.dev_cause_first} development vignettes with the right cause first, "
            f"{fewer} fewer than the champion's {champion.dev_cause_first} "
            f"(tolerance {tol.dev_cause_first_drop})"
        )
    more = (
        candidate.dangerous_presentations_below_minimum
        - champion.dangerous_presentations_below_minimum
    )
    if more > tol.dangerous_presentations_rise:
        failures.append(
            f"{candidate.dangerous_presentations_below_minimum} dangerous presentations below "
            f"their minimum, {more} more than the champion's "
            f"{champion.dangerous_presentations_below_minimum} "
            f"(tolerance {tol.dangerous_presentations_rise})"
        )
    return failures


def _not_worse(candidate: GateMetrics, champion: GateMetrics) -> str:
    """Why a candidate passed: each figure beside the champion's."""
    return (
        f"not worse than the champion beyond tolerance on the reference data (accuracy "
        f"{candidate.accuracy:.4f} vs {champion.accuracy:.4f}, ECE {candidate.ece:.4f} vs "
        f"{champion.ece:.4f}, pyelonephritis under-triage "
        f"{candidate.pyelonephritis_under_triage_rate:.2%} vs "
        f"{champion.pyelonephritis_under_triage_rate:.2%}, development vignettes "
        f"{candidate.dev_cause_first} vs {champion.dev_cause_first}, dangerous "
        f"presentations below minimum {candidate.dangerous_presentations_below_minimum} vs "
        f"{champion.dangerous_presentations_below_minimum}); no red-flag case ends at "
        "self-care"
    )
