"""DVC stage `evaluate`: candidates, baselines and the Bayes ceiling on the test, shifted and
development sets; plots; the model card.

Writes `reports/metrics.json` (the headline figures `dvc metrics show` prints) and
`reports/evaluation.json` (every table in detail).
"""

import json
from pathlib import Path

from backclf.core.explain import strongest_findings
from backclf.core.model import load_model
from backclf.pipeline.baselines import article_rules_proba, majority_proba
from backclf.pipeline.dev_vignettes import load_dev, structured_scores
from backclf.pipeline.metrics import (
    classification_metrics,
    confusion,
    model_figures,
    triage_audit,
)
from backclf.pipeline.model_card import render_model_card
from backclf.pipeline.params import params_or_exit
from backclf.pipeline.plots import save_plots
from backclf.pipeline.presentations import load_presentations, presentation_audit
from backclf.study.files import read_report
from backclf.synth.posterior import posterior
from backclf.synth.sampler import label_indices, read_labelled, read_sample

CANDIDATES = ("logistic", "points", "tree")
REPORTS = Path("reports")


def main() -> None:
    params = params_or_exit()
    champion = params.train.model
    models = {kind: load_model(Path("models") / f"{kind}.json") for kind in CANDIDATES}
    abstain = models[champion].abstain_below
    bins = params.evaluate.ece_bins
    _, y_train, _ = read_labelled(Path("data/train.parquet"))

    details: dict = {}
    for split in ("test", "shifted"):
        columns, y, table = read_labelled(Path("data") / f"{split}.parquet")
        scores = {}
        for kind, model in models.items():
            proba = model.predict_proba(model.encode(columns))
            scores[kind] = classification_metrics(proba, y, abstain, bins)
            if split == "test" and kind == champion:
                champion_proba, test_y = proba, y
                # Safety is judged against the cause itself, not the noisy training label.
                true_cause = label_indices(table["true_cause"])
                added = table["red_flag_added"].to_numpy()
                audit = triage_audit(columns, model, true_cause, added)
        baselines = {
            "majority": majority_proba(len(y), y_train),
            "article_rules": article_rules_proba(columns),
            "bayes_ceiling": posterior(columns, params.generation_config(split)),
        }
        for name, proba in baselines.items():
            scores[name] = classification_metrics(proba, y, abstain, bins)
        details[split] = scores

    dev_cases = load_dev(Path(params.evaluate.dev_vignettes))
    details["dev"] = {kind: structured_scores(dev_cases, m) for kind, m in models.items()}
    details["champion_test_confusion"] = confusion(test_y, champion_proba.argmax(axis=1)).tolist()
    details["champion_triage"] = audit
    if params.generation_config("test") != params.generation_config("reference"):
        reference = read_sample(Path("data/reference.parquet"))
        details["reference"] = model_figures(models[champion], reference, bins)
    presentations = load_presentations(Path(params.evaluate.dangerous_presentations))
    details["dangerous_presentations"] = presentation_audit(presentations, models[champion])
    blind = load_presentations(Path(params.evaluate.blind_presentations))
    details["blind_presentations"] = presentation_audit(blind, models[champion])

    metrics = headline(details, champion)
    REPORTS.mkdir(exist_ok=True)
    for name, content in (("metrics.json", metrics), ("evaluation.json", details)):
        (REPORTS / name).write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
    save_plots(REPORTS / "plots", test_y, champion_proba, strongest_findings(models[champion]))
    sensitivity = read_report(REPORTS)  # written by `dvc repro studies/dvc.yaml`, if run
    before = json.loads(Path(params.evaluate.before_review).read_text())
    card = render_model_card(
        metrics, details, models[champion], params, sensitivity=sensitivity, before=before
    )
    (REPORTS / "model_card.md").write_text(card)
    print(json.dumps(metrics["champion"], indent=2))


def headline(details: dict, champion: str) -> dict:
    """The few dozen figures a reviewer compares between runs."""
    test, shifted, dev = details["test"], details["shifted"], details["dev"]
    audits = {name: details[name] for name in ("dangerous_presentations", "blind_presentations")}
    return {
        "champion": {
            "model": champion,
            "test_accuracy": test[champion]["accuracy"],
            "bayes_ceiling": test["bayes_ceiling"]["accuracy"],
            "gap_to_bayes_points": round(
                100 * (test["bayes_ceiling"]["accuracy"] - test[champion]["accuracy"]), 2
            ),
            "log_loss": test[champion]["log_loss"],
            "ece": test[champion]["ece"],
            "shifted_accuracy": shifted[champion]["accuracy"],
            "shifted_bayes_ceiling": shifted["bayes_ceiling"]["accuracy"],
            "dev_cause_first_rate": dev[champion]["cause_first_rate"],
            "dev_triage_within_range_rate": dev[champion]["triage_within_range_rate"],
            "triage": details["champion_triage"],
            **{
                name: {
                    "dangerous": audit["dangerous"],
                    "below_minimum": len(audit["below_minimum"]),
                    "controls": audit["controls"],
                    "controls_over_triaged": len(audit["controls_over_triaged"]),
                }
                for name, audit in audits.items()
            },
        },
        "candidates": {
            kind: {
                "test_accuracy": test[kind]["accuracy"],
                "test_log_loss": test[kind]["log_loss"],
                "test_ece": test[kind]["ece"],
                "shifted_accuracy": shifted[kind]["accuracy"],
                "dev_cause_first_rate": dev[kind]["cause_first_rate"],
            }
            for kind in CANDIDATES
        },
        "baselines": {
            name: {"test_accuracy": test[name]["accuracy"]}
            for name in ("majority", "article_rules")
        },
    }


if __name__ == "__main__":
    main()
