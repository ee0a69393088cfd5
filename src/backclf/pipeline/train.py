"""Fit the interpretable candidates and export each as a model file.

Candidates: (a) multinomial logistic regression, regularisation chosen by cross-validation
and the one-standard-error rule;
(b) a shallow decision tree; (c) a points scorecard (small integers per finding per cause)
derived from (a). Each is calibrated by a single temperature fitted on the validation set.
Needs the ``pipeline`` extra (scikit-learn); the model files need numpy alone.

Every candidate also carries the question policy's answer rates (:func:`answer_rates`): how
often each answer to each finding the model reads, "don't know" included, comes with each
cause in the training data.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from backclf import __version__, knowledge
from backclf.contract.columns import Columns
from backclf.contract.fields import FIELDS
from backclf.core.features import Feature
from backclf.core.model import model_from_file
from backclf.core.model_file import (
    FORMAT,
    FORMAT_VERSION,
    UNKNOWN_ANSWER,
    LogisticModelFile,
    ModelFile,
    PointsModelFile,
    TreeModelFile,
)
from backclf.knowledge import CAUSE_IDS
from backclf.pipeline.metrics import log_loss
from backclf.pipeline.params import AssessParams, InterviewParams, TrainParams
from backclf.pipeline.selection import Selection, one_standard_error


def _answers_of(finding: str, col: np.ndarray, features: list[Feature]) -> tuple[list, np.ndarray]:
    """A finding's answers as ``(answer, feature name or None)``, the last "unknown", and
    each row's answer index."""
    spec = FIELDS[finding]
    own = [f for f in features if f.finding == finding]
    if spec.numeric:
        bins = knowledge.findings_info().bins[finding]
        names = list(bins.labels)
        feature_of = {f.low: f.name for f in own}
        feature_names = [feature_of.get(low) for low in bins.edges[:-1]]
        known = ~np.isnan(col)
        index = np.searchsorted(bins.edges, np.where(known, col, bins.edges[0]), side="right") - 1
        inside = known & (index >= 0) & (index < len(names))
    else:
        names = ["yes", "no"] if spec.kind == "bool" else list(spec.values)
        codes = [1, 0] if spec.kind == "bool" else list(range(len(spec.values)))
        feature_of = {f.code: f.name for f in own}
        feature_names = [feature_of.get(code) for code in codes]
        lookup = np.full(max(codes) + 2, len(names))  # code -1 (unknown) -> the last answer
        for i, code in enumerate(codes):
            lookup[code] = i
        index = lookup[col.astype(np.int64)]
        inside = col >= 0
    index = np.where(inside, index, len(names))
    return [*zip(names, feature_names, strict=True), (UNKNOWN_ANSWER, None)], index


def answer_rates(
    columns: Columns, y: np.ndarray, features: list[Feature], smoothing: float
) -> list[dict[str, Any]]:
    """P(answer | cause) for every finding the features read, from labelled cases: the
    share of each cause's cases with each answer ("unknown" is the answer "don't know"),
    with ``smoothing`` pseudo-cases per answer so no answer is impossible."""
    out = []
    for finding in dict.fromkeys(f.finding for f in features):
        answers, index = _answers_of(finding, columns[finding], features)
        counts = np.zeros((len(CAUSE_IDS), len(answers)))
        np.add.at(counts, (y, index), 1.0)
        total = counts.sum(axis=1, keepdims=True) + smoothing * len(answers)
        rates = (counts + smoothing) / total
        out.append(
            {
                "finding": finding,
                "answers": [
                    {
                        "answer": answer,
                        **({"feature": feature} if feature else {}),
                        "p": {c: float(rates[k, a]) for k, c in enumerate(CAUSE_IDS)},
                    }
                    for a, (answer, feature) in enumerate(answers)
                ],
            }
        )
    return out


def interview_policy(
    columns: Columns, y: np.ndarray, features: list[Feature], params: InterviewParams
) -> dict[str, Any]:
    """The model file's ``interview`` section: the causes' shares and the answer rates in
    the training data (both smoothed), and the policy's parameters."""
    counts = np.bincount(y, minlength=len(CAUSE_IDS)) + params.smoothing
    return {
        "smoothing": params.smoothing,
        "prior": {c: float(p) for c, p in zip(CAUSE_IDS, counts / counts.sum(), strict=True)},
        "information_weight": params.information_weight,
        "stop": {
            "confidence": params.stop_confidence,
            "min_information": params.min_information,
            "max_answered": params.max_answered,
        },
        "listed": params.listed,
        "urgent_stop": params.urgent_stop,
        "answers": answer_rates(columns, y, features, params.smoothing),
    }


