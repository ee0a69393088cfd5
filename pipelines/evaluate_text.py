"""DVC stage `evaluate_text`: the free-text reader on held-out narratives and dev texts."""

import json
from pathlib import Path

from backclf.contract.columns import row_findings
from backclf.core.model import load_model
from backclf.pipeline.dev_vignettes import load_dev, text_scores
from backclf.pipeline.params import params_or_exit
from backclf.synth.sampler import read_labelled
from backclf.text.evaluation import extraction_scores
from backclf.text.extract import extract_many


def main() -> None:
    params = params_or_exit()
    columns, _, table = read_labelled(Path("data/text_heldout.parquet"))
    texts = table["text"].to_pylist()
    truth = [row_findings(columns, i) for i in range(len(texts))]
    predicted = [findings for findings, _, _ in extract_many(texts)]
    dev_cases = load_dev(Path(params.evaluate.dev_vignettes))
    report = {
        "heldout_narratives": extraction_scores(truth, predicted),
        "dev_texts": text_scores(dev_cases, load_model(Path("models/champion.json"))),
    }
    Path("reports").mkdir(exist_ok=True)
    Path("reports/text_metrics.json").write_text(
        json.dumps(report, indent=2, sort_keys=True) + "\n"
    )
    summary = {k: report["heldout_narratives"][k] for k in ("micro", "negation_errors")}
    print(json.dumps({**summary, "dev_texts": report["dev_texts"]}, indent=2))


if __name__ == "__main__":
    main()
