"""DVC stage `evaluate_text`: the free-text reader on held-out narratives, the dev texts, and
the sets written blind (tests/data/written_texts: red-flag triage, over-triage, cause first,
extraction per finding and per ConText modifier, negation beside stock negspacy, what the
red-flag safety net cost), and the public NegEx test sentences whose condition is a backclf
finding (tests/data/negex: polarity beside stock negspacy)."""

import json
from pathlib import Path

from backclf.contract.columns import row_findings
from backclf.core.model import load_model
from backclf.pipeline.dev_vignettes import load_dev, text_scores
from backclf.pipeline.params import params_or_exit
from backclf.synth.sampler import read_labelled
from backclf.text.evaluation import extraction_scores, load_written, written_set_scores
from backclf.text.extract import extract_many
from backclf.text.negex_set import load_negex, negex_scores

WRITTEN = Path("tests/data/written_texts")
NEGEX = Path("tests/data/negex/sentences.jsonl")


def main() -> None:
    params = params_or_exit()
    model = load_model(Path("models/champion.json"))
    columns, _, table = read_labelled(Path("data/text_heldout.parquet"))
    texts = table["text"].to_pylist()
    truth = [row_findings(columns, i) for i in range(len(texts))]
    predicted = [reading.findings for reading in extract_many(texts)]
    dev_cases = load_dev(Path(params.evaluate.dev_vignettes))
    written = {
        path.stem: written_set_scores(load_written(path), model)
        for path in sorted(WRITTEN.glob("round*.jsonl"))
    }
    report = {
        "heldout_narratives": extraction_scores(truth, predicted),
        "dev_texts": text_scores(dev_cases, model),
        "written_sets": written,
        "written_sets_before_their_fixes": json.loads((WRITTEN / "before.json").read_text()),
        "negex_sentences": negex_scores(load_negex(NEGEX)),
    }
    Path("reports").mkdir(exist_ok=True)
    Path("reports/text_metrics.json").write_text(
        json.dumps(report, indent=2, sort_keys=True) + "\n"
    )
    negex = report["negex_sentences"]
    flags = [s["red_flag_cases_reaching_triage_min"] for s in written.values()]
    reached, cases = sum(f["reached"] for f in flags), sum(f["cases"] for f in flags)
    print(
        f"evaluate_text: held-out narratives micro F1 "
        f"{report['heldout_narratives']['micro']['f1']:.3f}; written messages with a red flag "
        f"reaching their minimum {reached}/{cases}"
        f"; negations {negex['reader_right']}/{negex['sentences']} (stock negspacy "
        f"{negex['stock_negspacy_right']}) -> reports/text_metrics.json"
    )


if __name__ == "__main__":
    main()
