"""Every metric of the pipeline, defined once: classification, calibration, triage safety.

Each predictor is scored the same way from an ``(n, K)`` probability matrix and the labels;
triage comes from :func:`backclf.core.decide.assess_batch`, so what is measured is what is
served. Figures are rounded to 4 decimals so reports do not move with the last bits of
floating-point arithmetic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from backclf.contract.columns import Columns
from backclf.core.decide import assess_batch
from backclf.core.model import ReadableModel
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS

if TYPE_CHECKING:
    from backclf.synth.sampler import Sample

K = len(CAUSE_IDS)
DIGITS = 4


def _r(value: float) -> float:
    return round(float(value), DIGITS)


def log_loss(proba: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log probability of the true class (clipped at 1e-12)."""
    return float(-np.mean(np.log(np.clip(proba[np.arange(len(y)), y], 1e-12, None))))


def _confidence_bins(proba: np.ndarray, y: np.ndarray, bins: int):
    """Per equal-width bin of top-label confidence: (mask, confidence, correct)."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    for b in range(bins):
        mask = index == b
        if mask.any():
            yield b, edges, mask, confidence[mask], correct[mask]


def expected_calibration_error(proba: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Top-label ECE with equal-width confidence bins."""
    return float(
        sum(
            mask.mean() * abs(correct.mean() - confidence.mean())
            for _, _, mask, confidence, correct in _confidence_bins(proba, y, bins)
        )
    )


def reliability(proba: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """The reliability curve: mean confidence and accuracy per confidence bin."""
    return [
        {
            "bin": round(float((edges[b] + edges[b + 1]) / 2), 3),
            "confidence": _r(confidence.mean()),
            "accuracy": _r(correct.mean()),
            "count": int(mask.sum()),
        }
        for b, edges, mask, confidence, correct in _confidence_bins(proba, y, bins)
    ]


def confusion(y: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """``(K, K)`` counts: row = actual cause, column = predicted."""
    matrix = np.zeros((K, K), dtype=np.int64)
    np.add.at(matrix, (y, predicted), 1)
    return matrix


def _precision_recall_f1(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp = np.diag(matrix).astype(np.float64)
    actual, claimed = matrix.sum(axis=1), matrix.sum(axis=0)
    recall = np.divide(tp, actual, out=np.zeros(K), where=actual > 0)
    precision = np.divide(tp, claimed, out=np.zeros(K), where=claimed > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros(K), where=both > 0)
    return precision, recall, f1


def per_cause(y: np.ndarray, predicted: np.ndarray) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each cause."""
    matrix = confusion(y, predicted)
    precision, recall, f1 = _precision_recall_f1(matrix)
    return {
        cause: {
            "precision": _r(precision[k]),
            "recall": _r(recall[k]),
            "f1": _r(f1[k]),
            "support": int(matrix[k].sum()),
        }
        for k, cause in enumerate(CAUSE_IDS)
    }


def classification_metrics(
    proba: np.ndarray, y: np.ndarray, abstain_below: float, ece_bins: int = 15
) -> dict[str, Any]:
    """Accuracy, top-2, macro-F1, log loss, Brier, ECE, abstention; per cause."""
    n = len(y)
    predicted = proba.argmax(axis=1)
    top2 = np.argsort(-proba, axis=1, kind="stable")[:, :2]
    _, _, f1 = _precision_recall_f1(confusion(y, predicted))
    answered = proba.max(axis=1) >= abstain_below
    return {
        "n": int(n),
        "accuracy": _r(np.mean(predicted == y)),
        "top2_accuracy": _r(np.mean((top2 == y[:, None]).any(axis=1))),
        "macro_f1": _r(np.mean(f1)),
        "log_loss": _r(log_loss(proba, y)),
        "brier": _r(np.mean(np.sum((proba - np.eye(K)[y]) ** 2, axis=1))),
        "ece": _r(expected_calibration_error(proba, y, ece_bins)),
        "abstention_rate": _r(1 - answered.mean()),
        "accuracy_when_answering": _r(np.mean(predicted[answered] == y[answered]))
        if answered.any()
        else 0.0,
        "per_cause": per_cause(y, predicted),
    }


def triage_audit(
    columns: Columns,
    model: ReadableModel,
    cause: np.ndarray | None = None,
    red_flag_added: np.ndarray | None = None,
) -> dict[str, Any]:
    """Red-flag audit (no case matching a rule ends at self-care) and, given each case's
    ``cause``, over-triage of the mechanical causes and under-triage of pyelonephritis.

    ``cause`` is the cause the vignette was drawn from (``true_cause``, before label noise):
    triage safety is about what the person has, not about the noisy label the classifier is
    scored on. Every report (the model card, the promotion gate, the sensitivity study,
    MLflow) passes the true cause here; one definition, one figure.
    """
    decisions = assess_batch(columns, model)
    flagged = decisions.fired.any(axis=1)
    self_care = decisions.level == TRIAGE_LEVELS.index("self_care")
    out = {
        "cases_with_red_flag": int(flagged.sum()),
        "red_flag_cases_at_self_care": int(np.sum(flagged & self_care)),
        "overridden_rate": _r(decisions.overridden.mean()),
    }
    if cause is not None:
        clean = ~red_flag_added if red_flag_added is not None else np.ones(len(cause), bool)
        mechanical = clean & (cause != CAUSE_IDS.index("pyelonephritis"))
        urgent = decisions.level >= TRIAGE_LEVELS.index("consultation_24")
        out["over_triage_rate"] = _r(np.mean(urgent[mechanical]))
        pyelo = cause == CAUSE_IDS.index("pyelonephritis")
        missed = _r(np.mean(~urgent[pyelo])) if pyelo.any() else 0.0
        out["pyelonephritis_under_triage_rate"] = missed
        if decisions.unusual is not None and clean.any():
            # "Doesn't look like the article's causes" on cases the article does explain.
            out["unusual_rate_plain"] = _r(np.mean(decisions.unusual[clean]))
    return out


def model_figures(model: ReadableModel, sample: Sample, ece_bins: int) -> dict[str, Any]:
    """One model's headline figures on one labelled set, by the one definition every report
    uses: accuracy, log loss and ECE against the label (what the model is trained and
    calibrated on, and what the Bayes ceiling is computed for); the triage audit against the
    true cause (:func:`triage_audit`)."""
    proba = model.predict_proba(model.encode(sample.columns))
    scores = classification_metrics(proba, sample.label, model.abstain_below, ece_bins)
    audit = triage_audit(sample.columns, model, sample.true_cause, sample.red_flag_added)
    return {
        "accuracy": scores["accuracy"],
        "log_loss": scores["log_loss"],
        "ece": scores["ece"],
        "red_flag_cases": audit["cases_with_red_flag"],
        "red_flag_cases_at_self_care": audit["red_flag_cases_at_self_care"],
        "over_triage_rate": audit["over_triage_rate"],
        "pyelonephritis_under_triage_rate": audit["pyelonephritis_under_triage_rate"],
    }


def flatten(tree: dict[str, Any], prefix: str = "", sep: str = "/") -> dict[str, Any]:
    """The leaves of a nested dict, keyed ``a/b/c``."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}{sep}", sep))
        else:
            out[name] = value
    return out


def numeric_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """The numeric leaves of a metrics dict, keyed ``a/b/c`` (what MLflow logs)."""
    return {
        k: float(v)
        for k, v in flatten(metrics).items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
