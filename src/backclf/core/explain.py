"""The model in words: what ``backclf explain`` and the model card print."""

from __future__ import annotations

from typing import Any

import numpy as np

from backclf import knowledge
from backclf.core.model import LinearModel, ReadableModel, TreeModel
from backclf.core.model_file import PointsModelFile
from backclf.knowledge import CAUSE_IDS


def strongest_findings(model: ReadableModel, top: int = 6) -> dict[str, list[tuple[str, float]]]:
    """Per cause, the features that most raise it against the other causes (see
    :meth:`ReadableModel.lift`: log-odds for linear models, probability gained for trees)."""
    lift = model.lift()
    out = {}
    for k, cause in enumerate(CAUSE_IDS):
        order = np.argsort(-lift[k], kind="stable")[:top]
        out[cause] = [
            (model.features[j].name, round(float(lift[k, j]), 3)) for j in order if lift[k, j] > 0
        ]
    return out


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
    if isinstance(model.file, PointsModelFile):
        causes = model.file.causes
        described["points"] = {c.id: c.points for c in causes}
        described["base_points"] = {c.id: c.base_points for c in causes}
        lines.append(
            f"Points table ({model.file.points_per_logit:.2f} points = 1 logit); "
            "add the points of each finding present, the highest total wins:"
        )
        for c in causes:
            items = sorted(c.points.items(), key=lambda kv: -kv[1])
            shown = ", ".join(f"{f} {p:+d}" for f, p in items[: top * 2])
            lines.append(f"  {article.cause(c.id).name}: base {c.base_points:+d}; {shown}")
    if isinstance(model, TreeModel):
        described["rules"] = tree_rules(model)
        lines.append("Decision rules (each path from the root to a leaf):")
        lines.extend(f"  {rule}" for rule in described["rules"])
    strongest = strongest_findings(model, top)
    if strongest:
        described["strongest"] = strongest
        lines.append("")
        unit = "log-odds against the others" if isinstance(model, LinearModel) else (
            "probability gained"
        )
        lines.append(f"Strongest findings for each cause ({unit}):")
        for cause, items in strongest.items():
            name = article.cause(cause).name
            lines.append(f"  {name}: " + ", ".join(f"{f} ({v:+.3f})" for f, v in items))
    described["text"] = lines
    return described


def tree_rules(model: TreeModel) -> list[str]:
    """Each path from the root to a leaf, as a readable rule."""
    nodes = model.file.tree
    rules: list[str] = []

    def walk(i: int, path: list[str]) -> None:
        node = nodes[i]
        if node.feature is None:
            probs = node.probabilities
            best = max(probs, key=probs.get)
            condition = " and ".join(path) or "always"
            rules.append(f"if {condition}: {best} ({probs[best]:.0%}, n={node.samples})")
            return
        walk(node.if_present, [*path, node.feature])
        walk(node.if_absent, [*path, f"not {node.feature}"])

    walk(0, [])
    return rules
