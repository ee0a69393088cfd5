"""What each red-flag rule costs and catches on the synthetic test set (docs/clinical-review.md).

Run after `dvc repro` (needs data/test.parquet): `uv run python tools/rule_costs.py [model]`.
For every rule: the share of plain cases of causes 1-4 (no red flag added) that it alone sends
to a doctor within 24 hours or sooner (its marginal over-triage: the level those cases would
have without it is below consultation_24), the share it alone sends to any doctor, and the
pyelonephritis cases it alone keeps at consultation_24 or above. Then the same for the model's
level and the "unusual" floor, and the totals.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from backclf.core.decide import assess_batch
from backclf.core.escalation import model_levels
from backclf.core.model import load_model
from backclf.core.red_flags import rule_set
from backclf.core.typicality import unusual
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS
from backclf.synth.sampler import label_indices, read_labelled

C24 = TRIAGE_LEVELS.index("consultation_24")
CONSULT = TRIAGE_LEVELS.index("consultation")


def main() -> None:
    model = load_model(sys.argv[1]) if len(sys.argv) > 1 else load_model()
    columns, _, table = read_labelled(Path("data/test.parquet"))
    cause = label_indices(table["true_cause"])
    added = table["red_flag_added"].to_numpy()
    d = assess_batch(columns, model)
    rules = rule_set()
    ranks = np.where(d.fired, rules.ranks[None, :], -1)
    model_rank, _ = model_levels(model, d.columns, d.x, d.proba)
    floor = unusual(model, d.columns)[1]
    pyelo = cause == CAUSE_IDS.index("pyelonephritis")
    plain = ~added & ~pyelo
    print(f"plain cases of causes 1-4: {plain.sum()}; pyelonephritis cases: {pyelo.sum()}")
    print(f"{'part':40s} {'plain >=24h':>12s} {'plain >=GP':>11s} {'pyelo kept':>11s}")

    def row(name: str, without: np.ndarray) -> None:
        lost24 = (d.level >= C24) & (without < C24)
        lost = (d.level >= CONSULT) & (without < CONSULT)
        print(
            f"{name:40s} {lost24[plain].mean():12.4f} {lost[plain].mean():11.4f} "
            f"{lost24[pyelo].sum():11d}"
        )

    for r, rule in enumerate(rules.rules):
        rest = np.delete(ranks, r, axis=1).max(axis=1, initial=-1)
        row(rule.id, np.maximum.reduce([rest, model_rank, floor]))
    rule_rank = ranks.max(axis=1, initial=-1)
    row("(model: a kidney infection considered)", np.maximum(rule_rank, floor))
    row("(unusual presentation floor)", np.maximum(rule_rank, model_rank))
    print(
        f"{'total':40s} {(d.level[plain] >= C24).mean():12.4f} {(d.level[plain] >= 1).mean():11.4f}"
    )
    print(f"pyelonephritis below consultation_24: {(d.level[pyelo] < C24).mean():.4f}")
    print(f"plain cases of causes 1-4 that are unusual: {d.unusual[plain].mean():.4f}")


if __name__ == "__main__":
    main()
