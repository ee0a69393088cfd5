"""The study's plot, ``reports/plots/sensitivity.png``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backclf.pipeline.plots import DPI, WIDTH_INCHES
from backclf.study.files import DIRECTIONS, REFERENCE
from backclf.study.summary import summarise


def save_plot(report: dict[str, Any], path: Path) -> Path:
    """Accuracy (with the ceiling), gap and pyelonephritis under-triage against size, one line
    per family (mean over replicates, bars from lowest to highest), both directions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = (
        ("accuracy", "accuracy (dashed: Bayes ceiling)", 1.0),
        ("gap_points", "gap to the Bayes ceiling (points)", 1.0),
        ("pyelonephritis_under_triage_rate", "pyelonephritis under-triage (%)", 100.0),
    )
    # One row per figure, one column per direction: 540 pixels wide, as the pipeline's plots, so
    # that two revisions fit side by side in `dvc plots diff`.
    fig, axes = plt.subplots(
        3, 2, figsize=(WIDTH_INCHES, 7.6), sharex=True, sharey="row", layout="constrained"
    )
    for c, direction in enumerate(DIRECTIONS):
        reference = report[REFERENCE][direction]
        axes[0][c].set_title(DIRECTIONS[direction].replace(", ", ",\n"), fontsize=7)
        for r, (metric, title, scale) in enumerate(panels):
            ax = axes[r][c]
            for i, (family, sizes) in enumerate(summarise(report).items()):
                color = f"C{i}"
                xs = [0.0] + [float(s) for s in sizes]
                entries = [sizes[s][direction][metric] for s in sizes]
                mean = [reference[metric] * scale] + [e["mean"] * scale for e in entries]
                low = [0.0] + [(e["mean"] - e["min"]) * scale for e in entries]
                high = [0.0] + [(e["max"] - e["mean"]) * scale for e in entries]
                ax.errorbar(
                    xs,
                    mean,
                    yerr=[low, high],
                    marker="o",
                    color=color,
                    label=family,
                    capsize=3,
                    linewidth=1.2,
                    markersize=4,
                )
                if metric == "accuracy":
                    ceiling = [reference["bayes_ceiling"]] + [
                        sizes[s][direction]["bayes_ceiling"]["mean"] for s in sizes
                    ]
                    ax.plot(xs, ceiling, linestyle="--", color=color, linewidth=0.8)
            ax.tick_params(labelsize=7)
            if c == 0:
                ax.set_ylabel(title, fontsize=8)
            if r == len(panels) - 1:
                ax.set_xlabel("perturbation size", fontsize=8)
    axes[0][0].legend(fontsize=6)
    fig.suptitle(
        "Champion in perturbed worlds\n(mean over replicates; bars: lowest to highest)", fontsize=9
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return path
