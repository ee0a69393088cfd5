"""The model in words: what ``backclf explain`` and the model card print."""

from __future__ import annotations

from typing import Any

import numpy as np

from backclf import knowledge
from backclf.core.model import ReadableModel
from backclf.knowledge import CAUSE_IDS


def strongest_findings(model: ReadableModel, top: int = 6) -> dict[str, list[tuple[str, float]]]:
    """Per cause, the features that most raise it against the other causes.

    Linear models: the weight against the other causes' mean (log-odds). Trees: for every
    split, the rise in the cause's probability when the feature is present, weighted by the
    share of training cases that reach the present branch.
    """
    lift = _tree_lift(model) if model.kind == "tree" else _linear_lift(model)
    out = {}
    for k, cause in enumerate(CAUSE_IDS):
        order = np.argsort(-lift[k], kind="stable")[:top]
        out[cause] = [
            (model.features[j].name, round(float(lift[k, j]), 3)) for j in order if lift[k, j] > 0
        ]
    return out


def _linear_lift(model: ReadableModel) -> np.ndarray:
    w = model.weights / model.temperature
    return np.stack([w[k] - np.delete(w, k, axis=0).mean(axis=0) for k in range(len(w))])


def _tree_lift(model: ReadableModel) -> np.ndarray:
    nodes = {n["node"]: n for n in model.raw["tree"]}
    index = {f.name: j for j, f in enumerate(model.features)}
    total = nodes[0]["samples"]
    lift = np.zeros((len(CAUSE_IDS), len(model.features)))
    for node in nodes.values():
        if "feature" not in node:
            continue
        present = nodes[node["if_present"]]
        share = present["samples"] / total
        for k, cause in enumerate(CAUSE_IDS):
            gain = present["probabilities"][cause] - node["probabilities"][cause]
            lift[k, index[node["feature"]]] += share * gain
    return lift


def describe(model: ReadableModel, top: int = 6) -> dict[str, Any]:
    """A structured and a textual description of the model."""
    article = knowledge.article()
    lines = [
        f"backclf model: {model.kind}, {len(model.features)} features, "
        f"calibration temperature {model.temperature:.3f}, abstains below "
        f"{model.abstain_below:.0%}",
        "",
    ]
    described: dict[str, Any] = {
        "kind": model.kind,
        "features": len(model.features),
        "temperature": model.temperature,
        "abstain_below": model.abstain_below,
    }
    if model.kind == "points":
        raw = model.raw["causes"]
        described["points"] = {c["id"]: c["points"] for c in raw}
        described["base_points"] = {c["id"]: c["base_points"] for c in raw}
        lines.append(
            f"Points table ({model.raw['points_per_logit']:.2f} points = 1 logit); "
            "add the points of each finding present, the highest total wins:"
        )
        for c in raw:
            name = article.cause(c["id"]).name
            items = sorted(c["points"].items(), key=lambda kv: -kv[1])
            shown = ", ".join(f"{f} {p:+d}" for f, p in items[: top * 2])
            lines.append(f"  {name}: base {c['base_points']:+d}; {shown}")
    if model.kind == "tree":
        described["rules"] = tree_rules(model)
        lines.append("Decision rules (each path from the root to a leaf):")
        lines.extend(f"  {rule}" for rule in described["rules"])
    strongest = strongest_findings(model, top)
    if strongest:
        described["strongest"] = strongest
        lines.append("")
        unit = "probability gained" if model.kind == "tree" else "log-odds against the others"
        lines.append(f"Strongest findings for each cause ({unit}):")
        for cause, items in strongest.items():
            name = article.cause(cause).name
            lines.append(f"  {name}: " + ", ".join(f"{f} ({v:+.3f})" for f, v in items))
    described["text"] = lines
    return described


def tree_rules(model: ReadableModel) -> list[str]:
    nodes = {n["node"]: n for n in model.raw["tree"]}
    rules: list[str] = []

    def walk(i: int, path: list[str]) -> None:
        node = nodes[i]
        if "feature" not in node:
            probs = node["probabilities"]
            best = max(probs, key=probs.get)
            condition = " and ".join(path) or "always"
            rules.append(f"if {condition}: {best} ({probs[best]:.0%}, n={node['samples']})")
            return
        walk(node["if_present"], [*path, node["feature"]])
        walk(node["if_absent"], [*path, f"not {node['feature']}"])

    walk(0, [])
    return rules
