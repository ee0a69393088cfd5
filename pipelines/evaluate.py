"""DVC stage `evaluate`: candidates, baselines and the Bayes ceiling in one table; plots; card."""

import json
from pathlib import Path

from backclf.core.explain import strongest_findings
from backclf.core.features import encode
from backclf.core.model import load_model
from backclf.pipeline.evaluate import (
    article_rules_proba,
    classification_metrics,
    dev_metrics,
    load_dev,
    majority_proba,
    save_plots,
    triage_audit,
)
from backclf.pipeline.model_card import render_model_card
from backclf.pipeline.params import generation_config, load_params
from backclf.synth.posterior import posterior
from backclf.synth.sampler import read_labelled

CANDIDATES = ("logistic", "points", "tree")
REPORTS = Path("reports")


def main() -> None:
    params = load_params()
    champion = params["train"]["model"]
    models = {kind: load_model(Path("models") / f"{kind}.json") for kind in CANDIDATES}
    abstain = models[champion].abstain_below
    ece_bins = params["evaluate"]["ece_bins"]
    _, y_train, _ = read_labelled(Path("data/train.parquet"))

    metrics: dict = {}
    for split in ("test", "shifted"):
        columns, y, table = read_labelled(Path("data") / f"{split}.parquet")
        scores = {}
        for kind, model in models.items():
            proba = model.predict_proba(encode(columns, list(model.features)))
            scores[kind] = classification_metrics(proba, y, abstain, ece_bins)
            if split == "test" and kind == champion:
                champion_proba, test_y = proba, y
                audit = triage_audit(columns, model, y, table["red_flag_added"].to_numpy())
        scores["majority"] = classification_metrics(
            majority_proba(len(y), y_train), y, abstain, ece_bins
        )
        scores["article_rules"] = classification_metrics(
            article_rules_proba(columns), y, abstain, ece_bins
        )
        bayes = posterior(columns, generation_config(params, split))
        scores["bayes_ceiling"] = classification_metrics(bayes, y, abstain, ece_bins)
        metrics[split] = scores

    dev_rows, dev_columns = load_dev(Path(params["evaluate"]["dev_vignettes"]))
    metrics["dev"] = {kind: dev_metrics(dev_rows, dev_columns, m) for kind, m in models.items()}
    misses = metrics["dev"][champion].pop("misses")
    for kind in CANDIDATES:
        metrics["dev"][kind].pop("misses", None)

    test = metrics["test"]
    metrics["champion"] = {
        "test_accuracy": test[champion]["accuracy"],
        "bayes_ceiling": test["bayes_ceiling"]["accuracy"],
        "gap_to_bayes_points": round(
            100 * (test["bayes_ceiling"]["accuracy"] - test[champion]["accuracy"]), 2
        ),
        "ece": test[champion]["ece"],
        "dev_cause_first_rate": metrics["dev"][champion]["cause_first_rate"],
        "triage": audit,
    }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    save_plots(REPORTS / "plots", test_y, champion_proba, strongest_findings(models[champion]))
    card = render_model_card(metrics, models[champion], champion, params, misses)
    (REPORTS / "model_card.md").write_text(card)
    print(json.dumps(metrics["champion"], indent=2))


if __name__ == "__main__":
    main()
