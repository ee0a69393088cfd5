"""The exact posterior P(cause | findings) under the generative model, and the Bayes ceiling.

The generator is explicit, so the posterior is computed exactly, not by sampling:

    P(c | x) ∝ π_c [(1 - a) Π_f P_obs(x_f | c) + a Π_f Q_obs(x_f)]

with π the priors, ``a`` the atypical rate, Q the prior-weighted pool of all causes, and
P_obs folding in the masking knob: an answered value keeps (1 - r) of its mass and "unknown"
gains r. Only cause-dependent findings enter (cause-independent ones cancel); values inside a
bin are uniform under every cause and cancel too. Label noise ε then mixes the posterior:
P(label = k | x) = (1 - ε) P(k | x) + ε / (K - 1) (1 - P(k | x)).

The Bayes-optimal classifier picks the arg-max of this posterior; its accuracy on a set is
the ceiling no classifier can beat on that distribution. Every function takes the generator
``world`` the set was drawn from (:class:`~backclf.synth.sampler.GeneratorTables`), by default
the packaged ``generator.yaml``.
"""

from __future__ import annotations

import numpy as np

from backclf.contract.columns import UNKNOWN, Columns
from backclf.knowledge import CAUSE_IDS
from backclf.synth.config import GenerationConfig
from backclf.synth.sampler import CompiledTable, GeneratorTables, default_tables


def _observed_index(table: CompiledTable, col: np.ndarray) -> np.ndarray:
    """For each row, the index of its observed value in ``table.values`` (last = unknown)."""
    if col.dtype == np.float64:
        known = ~np.isnan(col)
        bin_index = np.searchsorted(table.low, np.where(known, col, 0), side="right") - 1
        inside = (
            known
            & (bin_index >= 0)
            & (col < np.append(table.high[:-1], np.inf)[np.clip(bin_index, 0, len(table.low) - 1)])
        )
        return np.where(inside, bin_index, len(table.values) - 1)
    lookup = {int(code): i for i, code in enumerate(table.codes)}
    index = np.full(len(col), lookup[UNKNOWN])
    for code, i in lookup.items():
        index[col == code] = i
    return index


def _observed_log_probs(probs: np.ndarray, missing_rate: float) -> np.ndarray:
    """log P_obs(value | row): masking moves ``missing_rate`` of the mass to unknown."""
    observed = probs * (1 - missing_rate)
    observed[:, -1] += missing_rate
    with np.errstate(divide="ignore"):
        return np.log(observed)


def log_likelihoods(
    columns: Columns, missing_rate: float, world: GeneratorTables | None = None
) -> np.ndarray:
    """``(n, K + 1)``: log P_obs(x | cause) for each cause, then for the atypical pool."""
    n = len(next(iter(columns.values())))
    total = np.zeros((n, len(CAUSE_IDS) + 1))
    for table in (world or default_tables()).tables:
        if not table.informative:
            continue
        log_p = _observed_log_probs(table.probs, missing_rate)  # (K + 1, V)
        total += log_p[:, _observed_index(table, columns[table.finding])].T
    return total


def posterior(
    columns: Columns, config: GenerationConfig, world: GeneratorTables | None = None
) -> np.ndarray:
    """``(n, K)``: the exact P(label | findings) of the set generated with ``config``."""
    world = world or default_tables()
    k = len(CAUSE_IDS)
    log_l = log_likelihoods(columns, config.missing_rate, world)
    with np.errstate(divide="ignore"):
        log_typical = np.log1p(-config.atypical_rate) + log_l[:, :k]
        log_atypical = np.log(config.atypical_rate) + log_l[:, k:]
        log_prior = np.log(config.prior_vector(world.priors))
        log_joint = log_prior + np.logaddexp(log_typical, log_atypical)
    log_joint -= log_joint.max(axis=1, keepdims=True)
    clean = np.exp(log_joint)
    clean /= clean.sum(axis=1, keepdims=True)
    eps = config.label_noise
    return (1 - eps) * clean + eps / (k - 1) * (1 - clean)


def bayes_accuracy(
    columns: Columns,
    label: np.ndarray,
    config: GenerationConfig,
    world: GeneratorTables | None = None,
) -> float:
    """Accuracy of the Bayes-optimal classifier on a labelled set (the ceiling)."""
    return float(np.mean(posterior(columns, config, world).argmax(axis=1) == label))


def expected_bayes_accuracy(
    columns: Columns, config: GenerationConfig, world: GeneratorTables | None = None
) -> float:
    """The ceiling's expectation given the findings alone: mean of the top posterior."""
    return float(np.mean(posterior(columns, config, world).max(axis=1)))
