"""Metrics, baselines, plots and the model card. Needs the ``pipeline`` extra for plots.

Every predictor is scored the same way from an ``(n, K)`` probability matrix; abstention and
triage come from :func:`backclf.core.decide.assess_batch`, so what is measured is what is served.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from backclf.contract.columns import Columns, from_cases
from backclf.contract.findings import FIELDS, parse_case
from backclf.core.decide import assess_batch
from backclf.core.model import ReadableModel
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS

K = len(CAUSE_IDS)


# -- metrics ---------------------------------------------------------------------------------


def expected_calibration_error(proba: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Top-label ECE with equal-width confidence bins."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(total)


def reliability(proba: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            rows.append(
                {
                    "bin": round(float((edges[b] + edges[b + 1]) / 2), 3),
                    "confidence": round(float(confidence[mask].mean()), 4),
                    "accuracy": round(float(correct[mask].mean()), 4),
                    "count": int(mask.sum()),
                }
            )
    return rows


def classification_metrics(
    proba: np.ndarray, y: np.ndarray, abstain_below: float, ece_bins: int = 15
) -> dict[str, Any]:
    """Accuracy, top-2, macro-F1, per-cause recall, log loss, Brier, ECE, abstention."""
    n = len(y)
    predicted = proba.argmax(axis=1)
    top2 = np.argsort(-proba, axis=1, kind="stable")[:, :2]
    recall, f1 = {}, []
    for k, cause in enumerate(CAUSE_IDS):
        tp = np.sum((predicted == k) & (y == k))
        actual, claimed = np.sum(y == k), np.sum(predicted == k)
        r = tp / actual if actual else 0.0
        p = tp / claimed if claimed else 0.0
        recall[cause] = round(float(r), 4)
        f1.append(2 * p * r / (p + r) if p + r else 0.0)
    onehot = np.eye(K)[y]
    answered = proba.max(axis=1) >= abstain_below
    return {
        "n": int(n),
        "accuracy": round(float(np.mean(predicted == y)), 4),
        "top2_accuracy": round(float(np.mean((top2 == y[:, None]).any(axis=1))), 4),
        "macro_f1": round(float(np.mean(f1)), 4),
        "log_loss": round(float(-np.mean(np.log(np.clip(proba[np.arange(n), y], 1e-12, None)))), 4),
        "brier": round(float(np.mean(np.sum((proba - onehot) ** 2, axis=1))), 4),
        "ece": round(expected_calibration_error(proba, y, ece_bins), 4),
        "abstention_rate": round(float(1 - answered.mean()), 4),
        "accuracy_when_answering": round(
            float(np.mean(predicted[answered] == y[answered])) if answered.any() else 0.0, 4
        ),
        "recall": recall,
    }


def triage_audit(
    columns: Columns,
    model: ReadableModel,
    y: np.ndarray | None = None,
    red_flag_added: np.ndarray | None = None,
) -> dict[str, Any]:
    """Red-flag audit (no case matching a rule ends ``self_care``) and over-triage."""
    decisions = assess_batch(columns, model)
    flagged = decisions.fired.any(axis=1)
    self_care = decisions.level == TRIAGE_LEVELS.index("self_care")
    out = {
        "cases_with_red_flag": int(flagged.sum()),
        "red_flag_cases_at_self_care": int(np.sum(flagged & self_care)),
        "overridden_rate": round(float(decisions.overridden.mean()), 4),
    }
    if y is not None:
        clean = ~red_flag_added if red_flag_added is not None else np.ones(len(y), bool)
        mechanical = clean & (y != CAUSE_IDS.index("pyelonephritis"))
        urgent = decisions.level >= TRIAGE_LEVELS.index("consultation_24")
        out["over_triage_rate"] = round(float(np.mean(urgent[mechanical])), 4)
        pyelo = y == CAUSE_IDS.index("pyelonephritis")
        out["pyelonephritis_under_triage_rate"] = (
            round(float(np.mean(~urgent[pyelo])), 4) if pyelo.any() else 0.0
        )
    return out


# -- baselines -------------------------------------------------------------------------------


def majority_proba(n: int, train_label: np.ndarray) -> np.ndarray:
    """Always the most frequent training cause, with the training frequencies as probabilities."""
    freq = np.bincount(train_label, minlength=K) / len(train_label)
    return np.tile(freq, (n, 1))


def article_rules_proba(columns: Columns) -> np.ndarray:
    """A hand-written baseline that follows the article's text literally, first match wins.

    Fever or frequent urination -> pyelonephritis ("often accompanied by frequent urination
    and fever"); restricted movement -> facet joint ("accompanied by restricted movement");
    chronic strain -> lumbar muscle strain ("on the basis of chronic strain"); lifting ->
    excessive loading; bending/twisting or spasm -> sudden postural change ("spasmodic pain");
    otherwise sudden postural change (cause 1). Confidence 0.8 on the choice.
    """

    def code(finding: str, value: Any) -> np.ndarray:
        spec = FIELDS[finding]
        target = int(value) if spec.kind == "bool" else spec.values.index(value)
        return columns[finding] == target

    n = len(columns["fever"])
    choice = np.full(n, CAUSE_IDS.index("sudden_postural_change"))
    ordered = [
        (code("spasm", True) | code("trigger", "bending_or_twisting"), "sudden_postural_change"),
        (code("trigger", "lifting_heavy_object"), "excessive_loading"),
        (code("chronic_strain_history", True), "lumbar_muscle_strain"),
        (code("restricted_movement", True), "facet_joint_dysfunction"),
        (code("fever", True) | code("frequent_urination", True), "pyelonephritis"),
    ]
    for mask, cause in ordered:  # later rules override earlier: the first in the text wins
        choice[mask] = CAUSE_IDS.index(cause)
    proba = np.full((n, K), 0.05)
    proba[np.arange(n), choice] = 0.8
    return proba


# -- development vignettes -------------------------------------------------------------------


def load_dev(path: Path) -> tuple[list[dict], Columns]:
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    cases = [parse_case(r["findings"]) for r in rows]
    return rows, from_cases(cases)


def dev_metrics(rows: list[dict], columns: Columns, model: ReadableModel) -> dict[str, Any]:
    """Cause first, triage within [triage_min, triage_max], red-flag cases reaching their min."""
    decisions = assess_batch(columns, model)
    named = [i for i, r in enumerate(rows) if r["expect"].get("cause")]
    first = [CAUSE_IDS[decisions.chosen[i]] == rows[i]["expect"]["cause"] for i in named]
    answered_first = [
        CAUSE_IDS[decisions.chosen[i]] == rows[i]["expect"]["cause"]
        for i in named
        if not decisions.abstained[i]
    ]
    within, below, above = [], 0, 0
    for i, r in enumerate(rows):
        level = int(decisions.level[i])
        low = TRIAGE_LEVELS.index(r["expect"]["triage_min"])
        high = TRIAGE_LEVELS.index(r["expect"]["triage_max"])
        within.append(low <= level <= high)
        below += level < low
        above += level > high
    return {
        "n": len(rows),
        "cause_first_rate": round(float(np.mean(first)), 4) if first else 0.0,
        "cause_named_cases": len(named),
        "accuracy_when_answering": round(float(np.mean(answered_first)), 4)
        if answered_first
        else 0.0,
        "abstention_rate": round(float(np.mean([decisions.abstained[i] for i in named])), 4)
        if named
        else 0.0,
        "triage_within_range_rate": round(float(np.mean(within)), 4),
        "under_triaged": int(below),
        "over_triaged": int(above),
        "misses": [rows[i]["id"] for i, ok in zip(named, first, strict=True) if not ok],
    }


# -- plots -----------------------------------------------------------------------------------


def confusion(y: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    matrix = np.zeros((K, K), dtype=np.int64)
    np.add.at(matrix, (y, predicted), 1)
    return matrix


def save_plots(
    out_dir: Path, y: np.ndarray, proba: np.ndarray, strongest: dict[str, list[tuple[str, float]]]
) -> list[Path]:
    """Confusion matrix, reliability curve and strongest findings: PNG plus DVC plot data."""
    import csv

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    predicted = proba.argmax(axis=1)
    matrix = confusion(y, predicted)
    with (out_dir / "confusion.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["actual", "predicted"])
        for a, p in zip(y, predicted, strict=True):
            writer.writerow([CAUSE_IDS[a], CAUSE_IDS[p]])
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(matrix, cmap="Blues")
    short = [c.replace("_", "\n") for c in CAUSE_IDS]
    ax.set_xticks(range(K), short, fontsize=7)
    ax.set_yticks(range(K), short, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    for a in range(K):
        for p in range(K):
            ax.text(
                p,
                a,
                str(matrix[a, p]),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if matrix[a, p] > matrix.max() / 2 else "black",
            )
    ax.set_title("Confusion matrix (champion, synthetic test set)")
    written.append(_save(fig, out_dir / "confusion.png"))

    curve = reliability(proba, y)
    _write_csv(out_dir / "reliability.csv", curve)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
    ax.plot([r["confidence"] for r in curve], [r["accuracy"] for r in curve], marker="o")
    ax.set_xlabel("confidence (top probability)")
    ax.set_ylabel("accuracy")
    ax.set_title("Reliability (champion, test set)")
    written.append(_save(fig, out_dir / "reliability.png"))

    rows = [
        {"cause": c, "feature": f, "effect": v} for c, items in strongest.items() for f, v in items
    ]
    _write_csv(out_dir / "strongest_findings.csv", rows)
    if strongest:
        fig, axes = plt.subplots(K, 1, figsize=(7, 2.2 * K))
        for ax, (cause, items) in zip(axes, strongest.items(), strict=True):
            names = [f for f, _ in items][::-1]
            ax.barh(names, [v for _, v in items][::-1], color="tab:blue")
            ax.set_title(cause, fontsize=9)
            ax.tick_params(labelsize=7)
        fig.tight_layout()
        written.append(_save(fig, out_dir / "strongest_findings.png"))
    plt.close("all")
    return written


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=90, metadata={"Software": None})
    return path


def _write_csv(path: Path, rows: list[dict]) -> None:
    import csv

    with path.open("w", newline="") as f:
        if not rows:
            return
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


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
