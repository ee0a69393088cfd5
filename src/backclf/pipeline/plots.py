"""The champion's plots (matplotlib PNGs) and the small tables DVC draws its own plots from.

Each DVC plot file stays small: the confusion matrix is written as its 25 counts (drawn by
the custom template ``.dvc/plots/confusion_counts.json``), not one row per test case.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from backclf.knowledge import CAUSE_IDS
from backclf.pipeline.metrics import confusion, reliability

K = len(CAUSE_IDS)


def save_plots(
    out_dir: Path, y: np.ndarray, proba: np.ndarray, strongest: dict[str, list[tuple[str, float]]]
) -> list[Path]:
    """Confusion matrix, reliability curve and strongest findings: PNG plus DVC plot data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    matrix = confusion(y, proba.argmax(axis=1))
    write_csv(
        out_dir / "confusion.csv",
        [
            {"actual": CAUSE_IDS[a], "predicted": CAUSE_IDS[p], "count": int(matrix[a, p])}
            for a in range(K)
            for p in range(K)
        ],
    )
    written = [_confusion_png(plt, matrix, out_dir / "confusion.png")]

    curve = reliability(proba, y)
    write_csv(out_dir / "reliability.csv", curve)
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
    write_csv(out_dir / "strongest_findings.csv", rows)
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


def _confusion_png(plt, matrix: np.ndarray, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(matrix, cmap="Blues")
    short = [c.replace("_", "\n") for c in CAUSE_IDS]
    ax.set_xticks(range(K), short, fontsize=7)
    ax.set_yticks(range(K), short, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    for a in range(K):
        for p in range(K):
            dark = matrix[a, p] > matrix.max() / 2
            ax.text(
                p,
                a,
                str(matrix[a, p]),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else "black",
            )
    ax.set_title("Confusion matrix (champion, synthetic test set)")
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=90, metadata={"Software": None})
    return path


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as f:
        if not rows:
            return
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
