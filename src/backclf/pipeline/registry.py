"""Registering pipeline runs in MLflow: find a run by identity, fetch the champion, log a run.
Needs the ``pipeline`` extra.

:class:`Store` finds a run by its identity (:mod:`backclf.pipeline.provenance`), fetches the
current ``@champion``'s model file, and logs a run as a reviewer reads it in the MLflow UI:
the parameters as they took effect (:func:`run_params`: no ``None``), the headline figures
under readable names (:mod:`backclf.pipeline.run_figures`, a few dozen at most with the
gate's comparison; every other figure stays in the reports, logged as JSON artifacts), the
data sets as inputs with their digests, plots, the model file and card, one nested run per
candidate with the same headline names, and the pyfunc model registered as a new version
with the alias the promotion gate gave it. Where the store is: :mod:`backclf.pipeline.tracking`.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backclf.pipeline.metrics import flatten
from backclf.pipeline.promotion import CHAMPION, Decision, GateMetrics
from backclf.pipeline.provenance import (
    CANDIDATE_DATA,
    DATA_CONTEXTS,
    data_sets,
    log_inputs,
    run_params,
)
from backclf.pipeline.run_figures import CANDIDATE_HEADLINE, PROMOTED, headline_metrics
from backclf.pipeline.tracking import (
    HEADLINE_VIEW,
    experiment,
    quiet_mlflow,
    share_view,
    tracking_uri,
    without_uv_project_files,
)

MODEL_CODE = Path(__file__).with_name("mlflow_model.py")
HEADLINE_REPORT = "metrics"  # reports/metrics.json: its metrics keep their own names
DETAILS_REPORT = "candidates"  # reports/candidates.json: every candidate on every set
#: The training parameters (``params.yaml`` ``train``) each kind of candidate uses.
TRAIN_PARAMS = {
    "logistic": ("seed", "cv_folds", "c_grid"),
    "points": ("seed", "cv_folds", "c_grid", "points_max"),
    "tree": ("seed", "tree_max_depth", "tree_min_samples_leaf"),
}


@dataclass
class Registered:
    """A run that registered a model version, and the aliases that version holds now."""

    run_id: str
    version: str
    aliases: list[str]


@dataclass
class Champion:
    """The model a candidate is judged against: the registry's @champion, or on an empty
    store the packaged model (``version`` None)."""

    version: str | None
    run_id: str | None
    model_file: Path

    @property
    def label(self) -> str:
        return f"@champion version {self.version}" if self.version else "packaged model"


@dataclass(frozen=True)
class ChampionVersion:
    """What the registry says of its @champion: the version and the model it holds."""

    version: str
    model_sha256: str
    git_commit: str


@dataclass
class PipelineRun:
    """Everything one registration logs."""

    params: dict[str, Any]
    reports: dict[str, dict[str, Any]]  # report name -> parsed JSON
    report_files: list[Path]
    model_file: Path
    model_card: Path
    plots: list[Path]
    candidate_files: dict[str, Path]
    tags: dict[str, str]
    decision: Decision
    data_files: list[Path] = field(default_factory=list)  # data/<set>.parquet
    #: The registered model's (publication.model_description), set when it differs.
    model_description: str = ""
    gate: dict[str, GateMetrics | None] = field(default_factory=dict)  # candidate, champion
    champion: Champion | None = None


class Store:
    """The MLflow experiment and registered model of the pipeline (``params.yaml`` publish)."""

    def __init__(self, root: Path, experiment_name: str, registered_model: str):
        quiet_mlflow()
        import mlflow
        from mlflow import MlflowClient

        mlflow.set_tracking_uri(tracking_uri(root))
        self.client = MlflowClient()
        self.name = registered_model
        self.experiment_id = experiment(self.client, experiment_name, root)

    def find(self, identity: str) -> Registered | None:
        """The finished run that registered a model with this identity, if any."""
        runs = self.client.search_runs(
            [self.experiment_id],
            f"tags.identity = '{identity}' and attributes.status = 'FINISHED'",
            max_results=1,
        )
        if not runs:
            return None
        run = runs[0]
        version = run.data.tags.get("registered_version", "")
        aliases = list(self.client.get_model_version(self.name, version).aliases) if version else []
        return Registered(run.info.run_id, version, aliases)

    def champion(self, workdir: Path) -> Champion | None:
        """The ``@champion`` version and its model file (downloaded into ``workdir``)."""
        import mlflow
        import yaml
        from mlflow.exceptions import MlflowException

        try:
            version = self.client.get_model_version_by_alias(self.name, CHAMPION)
        except MlflowException:  # no registered model, or no champion yet
            return None
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{self.name}/{version.version}", dst_path=str(workdir)
            )
        )
        flavor = yaml.safe_load((local / "MLmodel").read_text())["flavors"]["python_function"]
        model_file = local / flavor["artifacts"]["model_file"]["path"]
        return Champion(version.version, version.run_id, model_file)

    @staticmethod
    def packaged_baseline(packaged: Path) -> Champion | None:
        """The packaged model as the baseline of an empty store (None if there is none)."""
        return Champion(None, None, packaged) if packaged.exists() else None

    def champion_version(self) -> ChampionVersion | None:
        """The @champion version and its model's sha256, or None."""
        from mlflow.exceptions import MlflowException

        try:
            version = self.client.get_model_version_by_alias(self.name, CHAMPION)
        except MlflowException:
            return None
        tags = version.tags or {}
        return ChampionVersion(
            version.version, tags.get("model_sha256", ""), tags.get("git_commit", "")
        )

    def promote(self, version: str, decision: Decision) -> None:
        """Move @champion to an already registered version (a challenger the gate now
        passes), and record why on the version."""
        self.client.set_registered_model_alias(self.name, CHAMPION, version)
        self.client.set_model_version_tag(self.name, version, "promotion", CHAMPION)
        self.client.set_model_version_tag(
            self.name, version, "promotion_reasons", "; ".join(decision.reasons)
        )

    def log(self, run: PipelineRun) -> Registered:
        """Log the run and its nested candidate runs; register the model with its alias."""
        import mlflow

        mlflow.set_experiment(experiment_id=self.experiment_id)
        model = json.loads(run.model_file.read_text())
        kind = model["kind"]
        description = _description(run, kind, model["training"]["n"])
        tags = {k: v for k, v in run.tags.items() if k != "identity"}
        with mlflow.start_run(
            experiment_id=self.experiment_id,
            run_name=f"{kind} {run.tags['model_sha256'][:8]}",
            description=description,
        ) as active:
            mlflow.set_tags(
                {
                    **tags,
                    "model_kind": kind,
                    "promotion": run.decision.alias,
                    "promotion_reasons": "; ".join(run.decision.reasons),
                    "compared_with": run.champion.label if run.champion else "none",
                }
            )
            mlflow.log_params(run_params(run.params))
            headline = {**headline_metrics(run.reports), PROMOTED: float(run.decision.promote)}
            mlflow.log_metrics(headline)
            share_view(self.client, self.experiment_id, HEADLINE_VIEW, list(headline))
            for role, gate in run.gate.items():
                if gate is not None:
                    mlflow.log_metrics({f"gate/{role}/{k}": v for k, v in gate.as_dict().items()})
            sets = data_sets(run.data_files, run.tags)
            log_inputs(sets, DATA_CONTEXTS)
            mlflow.log_artifact(str(run.model_file), artifact_path="model_file")
            mlflow.log_artifact(str(run.model_card))
            for path in run.report_files:
                mlflow.log_artifact(str(path), artifact_path="reports")
            for plot in run.plots:
                mlflow.log_artifact(str(plot), artifact_path="plots")
            version = self._register(run.model_file)
            self.describe_model(run.model_description)
            self.client.set_registered_model_alias(self.name, run.decision.alias, version)
            self.client.update_model_version(self.name, version, description=description)
            for key in ("identity", "model_sha256", "git_commit", "git_dirty", "dvc_experiment"):
                self.client.set_model_version_tag(self.name, version, key, run.tags[key])
            self.client.set_model_version_tag(self.name, version, "promotion", run.decision.alias)
            for candidate, path in run.candidate_files.items():
                _log_candidate(candidate, path, run, kind, sets)
            mlflow.set_tag("registered_version", version)
            mlflow.set_tag("identity", run.tags["identity"])  # last: marks the run complete
            aliases = list(self.client.get_model_version(self.name, version).aliases)
            return Registered(active.info.run_id, version, aliases)

    def describe_model(self, text: str) -> None:
        """Set the registered model's description, if it differs."""
        if text and self.client.get_registered_model(self.name).description != text:
            self.client.update_registered_model(self.name, description=text)

    def _register(self, model_file: Path) -> str:
        """Log the pyfunc model with the package wheel it needs; register it; its version."""
        import mlflow

        from backclf.pipeline.mlflow_model import findings_schema, input_example, signature
        from backclf.pipeline.wheel import build_wheel

        with tempfile.TemporaryDirectory() as tmp, without_uv_project_files():
            wheel = build_wheel(Path(tmp))
            info = mlflow.pyfunc.log_model(
                name="backclf",
                python_model=str(MODEL_CODE),
                artifacts={"model_file": str(model_file), "wheel": str(wheel)},
                signature=signature(),
                input_example=input_example(),
                pip_requirements=requirements(wheel.name),
                metadata={"findings_schema": findings_schema(), "contract": "docs/contract.md"},
            )
        # Registered through the client, not log_model's registered_model_name, which prints
        # "Successfully registered model" and "Created version" to stderr whatever the log level.
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(self.name)
        except MlflowException:
            self.client.create_registered_model(self.name)
        version = self.client.create_model_version(
            self.name, source=info.model_uri, run_id=info.run_id, model_id=info.model_id
        )
        return str(version.version)


