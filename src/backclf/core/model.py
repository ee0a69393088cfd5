"""The readable model file: what ``assess`` serves, with numpy alone.

A model file is JSON a clinician can read: the feature encoding, the classes, and either
per-cause weights (``logistic``), small integer points (``points``), or the rules of a
shallow tree (``tree``); plus a calibration temperature, the abstention threshold, and the
hash of the data it was trained on. :func:`write_model` is deterministic (rounded floats,
sorted keys), so the same training gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from backclf.core.features import Feature, encode, encoding_from_dicts
from backclf.knowledge import CAUSE_IDS

FORMAT = "backclf-model"
FORMAT_VERSION = 1
KINDS = ("logistic", "points", "tree")
PACKAGED = "champion.json"


class ModelFileError(ValueError):
    """A model file that is missing, unreadable or not a backclf model."""


@dataclass(frozen=True, eq=False)
class ReadableModel:
    """A loaded model file. ``predict_proba`` and ``effects`` work on feature matrices."""

    kind: str
    classes: tuple[str, ...]
    features: tuple[Feature, ...]
    temperature: float
    abstain_below: float
    consider_above: float
    weights: np.ndarray | None = None  # (K, F): logistic weights, or points / scale
    intercept: np.ndarray | None = None  # (K,)
    tree: dict[str, np.ndarray] | None = None
    raw: dict[str, Any] | None = None
    sha256: str = ""

    # -- prediction --------------------------------------------------------------------------

    def logits(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "tree":
            leaves = self._leaves(x)
            return np.log(np.clip(self.tree["value"][leaves], 1e-6, None))
        return x @ self.weights.T + self.intercept

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """``(n, K)`` calibrated probabilities, rows summing to 1."""
        z = self.logits(x) / self.temperature
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def effects(self, x: np.ndarray, proba: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """``(n, F)`` signed effect of each feature on the chosen cause.

        Linear models: the feature's push on the chosen cause's log-odds against the other
        causes, ``x_f (w_cf - Σ_{k≠c} q_k w_kf) / T`` with ``q`` the others' probabilities
        renormalised (the gradient of log(p_c / (1 - p_c)); it does not saturate).
        Trees: the change in the chosen cause's probability at each split on the case's
        path, credited to the split's feature.
        """
        rows = np.arange(len(x))
        if self.kind != "tree":
            w = self.weights / self.temperature
            others = proba.copy()
            others[rows, chosen] = 0.0
            others /= np.clip(others.sum(axis=1, keepdims=True), 1e-300, None)
            return x * (w[chosen] - others @ w)
        effects = np.zeros_like(x)
        node = np.zeros(len(x), dtype=np.int64)
        value = self.tree["value"]
        for _ in range(self.tree["depth"]):
            feature = self.tree["feature"][node]
            inner = feature >= 0
            go_right = inner & (x[rows, np.maximum(feature, 0)] > 0.5)
            child = np.where(go_right, self.tree["right"][node], self.tree["left"][node])
            child = np.where(inner, child, node)
            gain = value[child, chosen] - value[node, chosen]
            np.add.at(effects, (rows[inner], feature[inner]), gain[inner])
            node = child
        return effects

    def _leaves(self, x: np.ndarray) -> np.ndarray:
        node = np.zeros(len(x), dtype=np.int64)
        rows = np.arange(len(x))
        for _ in range(self.tree["depth"]):
            feature = self.tree["feature"][node]
            inner = feature >= 0
            go_right = x[rows, np.maximum(feature, 0)] > 0.5
            child = np.where(go_right, self.tree["right"][node], self.tree["left"][node])
            node = np.where(inner, child, node)
        return node

    def encode(self, columns: dict[str, np.ndarray]) -> np.ndarray:
        return encode(columns, list(self.features))


# -- reading ---------------------------------------------------------------------------------


def model_from_dict(data: dict[str, Any], sha256: str = "") -> ReadableModel:
    """Build a model from the parsed JSON of a model file, checking its shape."""
    if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"not a {FORMAT} v{FORMAT_VERSION} file")
    kind = data.get("kind")
    if kind not in KINDS:
        raise ModelFileError(f"unknown model kind {kind!r}; expected one of {KINDS}")
    classes = tuple(data["classes"])
    if classes != CAUSE_IDS:
        raise ModelFileError(f"classes must be {CAUSE_IDS}")
    features = tuple(encoding_from_dicts(data["encoding"]))
    common = dict(
        kind=kind,
        classes=classes,
        features=features,
        temperature=float(data["calibration"]["temperature"]),
        abstain_below=float(data["decision"]["abstain_below"]),
        consider_above=float(data["decision"]["consider_above"]),
        raw=data,
        sha256=sha256,
    )
    if kind == "logistic":
        weights = np.array(
            [[c["weights"].get(f.name, 0.0) for f in features] for c in data["causes"]]
        )
        intercept = np.array([c["intercept"] for c in data["causes"]])
        return ReadableModel(weights=weights, intercept=intercept, **common)
    if kind == "points":
        scale = float(data["points_per_logit"])
        weights = (
            np.array(
                [[c["points"].get(f.name, 0) for f in features] for c in data["causes"]],
                dtype=np.float64,
            )
            / scale
        )
        intercept = np.array([c["base_points"] for c in data["causes"]], dtype=np.float64) / scale
        return ReadableModel(weights=weights, intercept=intercept, **common)
    return ReadableModel(tree=_tree_arrays(data["tree"], features), **common)


def _tree_arrays(nodes: list[dict[str, Any]], features: tuple[Feature, ...]) -> dict:
    index = {f.name: j for j, f in enumerate(features)}
    n = len(nodes)
    feature = np.full(n, -1, dtype=np.int64)
    left = np.full(n, -1, dtype=np.int64)
    right = np.full(n, -1, dtype=np.int64)
    value = np.zeros((n, len(CAUSE_IDS)))
    for node in nodes:
        i = node["node"]
        value[i] = [node["probabilities"][c] for c in CAUSE_IDS]
        if "if_present" in node:
            feature[i] = index[node["feature"]]
            right[i] = node["if_present"]
            left[i] = node["if_absent"]
    depth = max((node.get("depth", 0) for node in nodes), default=0) + 1
    return {"feature": feature, "left": left, "right": right, "value": value, "depth": depth}


def load_model(path: Path | str | None = None) -> ReadableModel:
    """Load a model file; by default the champion packaged with backclf."""
    if path is None:
        return packaged_model()
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"cannot read model file {path}: {exc.strerror or exc}") from None
    return _parse(text, str(path))


def _parse(data: bytes, where: str) -> ReadableModel:
    try:
        parsed = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{where} is not JSON: {exc}") from None
    try:
        return model_from_dict(parsed, hashlib.sha256(data).hexdigest())
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        if isinstance(exc, ModelFileError):
            raise ModelFileError(f"{where}: {exc}") from None
        raise ModelFileError(f"{where} is not a valid backclf model: {exc!r}") from None


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
    return _parse(data, f"packaged {PACKAGED}")


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


def dumps_model(data: dict[str, Any], digits: int = 6) -> str:
    """The canonical text of a model file: rounded floats, sorted keys, newline at the end."""
    return json.dumps(_rounded(data, digits), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_model(data: dict[str, Any], path: Path, digits: int = 6) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps_model(data, digits), encoding="utf-8")
    return path
