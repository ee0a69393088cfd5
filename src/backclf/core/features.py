"""Feature encoding: columns of findings to a 0/1 matrix with human-readable names.

Yes, no and unknown stay apart: a boolean finding gives two indicators (``fever=yes``,
``fever=no``; both 0 when unknown), an enum one indicator per value, a number one indicator
per bin of ``findings.yaml`` (``age=45-59``). The encoding is plain data (a list of
:class:`Feature`), stored in the model file, so a model always reads cases the way it was
trained.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from backclf import knowledge
from backclf.contract.columns import Columns
from backclf.contract.fields import FIELDS
from backclf.contract.rules import check_value
from backclf.core.conditions import Intervals, bin_interval, small_batch_values


@dataclass(frozen=True)
class Feature:
    """One indicator: ``finding`` equals ``code``, or lies in ``[low, high)``."""

    name: str
    finding: str
    code: int | None = None
    low: float | None = None
    high: float | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def finding_features(finding: str, skip_values: tuple[str, ...] = ()) -> list[Feature]:
    """The indicators of one finding."""
    spec = FIELDS[finding]
    if spec.kind == "bool":
        return [
            Feature(f"{finding}=yes", finding, code=1),
            Feature(f"{finding}=no", finding, code=0),
        ]
    if spec.kind == "enum":
        return [
            Feature(f"{finding}={value}", finding, code=i)
            for i, value in enumerate(spec.values)
            if value not in skip_values
        ]
    bins = knowledge.findings_info().bins[finding]
    return [
        Feature(f"{finding}={label}", finding, low=bins.edges[i], high=bins.edges[i + 1])
        for i, label in enumerate(bins.labels)
    ]


def default_encoding() -> list[Feature]:
    """Features for every finding whose generator table depends on the cause.

    Cause-independent findings (the red-flag-only ones) carry no evidence about the cause
    by construction, so they are left to the red-flag rules.
    """
    features: list[Feature] = []
    for finding, table in knowledge.generator_spec().findings.items():
        if table.informative:
            features.extend(finding_features(finding, tuple(table.uninformative_values)))
    return features


def feature_tests(features: Sequence[Feature]) -> Intervals:
    """The features as intervals of their findings' values, tested together: a code is
    ``code <= v <= code``, a bin ``[low, high)`` is ``low <= v <= previous(high)``
    (:mod:`backclf.core.conditions`). A model builds these once (``ReadableModel.tests``)."""
    return Intervals.of(
        [
            (f.finding, float(f.code), float(f.code), False)
            if f.code is not None
            else (f.finding, *bin_interval(f.low, f.high), False)
            for f in features
        ]
    )


def encode(
    columns: Columns,
    features: Sequence[Feature],
    values: np.ndarray | None = None,
    tests: Intervals | None = None,
) -> np.ndarray:
    """The ``(n, len(features))`` float64 indicator matrix of a batch of cases (``values``:
    the batch's :func:`~backclf.core.conditions.finding_values`; ``tests``: the features'
    :func:`feature_tests`, if already built)."""
    if values is None:
        values = small_batch_values(columns)
    if values is not None:
        by_feature = (tests or feature_tests(features)).holds_by_test(values)
        return np.ascontiguousarray(by_feature.T, dtype=np.float64)  # C order, as ever
    n = len(next(iter(columns.values())))
    x = np.zeros((n, len(features)), dtype=np.float64)
    for j, feature in enumerate(features):
        col = columns[feature.finding]
        if feature.code is not None:
            x[:, j] = col == feature.code
        else:
            x[:, j] = (col >= feature.low) & (col < feature.high)
    return x


def encode_case(findings: Mapping[str, Any], features: Sequence[Feature]) -> np.ndarray:
    """The feature vector of one case given as ``{finding: value}``, one feature at a time."""
    x = np.zeros(len(features))
    for j, feature in enumerate(features):
        value = findings.get(feature.finding)
        if value is None:
            continue
        if feature.code is not None:
            code, _ = check_value(FIELDS[feature.finding], value)
            x[j] = code == feature.code
        else:
            x[j] = feature.low <= value < feature.high
    return x