def requirements(wheel_name: str) -> list[str]:
    """What an environment needs to serve the model: MLflow itself, and this package (with
    its free-text reader) from the wheel among the model's artifacts. The path is relative
    to the model directory, where MLflow runs pip."""
    import mlflow

    return [f"mlflow=={mlflow.__version__}", f"./artifacts/{wheel_name}[text]"]


def _description(run: PipelineRun, kind: str, n_train: int) -> str:
    champ = run.reports[HEADLINE_REPORT]["champion"]
    text = (
        f"{kind} model trained on {n_train:,} synthetic vignettes. Test accuracy "
        f"{champ['test_accuracy']:.4f} (Bayes ceiling {champ['bayes_ceiling']:.4f}), "
        f"ECE {champ['ece']:.4f}, dev cause-first {champ['dev_cause_first_rate']:.0%}. "
    )
    if run.champion is not None:
        text += f"Compared with the {run.champion.label} on the reference data: "
    return text + run.decision.summary() + "."


def _candidate_params(kind: str, params: dict[str, Any], model: dict[str, Any]) -> dict[str, str]:
    """The candidate's own training parameters and what its model file records of them."""
    train = params["train"]
    names = TRAIN_PARAMS.get(kind, tuple(k for k in train if k != "model"))
    own = {f"train.{k}": train[k] for k in names if k in train}
    own.update({f"assess.{k}": v for k, v in params.get("assess", {}).items()})
    recorded = {k: model[k] for k in ("training", "calibration", "decision") if k in model}
    if "points_per_logit" in model:
        recorded["points_per_logit"] = model["points_per_logit"]
    own.update({f"model.{k}": v for k, v in flatten(recorded, sep=".").items()})
    return {k: str(v) for k, v in own.items()}


