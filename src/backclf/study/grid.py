"""The study's grid: every family of moves, size and replicate, as a perturbation of the
default world (:mod:`backclf.study.worlds`)."""

from __future__ import annotations

from dataclasses import dataclass

from backclf.pipeline.params import Params, WorldFamily
from backclf.study.worlds import Perturbation


@dataclass(frozen=True)
class StudyWorld:
    """One world of the study's grid."""

    family: str
    size: float
    replicate: int
    perturbation: Perturbation

    @property
    def name(self) -> str:
        return f"{self.family}/{self.size:g}/r{self.replicate}"


def world_perturbation(
    family: WorldFamily, size: float, sourced_band: float, seed: int
) -> Perturbation:
    """What a world of ``family`` and ``size`` moves; sourced rows never beyond the band."""
    return Perturbation(
        assumption_shift=size * family.assumption_shift,
        sourced_shift=min(size * family.sourced_shift, sourced_band),
        prior_shift=size * family.prior_shift,
        missing_raise=size * family.missing_raise,
        seed=seed,
    )


def study_worlds(params: Params) -> list[StudyWorld]:
    """The grid: every family, size and replicate (replicate ``r`` uses seed + r)."""
    study = params.sensitivity
    return [
        StudyWorld(
            name,
            size,
            r,
            world_perturbation(family, size, study.sourced_band, study.seed + r),
        )
        for name, family in study.families.items()
        for size in study.sizes
        for r in range(study.replicates)
    ]
