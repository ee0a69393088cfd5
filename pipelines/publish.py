"""DVC stage `publish` (runs on every `dvc repro`): register the run in MLflow, once, and
promote it only through the gate.

1. The run's identity (model, data, knowledge and code hashes) is looked up in the MLflow
   store: if a finished run already registered it, nothing is logged (idempotent).
2. Otherwise the current @champion's model file and this run's model are scored on this
   run's test set; the promotion gate (`params.yaml`, publish.gate) decides.
3. The run is logged with its nested candidates and the model registered as a new version,
   aliased @champion or @challenger; the description and tags say why.
4. Only a promoted model is written to the packaged src/backclf/published/champion.json.
"""

import json
import shutil
import tempfile
from pathlib import Path

from backclf.core.model import ModelFileError, load_model
from backclf.pipeline.params import params_or_exit
from backclf.pipeline.promotion import Decision, Tolerances, decide, measure
from backclf.pipeline.provenance import run_tags
from backclf.pipeline.registry import PipelineRun, Store
from backclf.pipeline.tracking import dvc_experiment
from backclf.synth.sampler import read_labelled

CANDIDATE = Path("models/champion.json")
PACKAGED = Path("src/backclf/published/champion.json")
REPORTS = Path("reports")
#: The reports this pipeline writes (its stages' deps here); the sensitivity study's reports
#: belong to its own pipeline and MLflow runs.
PIPELINE_REPORTS = ("metrics.json", "evaluation.json", "text_metrics.json")


def main() -> None:
    params = params_or_exit()
    section = params.publish
    tags = run_tags(Path.cwd(), CANDIDATE, Path("data").glob("*.parquet")) | dvc_experiment()
    store = Store(Path.cwd(), section.experiment, section.registered_model)
    existing = store.find(tags["identity"])
    if existing is not None:
        held = ", ".join(f"@{a}" for a in existing.aliases) or "no alias"
        print(
            f"MLflow: this model (identity {tags['identity'][:12]}) is already registered as "
            f"{section.registered_model} version {existing.version} ({held}), "
            f"run {existing.run_id}; nothing logged"
        )
        return

    columns, y, table = read_labelled(Path("data/test.parquet"))
    red_flag_added = table["red_flag_added"].to_numpy()
    ece_bins = params.evaluate.ece_bins
    candidate = measure(load_model(CANDIDATE), columns, y, red_flag_added, ece_bins)
    with tempfile.TemporaryDirectory() as tmp:
        champion = store.champion(Path(tmp))
        held, unreadable = None, None
        if champion is not None:
            try:
                held_model = load_model(champion.model_file)
            except ModelFileError as exc:  # a model file this code can no longer read
                unreadable = f"@champion version {champion.version} cannot be scored ({exc})"
            else:
                held = measure(held_model, columns, y, red_flag_added, ece_bins)
        decision = decide(candidate, held, Tolerances.from_params(section.gate.model_dump()))
        if unreadable:  # judged by the safety rule alone, and the run says so
            decision = Decision(decision.promote, (unreadable, *decision.reasons))
        report_files = [REPORTS / n for n in PIPELINE_REPORTS if (REPORTS / n).exists()]
        registered = store.log(
            PipelineRun(
                params=params.model_dump(),
                reports={p.stem: json.loads(p.read_text()) for p in report_files},
                report_files=report_files,
                model_file=CANDIDATE,
                model_card=REPORTS / "model_card.md",
                plots=sorted((REPORTS / "plots").glob("*.png")),
                candidate_files={
                    p.stem: p for p in sorted(Path("models").glob("*.json")) if p != CANDIDATE
                },
                tags=tags,
                decision=decision,
                gate={"candidate": candidate, "champion": held},
                champion=champion,
            )
        )
    print(
        f"MLflow run {registered.run_id}: registered {section.registered_model} version "
        f"{registered.version}, {decision.summary()}"
    )
    if decision.promote:
        if not PACKAGED.exists() or PACKAGED.read_bytes() != CANDIDATE.read_bytes():
            shutil.copyfile(CANDIDATE, PACKAGED)
        print(f"packaged {CANDIDATE} -> {PACKAGED}")
    else:
        print(f"{PACKAGED} left as it was (the champion's)")


if __name__ == "__main__":
    main()
