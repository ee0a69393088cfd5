"""How well the question policy interviews: simulated patients of a labelled set
(:mod:`backclf.interview_study.simulation`), from a starting point (age and sex, or
what their narrative says), compared with the full form.

- **curves**: accuracy after k = 0..K questions for the policy, greedy entropy reduction, the
  form's fixed order and a random order (every strategy asks the same safety screen first);
- **stopping**: under the policy's stopping rule, the final accuracy against the full-form
  accuracy, and the questions asked (median, p90, mean; the checklist counts as one);
- **red flags**: every vignette on which a rule fires (given its whole form) must reach that
  rule's triage level after the screen alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from backclf import knowledge
from backclf.contract.columns import Columns
from backclf.core.decide import assess_batch
from backclf.core.model import ReadableModel
from backclf.interview_study.simulation import (
    Interviews,
    predictions,
    rule_ranks,
    start_from,
    step,
)
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS

CURVE_STRATEGIES = ("policy", "entropy", "fixed", "random")
STOPPING_STRATEGIES = ("policy", "entropy")
#: More steps than any interview can take (every finding asked, one a step).
MAX_STEPS = 64


def _accuracy(model: ReadableModel, state: Interviews, label: np.ndarray) -> float:
    return round(float(np.mean(predictions(model, state)[0] == label)), 4)


def curve(
    model: ReadableModel,
    truth: Columns,
    label: np.ndarray,
    start: Columns,
    strategy: str,
    k_max: int,
    seed: int,
    told_in_text: bool = False,
) -> list[float]:
    """Accuracy after k = 0..k_max questions, asking until k_max (no stopping rule)."""
    state = Interviews(truth, start, told_in_text)
    rng = np.random.default_rng(seed)
    out = [_accuracy(model, state, label)]
    for _ in range(k_max):
        step(model, state, strategy, stopping=False, rng=rng)
        out.append(_accuracy(model, state, label))
    return out


def stopped(
    model: ReadableModel,
    truth: Columns,
    label: np.ndarray,
    start: Columns,
    strategy: str,
    told_in_text: bool = False,
) -> dict[str, Any]:
    """Interviews run to the stopping rule: accuracy and triage against the full form, and
    the questions asked. Cases that a red flag sends to an emergency department end their
    interview there (the person should go now), so they are also reported apart."""
    state = Interviews(truth, start, told_in_text)
    for _ in range(MAX_STEPS):
        if not len(step(model, state, strategy, stopping=True)):
            break
    chosen, level = predictions(model, state)
    full = assess_batch(truth, model)
    right, full_right = chosen == label, full.chosen == label
    policy = model.file.interview
    calm = full.level < TRIAGE_LEVELS.index(policy.urgent_stop if policy else "emergency")
    cause_level = _cause_levels()[label]
    questions = state.questions
    return {
        "accuracy": _share(right),
        "full_form_accuracy": _share(full_right),
        "gap_to_full_form_points": round(100 * (_share(full_right) - _share(right)), 2),
        "questions_median": float(np.median(questions)),
        "questions_p90": float(np.percentile(questions, 90)),
        "questions_mean": round(float(questions.mean()), 2),
        "questions_max": int(questions.max(initial=0)),
        "without_an_emergency_red_flag": {
            "cases": int(calm.sum()),
            "accuracy": _share(right[calm]),
            "full_form_accuracy": _share(full_right[calm]),
            "gap_to_full_form_points": round(
                100 * (_share(full_right[calm]) - _share(right[calm])), 2
            ),
            "questions_median": float(np.median(questions[calm])) if calm.any() else 0.0,
        },
        "triage_as_full_form": _share(level == full.level),
        "triage_below_full_form": int(np.sum(level < full.level)),
        # The true cause's own level (pyelonephritis: within 24 hours) not reached.
        "true_cause_under_triaged": int(np.sum(level < cause_level)),
        "true_cause_under_triaged_full_form": int(np.sum(full.level < cause_level)),
    }


def _share(mask: np.ndarray) -> float:
    return round(float(np.mean(mask)), 4) if len(mask) else 0.0


def _cause_levels() -> np.ndarray:
    article = knowledge.article()
    return np.array([TRIAGE_LEVELS.index(article.cause(c).default_triage) for c in CAUSE_IDS])


def red_flag_screen(
    model: ReadableModel, truth: Columns, start: Columns, told_in_text: bool = False
) -> dict[str, Any]:
    """After the screen alone (no discrimination question), does every vignette with a red
    flag reach its rules' triage level?"""
    state = Interviews(truth, start, told_in_text)
    for _ in range(MAX_STEPS):
        if not len(step(model, state, "screen", stopping=True)):
            break
    full = rule_ranks(truth)
    after = rule_ranks(state.known)
    flagged = full >= 0
    missed = flagged & (after < full)
    return {
        "vignettes_with_a_red_flag": int(flagged.sum()),
        "reached_after_screen": int((flagged & ~missed).sum()),
        "missed": int(missed.sum()),
        "screen_questions_median": float(np.median(state.questions[flagged]))
        if flagged.any()
        else 0.0,
        "screen_questions_max": int(state.questions.max(initial=0)),
    }