def _header(
    features: list[Feature],
    assess: AssessParams,
    training: dict[str, Any],
    interview: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "version": __version__,
        "classes": CAUSE_IDS,
        "encoding": [f.to_dict() for f in features],
        "calibration": {"temperature": 1.0, "fitted_on": "validation set, log loss"},
        "decision": assess.model_dump(),
        "training": training,
        **({"interview": interview} if interview is not None else {}),
    }


#: Fitted weights and temperatures are stored to this many decimals. The fits converge to
#: ~1e-13 (Newton steps, see :func:`_fit_multinomial`), so the stored digits are the same
#: whatever BLAS kernel or thread count did the arithmetic.
PARAMETER_DECIMALS = 6


def _fit_multinomial(x: np.ndarray, y: np.ndarray, c: float, path=None):
    """Multinomial logistic regression solved by Newton's method to a gradient of 1e-10.

    L-BFGS (scikit-learn's default) stops on a relative change in the loss, which leaves the
    weights ~1e-6 apart on different BLAS kernels; Newton steps converge quadratically, to
    weights equal to ~1e-13 on every kernel tried. A fit that does not converge is an error,
    not a warning: its digits would not be reproducible. ``path``, an estimator with
    ``warm_start`` fitted at another C, starts the steps from that fit (cross-validation walks
    the grid; the optimum is the same, reached in fewer steps).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", FutureWarning)  # 1.9 announces 1.10's new defaults
        model = LogisticRegression() if path is None else path
        return model.set_params(C=c, solver="newton-cholesky", tol=1e-10, max_iter=100).fit(x, y)


def choose_c(x: np.ndarray, y: np.ndarray, config: TrainParams) -> Selection:
    """C by stratified K-fold log loss and the one-standard-error rule
    (:func:`backclf.pipeline.selection.one_standard_error`)."""
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(config.cv_folds, shuffle=True, random_state=config.seed)
    from sklearn.linear_model import LogisticRegression

    losses = np.zeros((config.cv_folds, len(config.c_grid)))
    for f, (fit, held) in enumerate(folds.split(x, y)):
        # Each fold walks the grid from the most regularised C, each fit starting from the
        # last: 73 Newton steps instead of 130 on the default data, the same losses to far
        # below selection.LOSS_DECIMALS (and the chosen model is refitted from zero).
        path = LogisticRegression(warm_start=True)
        for j in np.argsort(config.c_grid, kind="stable"):
            model = _fit_multinomial(x[fit], y[fit], config.c_grid[j], path)
            losses[f, j] = log_loss(model.predict_proba(x[held]), y[held])
    return one_standard_error(list(config.c_grid), losses)


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    features: list[Feature],
    config: TrainParams,
    assess: AssessParams,
    training: dict[str, Any],
    interview: dict[str, Any] | None = None,
) -> LogisticModelFile:
    """Multinomial logistic regression with C chosen by cross-validation and the
    one-standard-error rule (a grid of one C is used as it is); weights rounded to
    :data:`PARAMETER_DECIMALS`."""
    if len(config.c_grid) == 1:  # nothing to choose
        best_c, selection = float(config.c_grid[0]), {}
    else:
        chosen = choose_c(x, y, config)
        best_c, selection = chosen.chosen, {"c_selection": chosen.as_dict()}
    fitted = _fit_multinomial(x, y, best_c)
    weights = fitted.coef_ - fitted.coef_.mean(axis=0, keepdims=True)  # same softmax, centred
    intercept = fitted.intercept_ - fitted.intercept_.mean()
    weights = np.round(weights, PARAMETER_DECIMALS) + 0.0  # + 0.0: no negative zeros
    intercept = np.round(intercept, PARAMETER_DECIMALS) + 0.0
    return LogisticModelFile(
        kind="logistic",
        **_header(features, assess, {**training, "C": best_c, **selection}, interview),
        causes=[
            {
                "id": cause,
                "intercept": float(intercept[k]),
                "weights": {f.name: float(weights[k, j]) for j, f in enumerate(features)},
            }
            for k, cause in enumerate(CAUSE_IDS)
        ],
    )


def points_from_logistic(logistic: LogisticModelFile, config: TrainParams) -> PointsModelFile:
    """A scorecard: the logistic weights scaled so the largest is ``points_max``, rounded."""
    features = [f.name for f in logistic.encoding]
    weights = np.array([[c.weights[f] for f in features] for c in logistic.causes])
    scale = config.points_max / max(np.abs(weights).max(), 1e-9)
    header = logistic.model_dump(exclude={"kind", "causes"})
    return PointsModelFile(
        kind="points",
        **header,
        points_per_logit=float(scale),
        causes=[
            {
                "id": c.id,
                "base_points": int(round(c.intercept * scale)),
                "points": {
                    f: int(round(weights[k, j] * scale))
                    for j, f in enumerate(features)
                    if round(weights[k, j] * scale) != 0
                },
            }
            for k, c in enumerate(logistic.causes)
        ],
    )


def fit_tree(
    x: np.ndarray,
    y: np.ndarray,
    features: list[Feature],
    config: TrainParams,
    assess: AssessParams,
    training: dict[str, Any],
    interview: dict[str, Any] | None = None,
) -> TreeModelFile:
    """A shallow decision tree, exported as readable rules (one entry per node)."""
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(
        max_depth=config.tree_max_depth,
        min_samples_leaf=config.tree_min_samples_leaf,
        random_state=config.seed,
    ).fit(x, y)
    t = tree.tree_
    depth = np.zeros(t.node_count, dtype=int)
    nodes = []
    for i in range(t.node_count):
        counts = (
            t.value[i][0] * t.n_node_samples[i]
            if t.value[i][0].sum() <= 1.0 + 1e-9
            else t.value[i][0]
        )
        smoothed = (counts + 1.0) / (counts.sum() + len(CAUSE_IDS))  # Laplace: no zero leaves
        node: dict[str, Any] = {
            "node": i,
            "depth": int(depth[i]),
            "samples": int(t.n_node_samples[i]),
            "probabilities": {c: float(smoothed[k]) for k, c in enumerate(CAUSE_IDS)},
        }
        if t.children_left[i] >= 0:
            node["feature"] = features[t.feature[i]].name
            node["if_absent"] = int(t.children_left[i])  # indicator <= 0.5
            node["if_present"] = int(t.children_right[i])
            depth[t.children_left[i]] = depth[t.children_right[i]] = depth[i] + 1
        nodes.append(node)
    header = _header(features, assess, training, interview)
    return TreeModelFile(kind="tree", **header, tree=nodes)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature T in [0.2, 5] that minimises the log loss of ``softmax(logits / T)``.

    The loss is convex in s = 1/T, so its minimum is the root of its derivative,
    ``mean(E_p[z] - z_y)``, found by Brent's method (scipy's ``brentq``) to 1e-14. A root of
    the derivative is well conditioned where the loss itself is flat: comparing losses near
    the minimum (golden-section search, as before) lets float noise pick the digits.
    """
    from scipy.optimize import brentq

    def slope(s: float) -> float:
        z = logits * s
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        return float(np.mean((p * logits).sum(axis=1) - logits[np.arange(len(y)), y]))

    low, high = 1 / 5.0, 1 / 0.2
    if slope(low) >= 0:  # the loss rises from the smallest s: the largest temperature
        return 5.0
    if slope(high) <= 0:
        return 0.2
    return 1.0 / brentq(slope, low, high, xtol=1e-14, rtol=1e-14, maxiter=200)


def calibrate(file: ModelFile, x_val: np.ndarray, y_val: np.ndarray) -> ModelFile:
    """Fit the temperature that minimises validation log loss, rounded to
    :data:`PARAMETER_DECIMALS`."""
    logits = model_from_file(file).logits(x_val)  # before any temperature
    temperature = round(fit_temperature(logits, y_val), PARAMETER_DECIMALS)
    calibration = file.calibration.model_copy(update={"temperature": temperature})
    return file.model_copy(update={"calibration": calibration})


def fit_candidate(
    kind: str,
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    features: list[Feature],
    config: TrainParams,
    assess: AssessParams,
    training: dict[str, Any],
) -> ModelFile:
    """One candidate of ``kind``, fitted on ``(x, y)`` and calibrated on ``(x_val, y_val)``
    as the train stage does it (a scorecard is derived from a calibrated logistic fit)."""
    x, y, x_val, y_val = data
    if kind == "tree":
        return calibrate(fit_tree(x, y, features, config, assess, training), x_val, y_val)
    logistic = calibrate(fit_logistic(x, y, features, config, assess, training), x_val, y_val)
    if kind == "logistic":
        return logistic
    return calibrate(points_from_logistic(logistic, config), x_val, y_val)
