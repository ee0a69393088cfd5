"""The pipeline model's plots, as PNG images only.

Images, not Vega specifications: `dvc plots show/diff` embeds them in its HTML page, which then
needs no JavaScript from a CDN and renders with the network off. Each figure is sized to about
540 pixels wide so that two revisions fit side by side in `dvc plots diff`, and every axis holds
one kind of quantity, labelled with its unit (the strongest findings are log-odds for a linear
model, points for the scorecard, probability gained for a tree: `lift_unit`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from backclf.core.explain import strongest_findings
from backclf.core.model import ReadableModel
from backclf.knowledge import CAUSE_IDS
from backclf.pipeline.metrics import confusion, reliability

K = len(CAUSE_IDS)
DPI = 90
WIDTH_INCHES = 6.0  # 540 pixels at DPI
PLOTS = ("confusion.png", "reliability.png", "strongest_findings.png")


def lift_unit(model: ReadableModel) -> str:
    """What the strongest-findings axis measures for this kind of model."""
    return {
        "logistic": "log-odds added against the other causes",
        "points": "log-odds added (from the scorecard's points)",
        "tree": "probability gained against the other causes",
    }[model.kind]


def save_plots(out_dir: Path, y: np.ndarray, proba: np.ndarray, model: ReadableModel) -> list[Path]:
    """Confusion matrix, reliability curve and strongest findings of `model` on a test set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    title = f"{model.kind} model, synthetic test set"
    written = [_confusion_png(plt, confusion(y, proba.argmax(axis=1)), title, out_dir)]
    written.append(_reliability_png(plt, reliability(proba, y), title, out_dir))
    written.append(_strongest_png(plt, model, out_dir))
    plt.close("all")
    return written


def _confusion_png(plt, matrix: np.ndarray, title: str, out_dir: Path) -> Path:
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, 5.2))
    ax.imshow(matrix, cmap="Blues")
    short = [c.replace("_", "\n") for c in CAUSE_IDS]
    ax.set_xticks(range(K), short, fontsize=6)
    ax.set_yticks(range(K), short, fontsize=6)
    ax.set_xlabel("predicted cause")
    ax.set_ylabel("actual cause (label)")
    for a in range(K):
        for p in range(K):
            dark = matrix[a, p] > matrix.max() / 2
            colour = "white" if dark else "black"
            ax.text(p, a, str(matrix[a, p]), ha="center", va="center", fontsize=7, color=colour)
    ax.set_title(f"Confusion matrix (cases), {title}", fontsize=9)
    return _save(fig, out_dir / "confusion.png")


def _reliability_png(plt, curve: list[dict], title: str, out_dir: Path) -> Path:
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, 4.5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    confidence = [r["confidence"] for r in curve]
    ax.plot(confidence, [r["accuracy"] for r in curve], marker="o", label="model")
    ax.set_xlabel("confidence (top probability, 0-1)")
    ax.set_ylabel("accuracy (share correct, 0-1)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title(f"Reliability, {title}", fontsize=9)
    return _save(fig, out_dir / "reliability.png")


def _strongest_png(plt, model: ReadableModel, out_dir: Path) -> Path:
    strongest = strongest_findings(model)
    size = (WIDTH_INCHES, 1.7 * K)
    fig, axes = plt.subplots(K, 1, figsize=size, sharex=True, layout="constrained")
    for ax, (cause, items) in zip(axes, strongest.items(), strict=True):
        names = [f for f, _ in items][::-1]
        ax.barh(names, [v for _, v in items][::-1], color="tab:blue")
        ax.set_title(cause, fontsize=8)
        ax.tick_params(labelsize=6)
    axes[-1].set_xlabel(lift_unit(model), fontsize=8)
    fig.suptitle(f"Strongest findings per cause ({model.kind} model)", fontsize=9)
    return _save(fig, out_dir / "strongest_findings.png")


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    return path
