"""Baselines every candidate must beat: the majority cause, and the article read literally."""

from __future__ import annotations

from typing import Any

import numpy as np

from backclf.contract.columns import Columns
from backclf.contract.fields import FIELDS
from backclf.knowledge import CAUSE_IDS

K = len(CAUSE_IDS)


def majority_proba(n: int, train_label: np.ndarray) -> np.ndarray:
    """Always the most frequent training cause, with the training frequencies as probabilities."""
    freq = np.bincount(train_label, minlength=K) / len(train_label)
    return np.tile(freq, (n, 1))


def article_rules_proba(columns: Columns) -> np.ndarray:
    """A hand-written baseline that follows the article's text literally.

    Fever or frequent urination -> pyelonephritis ("often accompanied by frequent urination
    and fever"); restricted movement -> facet joint ("accompanied by restricted movement");
    chronic strain -> lumbar muscle strain ("on the basis of chronic strain"); lifting ->
    excessive loading; bending/twisting or spasm -> sudden postural change ("spasmodic pain");
    otherwise sudden postural change (cause 1). Signs are taken in the article's order and
    a later cause's sign wins (so an infection sign always means pyelonephritis). Confidence
    0.8 on the choice.
    """

    def code(finding: str, value: Any) -> np.ndarray:
        spec = FIELDS[finding]
        target = int(value) if spec.kind == "bool" else spec.values.index(value)
        return columns[finding] == target

    n = len(columns["fever"])
    choice = np.full(n, CAUSE_IDS.index("sudden_postural_change"))
    ordered = [
        (code("spasm", True) | code("trigger", "bending_or_twisting"), "sudden_postural_change"),
        (code("trigger", "lifting_heavy_object"), "excessive_loading"),
        (code("chronic_strain_history", True), "lumbar_muscle_strain"),
        (code("restricted_movement", True), "facet_joint_dysfunction"),
        (code("fever", True) | code("frequent_urination", True), "pyelonephritis"),
    ]
    for mask, cause in ordered:
        choice[mask] = CAUSE_IDS.index(cause)
    proba = np.full((n, K), 0.05)
    proba[np.arange(n), choice] = 0.8
    return proba
