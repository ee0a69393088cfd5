"""The pipeline end to end on a tiny run in a temporary directory, with MLflow (slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow
STAGES = ("generate", "train", "evaluate", "publish")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, root: Path):
    work = tmp_path_factory.mktemp("pipeline")
    params = yaml.safe_load((root / "params.yaml").read_text())
    for split in ("train", "validation", "test", "shifted", "text_heldout"):
        params["generate"][split]["n"] = 1500 if split != "text_heldout" else 100
    params["train"]["c_grid"] = [0.1, 1.0]
    params["evaluate"]["dev_vignettes"] = str(root / "data/vignettes/dev.jsonl")
    (work / "params.yaml").write_text(yaml.safe_dump(params))
    (work / "src/backclf/published").mkdir(parents=True)
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}"}
    for stage in STAGES:
        subprocess.run(
            [sys.executable, str(root / "pipelines" / f"{stage}.py")],
            cwd=work,
            env=env,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return work, env


def test_pipeline_writes_every_output(tiny_run):
    work, _ = tiny_run
    for path in (
        "data/train.parquet",
        "data/shifted.parquet",
        "data/text_heldout.parquet",
        "models/logistic.json",
        "models/points.json",
        "models/tree.json",
        "reports/metrics.json",
        "reports/model_card.md",
        "reports/plots/confusion.png",
        "reports/plots/reliability.csv",
        "src/backclf/published/champion.json",
    ):
        assert (work / path).exists(), path
    metrics = json.loads((work / "reports/metrics.json").read_text())
    details = json.loads((work / "reports/evaluation.json").read_text())
    for split in ("test", "shifted"):
        assert {"logistic", "points", "tree", "majority", "article_rules", "bayes_ceiling"} <= set(
            details[split]
        )
    assert metrics["champion"]["triage"]["red_flag_cases_at_self_care"] == 0
    assert "not a diagnosis" in (work / "reports/model_card.md").read_text()


def test_mlflow_run_holds_the_metrics_and_the_registered_champion(tiny_run):
    import mlflow
    from mlflow import MlflowClient

    from backclf.pipeline.metrics import numeric_metrics

    work, env = tiny_run
    mlflow.set_tracking_uri(env["MLFLOW_TRACKING_URI"])
    client = MlflowClient()
    version = client.get_model_version_by_alias("backclf", "champion")
    run = client.get_run(version.run_id)
    metrics = numeric_metrics(json.loads((work / "reports/metrics.json").read_text()))
    assert run.data.metrics == pytest.approx(metrics)
    assert run.data.tags["model_kind"] == "logistic"
    assert run.info.run_name == "logistic champion"
    assert len(run.data.tags["git_commit"]) >= 7
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"model_card.md", "plots", "model_file"} <= artifacts
    children = client.search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )
    assert sorted(c.data.tags["model_kind"] for c in children) == ["logistic", "points", "tree"]
    tree = next(c for c in children if c.data.tags["model_kind"] == "tree")
    details = numeric_metrics(json.loads((work / "reports/evaluation.json").read_text()))
    assert tree.data.metrics["test/accuracy"] == details["test/tree/accuracy"]


def test_mlflow_models_predict_applies_the_red_flag_override(tiny_run, tmp_path):
    _, env = tiny_run
    request = {
        "dataframe_records": [
            {"id": "lift", "age": 40, "trigger": "lifting_heavy_object", "fever": False},
            {"id": "numb", "age": 40, "trigger": "lifting_heavy_object", "saddle_numbness": True},
        ]
    }
    (tmp_path / "input.json").write_text(json.dumps(request))
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    result = subprocess.run(
        [
            str(mlflow_cli),
            "models",
            "predict",
            "-m",
            "models:/backclf@champion",
            "--env-manager",
            "local",
            "-i",
            str(tmp_path / "input.json"),
            "-t",
            "json",
            "-o",
            str(tmp_path / "out.json"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    predictions = json.loads((tmp_path / "out.json").read_text())["predictions"]
    lift, numb = predictions
    assert lift["triage_level"] == "self_care" and lift["overridden"] is False
    assert numb["triage_level"] == "emergency" and numb["overridden"] is True
    assert "cauda_equina" in numb["red_flags"]
    assert json.loads(numb["assessment"])["advice"]["urgent"]
