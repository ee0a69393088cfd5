"""DVC stage `publish` (runs on every `dvc repro`): register the run in MLflow, once, and
promote it only through the gate.

1. The run's identity (model, data, knowledge and code hashes) is looked up in the MLflow
   store. A model registered before is not logged again; if it is a challenger and this is
   not an experiment, the gate judges it again (after `dvc exp apply`, say).
2. Otherwise the new model and the champion (the registry's @champion, or on an empty
   store the packaged model) are scored on the same reference data; the gate
   (`params.yaml`, publish.gate) decides. A model from `dvc exp run` is never promoted.
3. The run is logged with its nested candidates and the model registered as a new version,
   aliased @champion or @challenger; the description and tags say why.
4. Only a promoted model is packaged: src/backclf/published/champion.json and its card.
5. Last, the registry's @champion, the packaged model and its card are checked to name the
   same model; if they do not, the stage says why and how to make them agree.

All of it is said in one line, `publish: ...` (MLflow's own INFO lines and progress bars
are off: backclf.pipeline.tracking.quiet_mlflow).
"""

import json
import tempfile
from pathlib import Path

from backclf.core.model import ModelFileError, load_model
from backclf.pipeline.dev_vignettes import load_dev
from backclf.pipeline.params import Params, params_or_exit
from backclf.pipeline.presentations import load_presentations
from backclf.pipeline.promotion import Decision, Reference, Tolerances, decide, measure
from backclf.pipeline.provenance import run_tags
from backclf.pipeline.publication import PACKAGED, agreement, model_description, package
from backclf.pipeline.registry import Champion, PipelineRun, Store
from backclf.pipeline.tracking import dvc_experiment
from backclf.synth.sampler import read_sample

CANDIDATE = Path("models/champion.json")
REPORTS = Path("reports")
#: The reports this pipeline writes (its stages' deps here); the sensitivity study's reports
#: belong to its own pipeline and MLflow runs.
PIPELINE_REPORTS = (
    "headline.json",
    "metrics.json",
    "candidates.json",
    "evaluation.json",
    "text_metrics.json",
    "interview_metrics.json",
)
# This run's plots (dvc.yaml); the study's plot is drawn by another pipeline, for the champion
# of its own run, so it is not logged as this run's.
PIPELINE_PLOTS = (
    "confusion.png",
    "reliability.png",
    "strongest_findings.png",
    "interview_curve.png",
)


def reference_data(params: Params) -> Reference:
    return Reference(
        read_sample(Path("data/reference.parquet")),
        load_dev(Path(params.evaluate.dev_vignettes)),
        load_presentations(Path(params.evaluate.dangerous_presentations)),
        params.evaluate.ece_bins,
    )


def judge(params: Params, baseline: Champion | None, experiment: str) -> tuple[Decision, dict]:
    """The gate's decision on the candidate against the baseline, on the reference data."""
    reference = reference_data(params)
    candidate = measure(load_model(CANDIDATE), reference)
    held, unreadable = None, None
    if baseline is not None:
        try:
            held = measure(load_model(baseline.model_file), reference)
        except ModelFileError as exc:  # a model file this code can no longer read
            unreadable = f"the {baseline.label} cannot be scored ({exc})"
    decision = decide(candidate, held, Tolerances.from_params(params.publish.gate.model_dump()))
    if unreadable:  # judged by the safety rule alone, and the run says so
        decision = Decision(decision.promote, (unreadable, *decision.reasons))
    if experiment and decision.promote:
        decision = Decision(
            False,
            (
                f"an experiment ({experiment}) is registered as a challenger, never promoted; "
                f"on the reference data the gate would pass it ({'; '.join(decision.reasons)}); "
                f"to promote it: dvc exp apply {experiment}, then dvc repro",
            ),
        )
    return decision, {"candidate": candidate, "champion": held}


def main() -> None:
    print("publish: " + "; ".join(publish()))


def publish() -> list[str]:
    """Register, judge and package; what happened, in the parts of one summary line."""
    params = params_or_exit()
    section = params.publish
    data_files = sorted(Path("data").glob("*.parquet"))
    tags = run_tags(Path.cwd(), CANDIDATE, data_files) | dvc_experiment()
    experiment = tags["dvc_experiment"]
    store = Store(Path.cwd(), section.experiment, section.registered_model)
    existing = store.find(tags["identity"])
    said = []
    with tempfile.TemporaryDirectory() as tmp:
        baseline = store.champion(Path(tmp)) or store.packaged_baseline(PACKAGED)
        if existing is not None:
            held = ", ".join(f"@{a}" for a in existing.aliases) or "no alias"
            said.append(
                f"this model (identity {tags['identity'][:12]}) is already registered as "
                f"{section.registered_model} version {existing.version} ({held}); nothing logged"
            )
            if "champion" in existing.aliases and not experiment:
                # The same model, a card rewritten since (e.g. the study rerun for it): the
                # packaged card follows, as a fresh clone's first registration would write it.
                package(CANDIDATE, REPORTS / "model_card.md")
            elif not experiment:
                decision, _ = judge(params, baseline, experiment)
                if decision.promote:
                    store.promote(existing.version, decision)
                    package(CANDIDATE, REPORTS / "model_card.md")
                said.append(f"the gate again, on the reference data: {decision.summary()}")
        else:
            decision, gate = judge(params, baseline, experiment)
            report_files = [REPORTS / n for n in PIPELINE_REPORTS if (REPORTS / n).exists()]
            registered = store.log(
                PipelineRun(
                    params=params.model_dump(),
                    reports={p.stem: json.loads(p.read_text()) for p in report_files},
                    report_files=report_files,
                    model_file=CANDIDATE,
                    model_card=REPORTS / "model_card.md",
                    plots=[p for n in PIPELINE_PLOTS if (p := REPORTS / "plots" / n).exists()],
                    candidate_files={
                        p.stem: p for p in sorted(Path("models").glob("*.json")) if p != CANDIDATE
                    },
                    tags=tags,
                    decision=decision,
                    gate=gate,
                    champion=baseline,
                    data_files=data_files,
                    model_description=model_description(),
                )
            )
            said.append(
                f"MLflow run {registered.run_id} registered {section.registered_model} version "
                f"{registered.version}, {decision.summary()}"
            )
            if decision.promote:
                package(CANDIDATE, REPORTS / "model_card.md")
                said.append(f"packaged {CANDIDATE} -> {PACKAGED}")
            else:
                said.append(f"{PACKAGED} left as it was (the champion's)")
    said.append(agreement(store))
    return said


if __name__ == "__main__":
    main()