def _log_candidate(
    candidate: str, path: Path, run: PipelineRun, champion_kind: str, sets: dict[str, Any]
) -> None:
    """A nested run with one candidate's params, its metrics on every evaluation set and its
    model file."""
    import mlflow

    from backclf.pipeline.provenance import sha256_file

    details = run.reports.get(DETAILS_REPORT, run.reports[HEADLINE_REPORT])
    own = {
        split: details[split][candidate]
        for split in ("test", "shifted", "dev")
        if candidate in details.get(split, {})
    }
    test = own.get("test", {})
    role = "the pipeline's choice" if candidate == champion_kind else "a candidate beside it"
    description = (
        f"{candidate} model, {role}: test accuracy {test.get('accuracy', 0):.4f}, "
        f"log loss {test.get('log_loss', 0):.4f}, ECE {test.get('ece', 0):.4f}."
    )
    with mlflow.start_run(run_name=f"{candidate} candidate", nested=True, description=description):
        mlflow.set_tags(
            {
                "model_kind": candidate,
                "role": "candidate",
                "model_sha256": sha256_file(path),
                **{k: v for k, v in run.tags.items() if k.startswith("data_sha256/")},
            }
        )
        mlflow.log_params(_candidate_params(candidate, run.params, json.loads(path.read_text())))
        mlflow.log_metrics(
            {
                name: float(own[split][key])
                for name, (split, key) in CANDIDATE_HEADLINE.items()
                if key in own.get(split, {})
            }
        )
        mlflow.log_dict(own, "figures.json")  # every figure of this candidate, by set
        log_inputs(sets, CANDIDATE_DATA)
        mlflow.log_artifact(str(path), artifact_path="model_file")
