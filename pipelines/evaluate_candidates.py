"""DVC stage `evaluate_candidates`: every fitted candidate beside the baselines and the exact
Bayes ceiling on the test, shifted and development sets: `reports/candidates.json`.

It does not depend on which candidate is the pipeline's model (`train.model`): choosing
another one reruns the chosen model's evaluation (`evaluate`), not this table.
"""

import json
from pathlib import Path

from backclf.core.model import KINDS as CANDIDATES
from backclf.core.model import load_model
from backclf.pipeline.baselines import article_rules_proba, majority_proba
from backclf.pipeline.dev_vignettes import load_dev, structured_scores
from backclf.pipeline.metrics import classification_metrics
from backclf.pipeline.params import params_or_exit
from backclf.synth.posterior import posterior
from backclf.synth.sampler import read_labelled

REPORT = Path("reports/candidates.json")


def main() -> None:
    params = params_or_exit()
    models = {kind: load_model(Path("models") / f"{kind}.json") for kind in CANDIDATES}
    abstain = params.assess.abstain_below
    bins = params.evaluate.ece_bins
    _, y_train, _ = read_labelled(Path("data/train.parquet"))
    table: dict = {}
    for split in ("test", "shifted"):
        columns, y, _ = read_labelled(Path("data") / f"{split}.parquet")
        scores = {}
        for kind, model in models.items():
            proba = model.predict_proba(model.encode(columns))
            scores[kind] = classification_metrics(proba, y, abstain, bins)
        baselines = {
            "majority": majority_proba(len(y), y_train),
            "article_rules": article_rules_proba(columns),
            "bayes_ceiling": posterior(columns, params.generation_config(split)),
        }
        for name, proba in baselines.items():
            scores[name] = classification_metrics(proba, y, abstain, bins)
        table[split] = scores
    dev_cases = load_dev(Path(params.evaluate.dev_vignettes))
    table["dev"] = {kind: structured_scores(dev_cases, m) for kind, m in models.items()}
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(table, indent=2) + "\n")  # candidates, then baselines
    accuracy = {k: table["test"][k]["accuracy"] for k in CANDIDATES}
    print(
        "evaluate_candidates: test accuracy "
        + ", ".join(f"{k} {v:.4f}" for k, v in accuracy.items())
        + f" (Bayes ceiling {table['test']['bayes_ceiling']['accuracy']:.4f}) -> {REPORT}"
    )


if __name__ == "__main__":
    main()
