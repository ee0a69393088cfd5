"""Choices that float noise cannot flip (issue 24): the one-standard-error rule on hand-made
fold losses, and the temperature fit against a temperature worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from backclf.pipeline.selection import one_standard_error
from backclf.pipeline.train import fit_temperature

GRID = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
# The development data's fold losses (3 folds x 6 Cs, rounded), where a plain argmax chose
# C = 0.3 on one BLAS kernel and C = 1.0 on another.
DEV_LOSSES = np.array(
    [
        [0.852594009, 0.846845859, 0.845824783, 0.845857099, 0.845941465, 0.845975601],
        [0.840787782, 0.833764373, 0.832010459, 0.831734487, 0.831685783, 0.831678130],
        [0.852849618, 0.847455927, 0.846655501, 0.846772730, 0.846888271, 0.846930964],
    ]
)


def test_the_development_folds_choose_c_0_1_by_a_wide_margin():
    chosen = one_standard_error(GRID, DEV_LOSSES)
    assert chosen.best == 0.3 and chosen.chosen == 0.1
    # 0.1 is 0.42e-4 above the best with a standard error of 1.19e-4; 0.03 is 12.3e-4 above
    # with 4.08e-4: neither comparison is near float noise (~1e-14).
    assert chosen.excess_over_best[0.1] == pytest.approx(0.0000421, abs=1e-7)
    assert chosen.standard_error[0.1] == pytest.approx(0.000119, abs=1e-6)
    assert chosen.excess_over_best[0.03] > 3 * chosen.standard_error[0.03]


@pytest.mark.parametrize("noise", [1e-13, -1e-13, 3e-12])
def test_noise_far_below_the_rounding_changes_nothing(noise):
    rng = np.random.default_rng(0)
    jitter = noise * rng.standard_normal(DEV_LOSSES.shape)
    assert one_standard_error(GRID, DEV_LOSSES + jitter) == one_standard_error(GRID, DEV_LOSSES)


# (fold losses for C = [0.1, 1, 10], chosen, why)
HAND_MADE = [
    ([[0.50, 0.40, 0.41], [0.52, 0.42, 0.43]], 1.0, "0.1 is 0.10 worse on both folds"),
    ([[0.41, 0.40, 0.40], [0.41, 0.42, 0.42]], 0.1, "0.1's excess 0 on average: within"),
    ([[0.40, 0.40, 0.40], [0.40, 0.40, 0.40]], 0.1, "all tied: the most regularised"),
    ([[0.45, 0.44, 0.40], [0.45, 0.44, 0.40]], 10.0, "fold-wise differences never vary"),
    ([[0.42, 0.40, 0.41], [0.40, 0.40, 0.41]], 0.1, "excess 0.01, standard error 0.01"),
]


@pytest.mark.parametrize(("losses", "chosen", "why"), HAND_MADE)
def test_the_rule_on_hand_made_folds(losses, chosen, why):
    assert one_standard_error([0.1, 1.0, 10.0], np.array(losses)).chosen == chosen, why


def test_the_grid_order_does_not_matter():
    losses = np.array([[0.41, 0.40, 0.40], [0.41, 0.42, 0.42]])
    shuffled = one_standard_error([10.0, 0.1, 1.0], losses[:, [2, 0, 1]])
    assert shuffled.chosen == one_standard_error([0.1, 1.0, 10.0], losses).chosen == 0.1


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="folds >= 2"):
        one_standard_error([0.1, 1.0], np.array([[0.4, 0.5]]))


def test_the_temperature_of_logits_drawn_at_a_known_temperature():
    """Cases whose labels are drawn from softmax(z / 2) are best fitted at T close to 2."""
    rng = np.random.default_rng(1)
    z = rng.normal(0, 3, size=(20_000, 4))
    p = np.exp(z / 2)
    p /= p.sum(axis=1, keepdims=True)
    y = (p.cumsum(axis=1) > rng.random((len(z), 1))).argmax(axis=1)
    assert fit_temperature(z, y) == pytest.approx(2.0, rel=0.05)


def test_the_temperature_stays_in_its_bracket():
    z = np.array([[5.0, 0.0], [0.0, 5.0]] * 50)
    assert fit_temperature(z, np.array([0, 1] * 50)) == 0.2  # always right: as sharp as allowed
    assert fit_temperature(z, np.array([1, 0] * 50)) == 5.0  # always wrong: as flat as allowed
