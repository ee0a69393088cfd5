"""DVC stage `evaluate_text`: the free-text reader on held-out narratives and dev texts."""

import json
from pathlib import Path

from backclf.contract.columns import row_findings
from backclf.core.model import load_model
from backclf.pipeline.params import load_params
from backclf.synth.sampler import read_labelled
from backclf.text.evaluation import dev_text_scores, extraction_scores
from backclf.text.extract import extract_many


def main() -> None:
    params = load_params()
    columns, _, table = read_labelled(Path("data/text_heldout.parquet"))
    texts = table["text"].to_pylist()
    truth = [row_findings(columns, i) for i in range(len(texts))]
    predicted = [findings for findings, _, _ in extract_many(texts)]
    rows = [
        json.loads(line)
        for line in Path(params["evaluate"]["dev_vignettes"]).read_text().splitlines()
        if line.strip()
    ]
    report = {
        "heldout_narratives": extraction_scores(truth, predicted),
        "dev_texts": dev_text_scores(rows, load_model(Path("models/champion.json"))),
    }
    Path("reports").mkdir(exist_ok=True)
    Path("reports/text_metrics.json").write_text(
        json.dumps(report, indent=2, sort_keys=True) + "\n"
    )
    print(
        json.dumps(
            {
                "micro": report["heldout_narratives"]["micro"],
                "negation_errors": report["heldout_narratives"]["negation_errors"],
                "dev_texts": report["dev_texts"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