def evaluate(
    model: ReadableModel,
    truth: Columns,
    label: np.ndarray,
    k_max: int,
    seed: int,
    start_findings: tuple[str, ...] = ("age", "sex"),
    start: Columns | None = None,
) -> dict[str, Any]:
    """The whole report for one starting point: ``start_findings`` of each vignette, or the
    columns ``start``, read from the person's words."""
    told_in_text = start is not None
    start = start if start is not None else start_from(truth, start_findings)
    full = model.predict_proba(model.encode(truth)).argmax(axis=1)
    full_accuracy = _share(full == label)
    curves = {
        s: curve(model, truth, label, start, s, k_max, seed, told_in_text) for s in CURVE_STRATEGIES
    }
    stopping = {
        s: stopped(model, truth, label, start, s, told_in_text) for s in STOPPING_STRATEGIES
    }
    return {
        "cases": len(label),
        "full_form_accuracy": full_accuracy,
        "accuracy_after_k_questions": curves,
        "stopping": stopping,
        "red_flags": red_flag_screen(model, truth, start, told_in_text),
    }


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """The figures the issue asks for, for one starting point."""
    curves = report["accuracy_after_k_questions"]
    policy = report["stopping"]["policy"]
    calm = policy["without_an_emergency_red_flag"]
    return {
        "full_form_accuracy": report["full_form_accuracy"],
        "final_accuracy": policy["accuracy"],
        "gap_to_full_form_points": policy["gap_to_full_form_points"],
        "gap_without_an_emergency_red_flag_points": calm["gap_to_full_form_points"],
        "questions_median": policy["questions_median"],
        "questions_p90": policy["questions_p90"],
        "entropy_final_accuracy": report["stopping"]["entropy"]["accuracy"],
        "entropy_questions_median": report["stopping"]["entropy"]["questions_median"],
        "at_3_questions": {s: curves[s][3] for s in CURVE_STRATEGIES if len(curves[s]) > 3},
        "red_flags_missed_after_screen": report["red_flags"]["missed"],
    }


def plot_curves(path: Path, report: dict[str, Any], title: str) -> Path:
    """Accuracy after k questions, each strategy, the full form and the stopping point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = {
        "policy": "policy (decision + information)",
        "entropy": "greedy entropy reduction",
        "fixed": "fixed order (the form)",
        "random": "random order",
    }
    # 540 pixels wide, as the pipeline's plots: two revisions side by side in `dvc plots diff`.
    fig, ax = plt.subplots(figsize=(6.0, 4.4), layout="constrained")
    for strategy, values in report["accuracy_after_k_questions"].items():
        ax.plot(range(len(values)), values, marker="o", markersize=3, label=labels[strategy])
    ax.axhline(report["full_form_accuracy"], color="grey", linestyle="--", label="full form")
    policy = report["stopping"]["policy"]
    ax.plot(
        [policy["questions_median"]],
        [policy["accuracy"]],
        marker="*",
        markersize=14,
        color="black",
        linestyle="none",
        label="policy with its stopping rule (median questions)",
    )
    ax.set_xlabel("questions asked (the safety checklist is question 1)")
    ax.set_ylabel("accuracy (cause named)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=7)
    ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)
    return path
