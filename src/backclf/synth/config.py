"""The knobs of one generated set (every one of them is in ``params.yaml``).

Light on purpose: reading the pipeline's parameters imports this, not the sampler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from backclf import knowledge
from backclf.knowledge import CAUSE_IDS

#: A missing rate at or above this would leave almost nothing answered (the sensitivity
#: study's worlds stay under it).
MAX_MISSING_RATE = 0.9


@dataclass(frozen=True)
class GenerationConfig:
    """The knobs of one generated set (all of them in ``params.yaml``)."""

    n: int = 10_000
    seed: int = 0
    priors: dict[str, float] | None = None  # override of generator.yaml's priors
    missing_rate: float = 0.1  # extra chance that any answered finding is left unanswered
    atypical_rate: float = 0.05  # findings drawn from the pool of all causes
    red_flag_rate: float = 0.05  # one red-flag scenario added; the label stays the cause
    label_noise: float = 0.02  # label swapped for another cause at random

    def __post_init__(self) -> None:
        for name in ("missing_rate", "atypical_rate", "red_flag_rate", "label_noise"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1)")
        if self.n < 0:
            raise ValueError("n must be >= 0")
        if self.priors is not None:
            unknown = set(self.priors) - set(CAUSE_IDS)
            if unknown or abs(sum(self.priors.values()) - 1) > 1e-6:
                raise ValueError(f"priors must be over {CAUSE_IDS} and sum to 1")

    def prior_vector(self, spec_priors: Mapping[str, float] | None = None) -> np.ndarray:
        """The class priors: this config's override, else the spec's (by default the
        packaged generator.yaml's)."""
        priors = self.priors or spec_priors or knowledge.generator_spec().priors.p
        return np.array([priors.get(c, 0.0) for c in CAUSE_IDS])
