"""DVC stage `evaluate_interview`: simulated interviews on the test split (from age and sex)
and on held-out narratives (from what the text says), against the full form.

Writes `reports/interview_metrics.json` and the curve (`reports/plots/interview_curve.png`).
"""

import json
from pathlib import Path

from backclf.contract.columns import from_codes
from backclf.contract.rules import CaseError, check_record
from backclf.core.model import load_model
from backclf.interview_study.evaluation import evaluate, headline, plot_curves
from backclf.pipeline.params import params_or_exit
from backclf.synth.sampler import read_labelled

REPORTS = Path("reports")


def narrative_start(texts: list[str]):
    """What each narrative says, read by the free-text reader (a contradiction: nothing)."""
    from backclf.text.extract import extract_many

    codes = []
    for reading in extract_many(texts):
        try:
            codes.append(check_record(reading.findings))
        except CaseError:
            codes.append({})
    return from_codes(codes)


def main() -> None:
    params = params_or_exit().evaluate_interview
    model = load_model(Path("models/champion.json"))
    truth, label, _ = read_labelled(Path("data/test.parquet"))
    reports = {"age_and_sex": evaluate(model, truth, label, params.max_questions, params.seed)}
    if params.text_cases:
        columns, text_label, table = read_labelled(Path("data/text_heldout.parquet"))
        n = min(params.text_cases, len(text_label))
        columns = {name: col[:n] for name, col in columns.items()}
        start = narrative_start(table["text"].to_pylist()[:n])
        reports["narrative"] = evaluate(
            model, columns, text_label[:n], params.max_questions, params.seed, start=start
        )
    metrics = {
        "headline": {start: headline(report) for start, report in reports.items()},
        **reports,
    }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "interview_metrics.json").write_text(
        json.dumps(metrics, indent=2, sort_keys=True) + "\n"
    )
    plot_curves(
        REPORTS / "plots" / "interview_curve.png",
        reports["age_and_sex"],
        "Simulated interviews, test split, from age and sex",
    )
    first = metrics["headline"]["age_and_sex"]
    gap = first["gap_without_an_emergency_red_flag_points"]
    print(
        f"evaluate_interview: from age and sex, {first['questions_median']:g} questions (median),"
        f" accuracy {first['final_accuracy']:.4f} against {first['full_form_accuracy']:.4f} on"
        f" the full form (gap without an emergency {gap}"
        " points) -> reports/interview_metrics.json"
    )


if __name__ == "__main__":
    main()
