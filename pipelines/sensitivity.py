"""DVC stage `sensitivity` (in studies/dvc.yaml: `dvc repro studies/dvc.yaml`): the champion
in perturbed worlds of the generator, and which assumption rows matter most.

Writes `reports/sensitivity.json` (the figures; DVC metrics), `reports/sensitivity_study.json`
(what they are of, and the ranking), `reports/sensitivity.md` and
`reports/plots/sensitivity.png` (generated from them), and logs the study to MLflow once per
distinct set of figures. Exits 1 if any red-flag case ends at self-care in any world.
"""

import sys
import time
from pathlib import Path

from backclf.core.model import load_model
from backclf.pipeline.params import params_or_exit
from backclf.study.files import write_report
from backclf.study.plot import save_plot
from backclf.study.report import render_report
from backclf.study.run import default_workers, red_flags_at_self_care, run_study
from backclf.study.tracking import log_study

REPORTS = Path("reports")


def main() -> None:
    params = params_or_exit()
    champion = load_model(Path("models/champion.json"))
    start = time.perf_counter()
    workers = default_workers()
    report = run_study(params, champion, workers, progress=print)
    print(f"study: {time.perf_counter() - start:.1f} s with {workers} worker(s)")

    files = write_report(report, REPORTS)
    plot = save_plot(report, REPORTS / "plots" / "sensitivity.png")
    text = REPORTS / "sensitivity.md"
    text.write_text(render_report(report, plot=str(plot.relative_to(REPORTS))))
    experiment = params.sensitivity.experiment
    run_id, new = log_study(Path.cwd(), experiment, report, [*files, text, plot])
    print(f"MLflow run {run_id}" + ("" if new else " (these figures were already logged)"))

    failures = red_flags_at_self_care(report)
    if failures:
        print(f"SAFETY: red-flag cases ended at self-care in {failures}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
