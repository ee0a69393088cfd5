"""DVC stage `evaluate`: the pipeline's model (`models/champion.json`, whichever candidate
`choose` copied) beside the candidates' table (`reports/candidates.json`): its triage audit,
confusion matrix, the reference world, the dangerous-presentation audits, plots and the model
card.

Writes `reports/metrics.json` and `reports/evaluation.json` (every table in detail); the
headline figures are `reports/headline.json` (stage `headline`).
"""

import json
from pathlib import Path

from backclf.core.model import KINDS as CANDIDATES
from backclf.core.model import load_model
from backclf.pipeline.metrics import confusion, model_figures, triage_audit
from backclf.pipeline.model_card import render_model_card
from backclf.pipeline.params import params_or_exit
from backclf.pipeline.plots import save_plots
from backclf.pipeline.presentations import load_presentations, presentation_audit
from backclf.study.files import read_report
from backclf.synth.sampler import label_indices, read_labelled, read_sample

REPORTS = Path("reports")


def main() -> None:
    params = params_or_exit()
    model = load_model(Path("models/champion.json"))
    champion = model.kind
    bins = params.evaluate.ece_bins
    details: dict = json.loads((REPORTS / "candidates.json").read_text())
    columns, test_y, table = read_labelled(Path("data/test.parquet"))
    champion_proba = model.predict_proba(model.encode(columns))
    # Safety is judged against the cause itself, not the noisy training label.
    true_cause = label_indices(table["true_cause"])
    added = table["red_flag_added"].to_numpy()
    details["champion_test_confusion"] = confusion(test_y, champion_proba.argmax(axis=1)).tolist()
    details["champion_triage"] = triage_audit(columns, model, true_cause, added)
    if params.generation_config("test") != params.generation_config("reference"):
        reference = read_sample(Path("data/reference.parquet"))
        details["reference"] = model_figures(model, reference, bins)
    presentations = load_presentations(Path(params.evaluate.dangerous_presentations))
    details["dangerous_presentations"] = presentation_audit(presentations, model)
    blind = load_presentations(Path(params.evaluate.blind_presentations))
    details["blind_presentations"] = presentation_audit(blind, model)

    metrics = headline(details, champion)
    REPORTS.mkdir(exist_ok=True)
    for name, content in (("metrics.json", metrics), ("evaluation.json", details)):
        (REPORTS / name).write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
    save_plots(REPORTS / "plots", test_y, champion_proba, model)
    sensitivity = read_report(REPORTS)  # written by `dvc repro studies/dvc.yaml`, if run
    before = json.loads(Path(params.evaluate.before_review).read_text())
    card = render_model_card(
        metrics, details, model, params, sensitivity=sensitivity, before=before
    )
    (REPORTS / "model_card.md").write_text(card)
    m = metrics["champion"]
    print(
        f"evaluate: {champion} model, test accuracy {m['test_accuracy']:.4f} (ceiling "
        f"{m['bayes_ceiling']:.4f}), ECE {m['ece']:.4f}, red-flag cases at self-care "
        f"{m['triage']['red_flag_cases_at_self_care']} -> {REPORTS}/model_card.md"
    )


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
