"""The model card (``reports/model_card.md``), generated from the metrics and the model."""

from __future__ import annotations

from typing import Any

from backclf import knowledge
from backclf.core.explain import strongest_findings, tree_rules
from backclf.core.model import ReadableModel, TreeModel
from backclf.pipeline.params import Params
from backclf.study.card import robustness_section

COLUMNS = (
    "accuracy",
    "top2_accuracy",
    "macro_f1",
    "log_loss",
    "brier",
    "ece",
    "abstention_rate",
    "accuracy_when_answering",
)


def _table(split: dict[str, Any]) -> list[str]:
    lines = ["| predictor | " + " | ".join(COLUMNS) + " |", "|---|" + "---|" * len(COLUMNS)]
    for name, m in split.items():
        cells = [f"{m[c]:.4f}" if c in m else "" for c in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


#: The figures compared before and after the clinical review: (label, path in metrics.json,
#: format).
COMPARED = (
    ("Bayes ceiling, test set (accuracy)", "champion/bayes_ceiling", ".4f"),
    ("champion, test accuracy", "champion/test_accuracy", ".4f"),
    ("champion, log loss", "champion/log_loss", ".3f"),
    ("Bayes ceiling, shifted set", "champion/shifted_bayes_ceiling", ".4f"),
    ("champion, shifted accuracy", "champion/shifted_accuracy", ".4f"),
    ("development vignettes: cause first", "champion/dev_cause_first_rate", ".0%"),
    ("development vignettes: triage within range", "champion/dev_triage_within_range_rate", ".0%"),
    (
        "synthetic red-flag cases at self-care (must be 0)",
        "champion/triage/red_flag_cases_at_self_care",
        "d",
    ),
    ("over-triage of causes 1-4 (24 h or sooner)", "champion/triage/over_triage_rate", ".2%"),
    (
        "pyelonephritis not sent within 24 h",
        "champion/triage/pyelonephritis_under_triage_rate",
        ".2%",
    ),
    (
        "dangerous presentations below their minimum (must be 0)",
        "champion/dangerous_presentations/below_minimum",
        "d",
    ),
    ("controls over-triaged", "champion/dangerous_presentations/controls_over_triaged", "d"),
)


def _lookup(tree: dict[str, Any], path: str) -> Any:
    for key in path.split("/"):
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree


def _before_and_after(metrics: dict[str, Any], before: dict[str, Any]) -> list[str]:
    """The headline figures before the clinical review (a committed reference) and now."""
    lines = [
        "## Before and after the clinical review",
        f"{before['description']} Before: commit `{before['commit']}`; after: this run.",
        "",
        "| figure | before | after |",
        "|---|---|---|",
    ]
    for label, path, fmt in COMPARED:
        cells = []
        for tree in (before["metrics"], metrics):
            value = _lookup(tree, path)
            cells.append("" if value is None else format(value, fmt))
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    return [*lines, ""]


def _presentations(
    audit: dict[str, Any],
    title: str = "### Dangerous presentations (hand-written, from the clinical literature)",
    path: str = "tests/data/dangerous_presentations.jsonl",
) -> list[str]:
    """A presentation audit: counts, then every case in a folded table."""
    below, over = audit["below_minimum"], audit["controls_over_triaged"]
    lines = [
        title,
        f"- {audit['dangerous']} dangerous presentations, each with the least urgent level it may "
        f"end at and its source (`{path}`, decisions in "
        "`docs/clinical-review.md`); ending below their minimum: "
        f"**{len(below)}** (must be 0){': ' + ', '.join(below) if below else ''}.",
        f"- {audit['controls']} controls that must not escalate (ordinary back pain near each "
        f"rule's boundary); over-triaged: **{len(over)}**{': ' + ', '.join(over) if over else ''}.",
        "",
        "<details><summary>Every presentation</summary>",
        "",
        "| id | condition | expected | level | red flags |",
        "|---|---|---|---|---|",
    ]
    for case in audit["cases"]:
        expected = (
            f">= {case['triage_min']}" if case["triage_max"] is None else f"<= {case['triage_max']}"
        )
        flags = ", ".join(case["red_flags"]) or "none"
        lines.append(
            f"| {case['id']} | {case['condition']} | {expected} | {case['level']} | {flags} |"
        )
    return [*lines, "", "</details>"]


def _reference_world(reference: dict[str, Any] | None) -> list[str]:
    """A note when this run's test world is not the default one the gate judges on."""
    if reference is None:
        return []
    return [
        "**This run's test world is not the default one** (its `generate` knobs differ from "
        "`generate.reference`): the figures below are in its own world. On the reference "
        "data (the default world's test split, where the promotion gate judges every model): "
        f"accuracy {reference['accuracy']:.4f}, ECE {reference['ece']:.4f}, pyelonephritis "
        f"under-triage {reference['pyelonephritis_under_triage_rate']:.2%}, red-flag cases at "
        f"self-care {reference['red_flag_cases_at_self_care']}.",
        "",
    ]


def render_model_card(
    metrics: dict[str, Any],
    details: dict[str, Any],
    model: ReadableModel,
    params: Params,
    sensitivity: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
) -> str:
    """The card's text, from the headline metrics, the detailed tables and the model (and the
    sensitivity study's figures, ``reports/sensitivity.json``, when there are any); ``before``
    (a reference run's metrics) adds the before-and-after table."""
    champion = metrics["champion"]["model"]
    lines = [
        *_about(champion, model, params),
        *_results(metrics, details),
        *_safety(metrics["champion"]["triage"], details),
        *(_before_and_after(metrics, before) if before else []),
        *_what_it_looks_at(model),
        "",
        *robustness_section(sensitivity, model.sha256),
        *_LIMITATIONS,
    ]
    return "\n".join(lines)


def _about(champion: str, model: ReadableModel, params: Params) -> list[str]:
    """The title, the intended use, the model file and the data it was trained on."""
    gen = params.generate
    return [
        f"# Model card: backclf {champion} model",
        "",
        "Generated by `dvc repro` (stage `evaluate`); do not edit by hand. It describes this "
        "pipeline's model (`train.model`); whether that model is the champion is decided by "
        "the `publish` stage's gate on the reference data. A promotion copies this card beside "
        "the packaged model (`src/backclf/published/`), so the packaged card is always the "
        "champion's.",
        "",
        "## Intended use",
        "Information for a person with sudden lower back soreness: the likely cause among the "
        "five named by the health article, the article's advice for it, and when to seek care. "
        "**It is not a diagnosis** and does not replace a doctor. Red-flag rules "
        "(`backclf redflags`) override the model and cannot be turned off.",
        "",
        "## Model",
        f"- Model file sha256: `{model.sha256}`",
        f"- Kind: **{champion}** ({len(model.features)} yes/no/unknown indicator features), "
        f"calibrated with temperature {model.temperature:.3f} on the validation set.",
        f"- Abstains (names no cause) when the top probability is under {model.abstain_below:.0%}.",
        f"- Training data sha256: `{model.file.training.data_sha256}` "
        f"({model.file.training.n:,} vignettes).",
        "",
        "## Data",
        "Synthetic vignettes from the generative model in `src/backclf/knowledge/generator.yaml`, "
        "where every probability cites an article sentence, a clinical source "
        "(docs/clinical-sources.md) or states an assumption. "
        f"Train {gen.train.n:,}, validation {gen.validation.n:,}, test "
        f"{gen.test.n:,}; a shifted test set ({gen.shifted.n:,}) has other class "
        f"priors and {gen.shifted.missing_rate:.0%} extra unanswered findings. "
        "The hand-written development vignettes (data/vignettes/dev.jsonl) are scored, never "
        "trained on.",
        "",
    ]


def _results(metrics: dict[str, Any], details: dict[str, Any]) -> list[str]:
    """The headline figures, the test sets' tables and the development vignettes."""
    champ = metrics["champion"]
    champion = champ["model"]
    dev_misses = details["dev"][champion]["misses"]
    lines = [
        "## Results",
        *_reference_world(details.get("reference")),
        f"This model on the test set: accuracy {champ['test_accuracy']:.4f} against a Bayes "
        f"ceiling of {champ['bayes_ceiling']:.4f} (gap {champ['gap_to_bayes_points']:.2f} "
        f"points); ECE {champ['ece']:.4f}; development vignettes: expected cause first in "
        f"{champ['dev_cause_first_rate']:.0%} of cases that name one.",
        "",
        "### Synthetic test set",
        *_table(details["test"]),
        "",
        "### Shifted test set",
        *_table(details["shifted"]),
        "",
        "### Development vignettes (hand-written)",
        "| predictor | cause first | triage within range | under-triaged | over-triaged |",
        "|---|---|---|---|---|",
    ]
    for name, m in details["dev"].items():
        lines.append(
            f"| {name} | {m['cause_first_rate']:.2%} | {m['triage_within_range_rate']:.2%}"
            f" | {len(m['under_triaged'])} | {len(m['over_triaged'])} |"
        )
    if dev_misses:
        misses = ", ".join(dev_misses)
        lines.append(f"\nThis model's misses on the development vignettes: {misses}.")
    return lines


def _safety(audit: dict[str, Any], details: dict[str, Any]) -> list[str]:
    """The safety audit of this model and the dangerous (and blind) presentations."""
    return [
        "",
        "### Safety audit (this model, test set; judged against the true cause)",
        f"- Cases with a red flag: {audit['cases_with_red_flag']:,}; of these ending at "
        f"self-care: {audit['red_flag_cases_at_self_care']} (must be 0).",
        f"- Over-triage (cases whose true cause is 1-4, without an added red flag, sent to a "
        f"doctor within 24 h or sooner): {audit['over_triage_rate']:.2%}. Most of it is red "
        "flags firing on the generator's base rates of their findings (the article's own rule on "
        "frequent urination, at about 10% in the mechanical causes, first).",
        f"- Cases whose true cause is pyelonephritis not sent to a doctor within 24 h: "
        f"{audit['pyelonephritis_under_triage_rate']:.2%} (most of them report no sign of "
        "infection at all).",
        *(
            [
                f"- Plain cases (no red flag added) the model file's typicality reads as unlike "
                f"all of the article's causes (no cause named, a consultation floor): "
                f"{audit['unusual_rate_plain']:.2%}."
            ]
            if "unusual_rate_plain" in audit
            else []
        ),
        "",
        *_presentations(details["dangerous_presentations"]),
        "",
        *_presentations(
            details["blind_presentations"],
            "### Blind presentations (an independent reader, development half)",
            "tests/data/blind_presentations_dev.jsonl",
        ),
        "",
    ]


def _what_it_looks_at(model: ReadableModel) -> list[str]:
    """The strongest findings per cause (and a tree's rules)."""
    article = knowledge.article()
    lines = ["## What the model looks at"]
    strongest = strongest_findings(model)
    for cause, items in strongest.items():
        words = ", ".join(f"{f} ({v:+.2f})" for f, v in items)
        lines.append(f"- **{article.cause(cause).name}**: {words}")
    if isinstance(model, TreeModel):
        lines += ["", "Decision rules:", *[f"- {r}" for r in tree_rules(model)]]
    return lines


_LIMITATIONS = [
    "",
    "## Limitations",
    "- Trained only on synthetic data whose tables encode the article and cited sources; "
    "real presentations differ. Causes 1-4 overlap by design: no validated test separates "
    "them (docs/clinical-sources.md), so the Bayes ceiling is well under 100%.",
    "- Only the article's five causes are modelled; sciatica, stones, fractures and other "
    "conditions are handled only by the red-flag rules.",
    "- The article's advice is reproduced as written; medicines are only "
    "'under medical guidance' or 'under medical supervision'.",
    "",
]
