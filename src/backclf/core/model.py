"""The readable model: a model file (:mod:`backclf.core.model_file`) made executable with numpy.

:func:`load_model` reads and checks a file and returns a :class:`LinearModel` (logistic
weights or points) or a :class:`TreeModel`; both give calibrated probabilities, each
feature's effect on a chosen cause (the "why"), and each feature's lift per cause (what
``backclf explain`` and the model card show). :func:`dumps_model` writes a file
deterministically (rounded floats, sorted keys), so the same training gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any, get_args

import numpy as np

from backclf.contract.rules import quote
from backclf.core.conditions import Intervals
from backclf.core.features import Feature, encode, feature_tests
from backclf.core.model_file import (
    LogisticModelFile,
    ModelFile,
    PointsModelFile,
    TreeModelFile,
)
from backclf.knowledge import CAUSE_IDS

PACKAGED = "champion.json"
KINDS = ("logistic", "points", "tree")
#: A model file larger than this is not one training wrote.
MAX_FILE_BYTES = 64 * 1024 * 1024


class ModelFileError(ValueError):
    """A model file that is missing, unreadable or not a backclf model."""


@dataclass(frozen=True, eq=False)
class ReadableModel:
    """A loaded model file. ``predict_proba`` and ``effects`` work on feature matrices."""

    file: LogisticModelFile | PointsModelFile | TreeModelFile
    features: tuple[Feature, ...]
    sha256: str = ""

    @property
    def kind(self) -> str:
        return self.file.kind

    @property
    def version(self) -> str:
        return self.file.version

    @property
    def temperature(self) -> float:
        return self.file.calibration.temperature

    @property
    def abstain_below(self) -> float:
        return self.file.decision.abstain_below

    @property
    def consider_above(self) -> float:
        return self.file.decision.consider_above

    @cached_property
    def tests(self) -> Intervals:
        """The features as tests of the findings' values, built once per model."""
        return feature_tests(self.features)

    def encode(
        self, columns: dict[str, np.ndarray], values: np.ndarray | None = None
    ) -> np.ndarray:
        return encode(columns, self.features, values, self.tests)

    def logits(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """``(n, K)`` calibrated probabilities, rows summing to 1."""
        z = self.logits(x) / self.temperature
        top = np.full(len(z), -np.inf)  # the row maxima, a cause at a time (max is exact)
        for k in range(z.shape[1]):
            np.maximum(top, z[:, k], out=top)
        z -= top[:, None]
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def effects(self, x: np.ndarray, proba: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """``(n, F)`` signed effect of each present feature on the chosen cause."""
        raise NotImplementedError

    def lift(self) -> np.ndarray:
        """``(K, F)``: how much each feature raises each cause against the others."""
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class LinearModel(ReadableModel):
    """Log-odds ``(x @ weights.T + intercept) / scale``: logistic weights (``scale`` 1), or a
    scorecard's integer points (``scale`` = points per logit). Points are summed as integers
    before the one division, so equal point totals give exactly equal logits on any machine
    and ties go to the first cause in contract order."""

    weights: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (K, F)
    intercept: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (K,)
    scale: float = 1.0

    def logits(self, x: np.ndarray) -> np.ndarray:
        return (x @ self.weights.T + self.intercept) / self.scale

    def effects(self, x: np.ndarray, proba: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """The feature's push on the chosen cause's log-odds against the other causes,
        ``x_f (w_cf - Σ_{k≠c} q_k w_kf) / T`` with ``q`` the others' probabilities
        renormalised (the gradient of log(p_c / (1 - p_c)); it does not saturate)."""
        rows = np.arange(len(x))
        w = self.weights / (self.scale * self.temperature)
        others = proba.copy()
        others[rows, chosen] = 0.0
        others /= np.clip(others.sum(axis=1, keepdims=True), 1e-300, None)
        return x * (w[chosen] - others @ w)

    def lift(self) -> np.ndarray:
        """The weight against the other causes' mean (log-odds)."""
        w = self.weights / (self.scale * self.temperature)
        return np.stack([w[k] - np.delete(w, k, axis=0).mean(axis=0) for k in range(len(w))])


@dataclass(frozen=True, eq=False)
class TreeModel(ReadableModel):
    """Nodes as arrays: ``feature[i]`` (-1 at a leaf), ``left``/``right`` children
    (absent/present), ``value[i]`` the node's cause probabilities."""

    feature: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    left: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    right: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    value: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    depth: int = 0

    def logits(self, x: np.ndarray) -> np.ndarray:
        return np.log(np.clip(self.value[self._leaves(x)], 1e-6, None))

    def _steps(self, x: np.ndarray):
        """Walk every case down the tree: yields (node, child) per level."""
        rows = np.arange(len(x))
        node = np.zeros(len(x), dtype=np.int64)
        for _ in range(self.depth):
            feature = self.feature[node]
            inner = feature >= 0
            present = x[rows, np.maximum(feature, 0)] > 0.5
            child = np.where(inner, np.where(present, self.right[node], self.left[node]), node)
            yield node, child, inner
            node = child

    def _leaves(self, x: np.ndarray) -> np.ndarray:
        node = np.zeros(len(x), dtype=np.int64)
        for _, child, _ in self._steps(x):
            node = child
        return node

    def effects(self, x: np.ndarray, proba: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """The change in the chosen cause's probability at each split on the case's path,
        credited to the split's feature."""
        rows = np.arange(len(x))
        effects = np.zeros_like(x)
        for node, child, inner in self._steps(x):
            gain = self.value[child, chosen] - self.value[node, chosen]
            np.add.at(effects, (rows[inner], self.feature[node][inner]), gain[inner])
        return effects

    def lift(self) -> np.ndarray:
        """For every split, the rise in the cause's probability when the feature is present,
        weighted by the share of training cases that reach the present branch."""
        nodes = self.file.tree
        lift = np.zeros((len(CAUSE_IDS), len(self.features)))
        total = nodes[0].samples or 1
        for i, node in enumerate(nodes):
            if node.feature is None:
                continue
            present = self.right[i]
            share = nodes[present].samples / total
            lift[:, self.feature[i]] += share * (self.value[present] - self.value[i])
        return lift


# -- from a file -----------------------------------------------------------------------------


def model_from_file(file: ModelFile, sha256: str = "") -> ReadableModel:
    """The executable model of a checked model file."""
    features = tuple(Feature(**f.model_dump(exclude_none=True)) for f in file.encoding)
    if isinstance(file, TreeModelFile):
        index = {f.name: j for j, f in enumerate(features)}
        n = len(file.tree)
        feature = np.full(n, -1, dtype=np.int64)
        left = np.full(n, -1, dtype=np.int64)
        right = np.full(n, -1, dtype=np.int64)
        value = np.array([[node.probabilities[c] for c in CAUSE_IDS] for node in file.tree])
        for i, node in enumerate(file.tree):
            if node.feature is not None:
                feature[i], left[i], right[i] = index[node.feature], node.if_absent, node.if_present
        return TreeModel(
            file, features, sha256, feature, left, right, value, depth=file.depth()
        )
    if isinstance(file, PointsModelFile):
        points = [[c.points.get(f.name, 0) for f in features] for c in file.causes]
        base = [c.base_points for c in file.causes]
        return LinearModel(
            file,
            features,
            sha256,
            np.array(points, dtype=np.float64),  # small integers: sums are exact
            np.array(base, dtype=np.float64),
            scale=file.points_per_logit,
        )
    weights = np.array([[c.weights.get(f.name, 0.0) for f in features] for c in file.causes])
    intercept = np.array([c.intercept for c in file.causes])
    return LinearModel(file, features, sha256, weights, intercept)


@cache
def _file_types() -> dict[str, type[ModelFile]]:
    """Each kind's file type, read off the :data:`ModelFile` union. A file is checked against
    its own kind's type: pydantic then builds the schema of one kind, not of all of them."""
    union = get_args(ModelFile)[0]
    return {get_args(t.model_fields["kind"].annotation)[0]: t for t in get_args(union)}


def check_model_file(data: Any) -> ModelFile:
    """Check parsed JSON against the model file schema; raise :class:`ModelFileError`."""
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise ModelFileError(f"a model file is a JSON object, not {type(data).__name__}")
    if data.get("format") != "backclf-model" or data.get("format_version") != 1:
        raise ModelFileError("not a backclf-model v1 file")
    if data.get("kind") not in KINDS:
        kind = quote(data.get("kind"))
        raise ModelFileError(f"unknown model kind {kind}; expected one of {KINDS}")
    try:
        return _file_types()[data["kind"]].model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        message = first["msg"].removeprefix("Value error, ")
        raise ModelFileError(f"{where + ': ' if where else ''}{message}{more}") from None


def parse_model(data: bytes, where: str) -> ReadableModel:
    """A model from the bytes of a model file; ``where`` names it in errors."""
    if len(data) > MAX_FILE_BYTES:
        raise ModelFileError(f"{where} is too large to be a model file")
    try:
        parsed = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{where} is not JSON: {exc}") from None
    except (RecursionError, ValueError):  # nested too deeply; an integer of 4,300+ digits
        raise ModelFileError(f"{where} is not a valid backclf model") from None
    try:
        file = check_model_file(parsed)
    except ModelFileError as exc:
        raise ModelFileError(f"{where}: {exc}") from None
    return model_from_file(file, hashlib.sha256(data).hexdigest())


def load_model(path: Path | str | None = None) -> ReadableModel:
    """Load a model file; by default the champion packaged with backclf."""
    if path is None:
        return packaged_model()
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"cannot read model file {path}: {exc.strerror or exc}") from None
    return parse_model(data, str(path))


@cache
def packaged_model() -> ReadableModel:
    """The champion model shipped inside the package."""
    resource = resources.files("backclf.published").joinpath(PACKAGED)
    try:
        data = resource.read_bytes()
    except OSError:
        raise ModelFileError(
            "the packaged model is missing; run `dvc repro` to train and publish it"
        ) from None
    return parse_model(data, f"packaged {PACKAGED}")


# -- writing ---------------------------------------------------------------------------------


def _rounded(obj: Any, digits: int) -> Any:
    if isinstance(obj, float | np.floating):
        value = round(float(obj), digits)
        return 0.0 if value == 0 else value
    if isinstance(obj, dict):
        return {k: _rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_rounded(v, digits) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def dumps_model(file: ModelFile, digits: int = 6) -> str:
    """The canonical text of a model file: rounded floats, sorted keys, newline at the end."""
    data = file.model_dump(mode="json", exclude_none=True)
    return json.dumps(_rounded(data, digits), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_model(file: ModelFile, path: Path, digits: int = 6) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps_model(file, digits), encoding="utf-8")
    return path
