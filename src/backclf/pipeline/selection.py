"""Choices among candidates scored with noise, made by rules that float noise cannot flip.

A choice by plain argmax over cross-validated scores follows whichever score is larger in
its last digits, and those digits follow the CPU's BLAS kernel and thread count: the same
data gave C = 0.3 on one machine and C = 1.0 on another (issue 24), because the two mean
losses differed by less than the solver's own tolerance. Here every such choice is made by a
named statistical rule on scores rounded far above that noise, with a stated tie-break.

- :func:`one_standard_error` chooses a regularisation strength: the most regularised
  candidate whose cross-validated loss is within one standard error of the best one's
  (Breiman, Friedman, Olshen and Stone 1984, *Classification and Regression Trees*, section
  3.4.3; Hastie, Tibshirani and Friedman 2009, *The Elements of Statistical Learning*, 2nd
  ed., section 7.10). Every candidate is scored on the same folds, so the standard error is
  that of the paired fold-wise difference from the best candidate, not of each mean alone
  (the folds' own difficulty, shared by all candidates, would otherwise swamp the
  comparison).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Fold losses are compared after rounding to this many decimals: ten orders of magnitude
#: above the float noise of a tightly converged fit (~1e-14, measured across OpenBLAS's
#: Haswell, SkylakeX and Sandybridge kernels), and far below any difference that matters.
LOSS_DECIMALS = 9


@dataclass(frozen=True)
class Selection:
    """What a rule chose, and the figures a reader needs to check it."""

    rule: str
    chosen: float
    best: float
    mean_loss: dict[float, float]
    excess_over_best: dict[float, float]
    standard_error: dict[float, float]

    def as_dict(self) -> dict:
        def table(values: dict[float, float]) -> dict[str, float]:
            return {f"{c:g}": v for c, v in values.items()}

        return {
            "rule": self.rule,
            "chosen": self.chosen,
            "best": self.best,
            "mean_loss": table(self.mean_loss),
            "excess_over_best": table(self.excess_over_best),
            "standard_error": table(self.standard_error),
        }


def one_standard_error(grid: list[float], fold_losses: np.ndarray) -> Selection:
    """The most regularised value of ``grid`` (smallest C) whose mean fold loss exceeds the
    best mean by no more than one standard error of the paired fold-wise difference.

    ``fold_losses[f, j]`` is the held-out loss of ``grid[j]`` on fold ``f``; lower is better.
    Losses are rounded to :data:`LOSS_DECIMALS` first, so the choice depends on those digits
    alone. Ties go to the more regularised value: among equal best means, the smallest C is
    the best, and an excess exactly equal to its standard error is "within".
    """
    grid = [float(c) for c in grid]
    losses = np.round(np.asarray(fold_losses, dtype=float), LOSS_DECIMALS)
    if losses.ndim != 2 or losses.shape[1] != len(grid) or losses.shape[0] < 2:
        raise ValueError("fold_losses must be (folds >= 2, len(grid))")
    order = np.argsort(grid, kind="stable")  # most regularised (smallest C) first
    mean = np.round(losses.mean(axis=0), LOSS_DECIMALS)
    best = min(order, key=lambda j: (mean[j], grid[j]))
    difference = losses - losses[:, [best]]
    excess = np.round(difference.mean(axis=0), LOSS_DECIMALS)
    se = np.round(difference.std(axis=0, ddof=1) / np.sqrt(len(losses)), LOSS_DECIMALS)
    chosen = next(j for j in order if excess[j] <= se[j])  # the best itself always qualifies
    return Selection(
        rule="one standard error (paired fold differences)",
        chosen=grid[chosen],
        best=grid[best],
        mean_loss={grid[j]: float(mean[j]) for j in order},
        excess_over_best={grid[j]: float(excess[j]) for j in order},
        standard_error={grid[j]: float(se[j]) for j in order},
    )
