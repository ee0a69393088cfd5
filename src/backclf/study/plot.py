"""The study's plot, ``reports/plots/sensitivity.png``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), sharex=True)
    for r, direction in enumerate(DIRECTIONS):
        reference = report[REFERENCE][direction]
        for c, (metric, title, scale) in enumerate(panels):
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
            ax.set_title(title, fontsize=9)
            ax.tick_params(labelsize=8)
            if r == 1:
                ax.set_xlabel("perturbation size", fontsize=8)
        axes[r][0].set_ylabel(DIRECTIONS[direction].replace(", ", ",\n"), fontsize=8)
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Champion in perturbed worlds (mean over replicates; bars: lowest to highest)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(fig)
    return path
