"""The pipeline end to end on a tiny run in a temporary directory, with MLflow (slow):
registration once per model, promotion only through the gate, serving from the registry."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow
#: dvc.yaml's stages in order, as (script, argument): the pipeline without DVC.
STAGES = (
    ("generate", None),
    ("train", "logistic"),
    ("train", "tree"),
    ("train", "points"),
    ("choose", None),
    ("evaluate_candidates", None),
    ("evaluate", None),
    ("publish", None),
)
REFIT = STAGES[1:7]  # what a change of the knobs reruns before publish
PACKAGED = "src/backclf/published/champion.json"
PACKAGED_CARD = "src/backclf/published/model_card.md"


def run_stage(
    root: Path,
    work: Path,
    env: dict,
    stage: str,
    argument: str | None = None,
    stderr: list | None = None,
) -> str:
    result = subprocess.run(
        [sys.executable, str(root / "pipelines" / f"{stage}.py"), *filter(None, [argument])],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    if stderr is not None:
        stderr.append(result.stderr)
    return result.stdout


def store(env: dict):
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(env["MLFLOW_TRACKING_URI"])
    client = MlflowClient()
    experiment = client.get_experiment_by_name("backclf")
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    versions = client.search_model_versions("name = 'backclf'")
    return client, runs, versions


def registry_state(env: dict, work: Path) -> dict:
    """The registry's aliases and versions and the package, as a fixture leaves them (later
    fixtures register more and move @champion; tests run in any order)."""
    client, _, versions = store(env)
    aliases = {}
    for alias in ("champion", "challenger"):
        try:
            aliases[alias] = str(client.get_model_version_by_alias("backclf", alias).version)
        except Exception:  # no such alias yet
            aliases[alias] = None
    return {
        **aliases,
        "versions": sorted(str(v.version) for v in versions),
        "packaged": (work / PACKAGED).read_bytes(),
    }


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, root: Path):
    """The first run on an empty store, as on a fresh clone."""
    work = tmp_path_factory.mktemp("pipeline")
    params = yaml.safe_load((root / "params.yaml").read_text())
    for split in ("train", "validation", "test", "shifted", "text_heldout", "reference"):
        params["generate"][split]["n"] = 1500 if split != "text_heldout" else 100
    params["train"]["c_grid"] = [0.1, 1.0]
    params["evaluate"]["dev_vignettes"] = str(root / "data/vignettes/dev.jsonl")
    for name in ("dangerous_presentations", "blind_presentations", "before_review"):
        params["evaluate"][name] = str(root / params["evaluate"][name])
    (work / "params.yaml").write_text(yaml.safe_dump(params))
    (work / "src/backclf/published").mkdir(parents=True)
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}"}
    env.pop("DVC_EXP_NAME", None)
    errors: list[str] = []
    outputs = {stage: run_stage(root, work, env, stage, arg, errors) for stage, arg in STAGES}
    first = {
        "metrics": json.loads((work / "reports/metrics.json").read_text()),
        "details": json.loads((work / "reports/evaluation.json").read_text()),
        "packaged": (work / PACKAGED).read_bytes(),
        "packaged_card": (work / PACKAGED_CARD).read_bytes(),
        "card": (work / "reports/model_card.md").read_bytes(),
        # read now: a later fixture (tree_run) retrains into the same directory, and tests
        # run in any order (pytest-randomly)
        "model": (work / "models/champion.json").read_bytes(),
        "publish": outputs["publish"],
        "publish_stderr": errors[-1],
        # the generated sets as this run read them (knobs_experiment generates others)
        "data_sha256": {
            p.stem: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in (work / "data").glob("*.parquet")
        },
        # the registry as the first run left it (later fixtures register more versions)
        "versions": [str(v.version) for v in store(env)[2]],
        "state": registry_state(env, work),
    }
    return work, env, first


@pytest.fixture(scope="module")
def second_publish(tiny_run, root: Path):
    """The registration step again on the same outputs (a second `dvc repro`)."""
    work, env, _ = tiny_run
    _, runs, versions = store(env)
    output = run_stage(root, work, env, "publish")
    _, runs_after, versions_after = store(env)
    return output, (len(runs), len(versions)), (len(runs_after), len(versions_after))


@pytest.fixture(scope="module")
def tree_run(second_publish, tiny_run, root: Path):
    """An experiment with the shallow tree as the pipeline's model (`-S train.model=tree`)."""
    work, env, _ = tiny_run
    params = yaml.safe_load((work / "params.yaml").read_text())
    params["train"]["model"] = "tree"
    (work / "params.yaml").write_text(yaml.safe_dump(params))
    env = {**env, "DVC_EXP_NAME": "tree-trial", "DVC_EXP_BASELINE_REV": "0" * 40}
    models = {p.name: p.read_bytes() for p in sorted((work / "models").glob("*.json"))}
    for stage in ("choose", "evaluate"):  # what `dvc exp run -S train.model=tree` reruns
        run_stage(root, work, env, stage)
    # choosing refits nothing: the candidates are the files the first run fitted
    assert {n: b for n, b in models.items() if n != "champion.json"} == {
        p.name: p.read_bytes()
        for p in sorted((work / "models").glob("*.json"))
        if p.name != "champion.json"
    }
    return run_stage(root, work, env, "publish"), registry_state(env, work)


@pytest.fixture(scope="module")
def knobs_experiment(tree_run, tiny_run, root: Path):
    """`dvc exp run -S generate.knobs.missing_rate=0.2` (another world, the logistic model),
    then what `dvc exp apply` and `dvc repro` do: the registration step outside an
    experiment, on the same outputs."""
    work, env, _ = tiny_run
    params = yaml.safe_load((work / "params.yaml").read_text())
    params["train"]["model"] = "logistic"
    params["generate"]["knobs"]["missing_rate"] = 0.2
    (work / "params.yaml").write_text(yaml.safe_dump(params))
    experiment_env = {**env, "DVC_EXP_NAME": "knobs-trial", "DVC_EXP_BASELINE_REV": "0" * 40}
    run_stage(root, work, experiment_env, "generate")
    for stage, arg in REFIT:
        run_stage(root, work, experiment_env, stage, arg)
    card = (work / "reports/model_card.md").read_text()
    experiment = run_stage(root, work, experiment_env, "publish")
    package = (work / PACKAGED).read_bytes(), (work / PACKAGED_CARD).read_bytes()
    during = registry_state(env, work)
    applied = run_stage(root, work, env, "publish")
    after = {
        **registry_state(env, work),
        "model": (work / "models/champion.json").read_bytes(),
        "card": (work / "reports/model_card.md").read_bytes(),
        "packaged_card": (work / PACKAGED_CARD).read_bytes(),
    }
    return experiment, card, package, applied, during, after


def test_pipeline_writes_every_output(tiny_run):
    work, _, first = tiny_run
    for path in (
        "data/train.parquet",
        "data/shifted.parquet",
        "data/text_heldout.parquet",
        "data/reference.parquet",
        "models/logistic.json",
        "models/points.json",
        "models/tree.json",
        "reports/metrics.json",
        "reports/model_card.md",
        "reports/plots/confusion.png",
        "reports/plots/reliability.png",
        "reports/candidates.json",
        PACKAGED,
    ):
        assert (work / path).exists(), path
    for split in ("test", "shifted"):
        assert {"logistic", "points", "tree", "majority", "article_rules", "bayes_ceiling"} <= set(
            first["details"][split]
        )
    assert first["metrics"]["champion"]["triage"]["red_flag_cases_at_self_care"] == 0
    assert "not a diagnosis" in (work / "reports/model_card.md").read_text()


def test_the_first_run_promotes_and_packages_the_pipelines_champion(tiny_run, root):
    _, env, first = tiny_run
    assert "promoted to @champion: no champion yet" in first["publish"]
    assert first["packaged"] == first["model"]
    # the packaged card is this run's card, and names the packaged model
    card = first["packaged_card"].decode()
    assert card == first["card"].decode()
    assert f"Model file sha256: `{hashlib.sha256(first['model']).hexdigest()}`" in card
    assert (
        "champion: @champion version 1, the packaged model and its card agree" in first["publish"]
    )
    client, _, versions = store(env)
    assert first["state"]["champion"] == "1" and first["versions"] == ["1"]
    assert "1" in [str(v.version) for v in versions]  # still there, whatever ran since
    run = client.get_run(client.get_model_version("backclf", "1").run_id)
    assert run.data.tags["promotion"] == "champion"
    assert "promoted to @champion" in run.data.tags["mlflow.note.content"]


def test_the_run_holds_the_headline_the_reports_the_tags_and_the_candidates(tiny_run, tmp_path):
    _, env, first = tiny_run
    client, _, _ = store(env)
    run = client.get_run(client.get_model_version("backclf", "1").run_id)  # the first run
    logged = run.data.metrics
    # a few dozen figures a person can read, not every leaf of every report
    assert len(logged) <= 60
    champion = first["metrics"]["champion"]
    assert logged["test accuracy"] == champion["test_accuracy"]
    assert logged["gap to Bayes ceiling points"] == champion["gap_to_bayes_points"]
    assert logged["ECE"] == champion["ece"]
    assert logged["log loss"] == champion["log_loss"]
    assert logged["over-triage rate"] == champion["triage"]["over_triage_rate"]
    assert logged["red-flag cases at self-care"] == 0
    assert logged["dangerous presentations below minimum"] == (  # hand-written and blind
        champion["dangerous_presentations"]["below_minimum"]
        + champion["blind_presentations"]["below_minimum"]
    )
    assert logged["dev cause first rate"] == champion["dev_cause_first_rate"]
    assert logged["promoted when registered"] == 1
    assert "text_metrics/heldout_narratives/micro/f1" not in logged  # not run in this test
    assert logged["gate/candidate/accuracy"] == first["metrics"]["champion"]["test_accuracy"]
    # every other figure is in the reports, logged whole
    reports = {a.path for a in client.list_artifacts(run.info.run_id, "reports")}
    assert {"reports/metrics.json", "reports/evaluation.json"} <= reports
    fetched = client.download_artifacts(run.info.run_id, "reports/evaluation.json", str(tmp_path))
    assert json.loads(Path(fetched).read_text()) == first["details"]
    # params: what took effect, never the literal None
    params = run.data.params
    assert params and "None" not in params.values()
    assert params["generate.train.priors"] == "generator.yaml"
    tags = run.data.tags
    assert tags["model_sha256"] == hashlib.sha256(first["model"]).hexdigest()
    assert tags["git_commit"] and tags["git_dirty"] in ("true", "false", "unknown")
    assert tags["dvc_experiment"] == ""
    assert len(tags["knowledge_sha256/red_flags.yaml"]) == 64
    assert {"data_sha256/train", "data_sha256/test", "identity", "package_sha256"} <= set(tags)
    assert run.info.run_name.startswith("logistic ")
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"model_card.md", "plots", "model_file", "reports"} <= artifacts
    children = client.search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )
    by_kind = {c.data.tags["model_kind"]: c for c in children}
    assert sorted(by_kind) == ["logistic", "points", "tree"]
    details = first["details"]
    tree = by_kind["tree"].data.metrics  # the parent's names, the candidate's figures
    assert tree["test accuracy"] == details["test"]["tree"]["accuracy"]
    assert tree["ECE"] == details["test"]["tree"]["ece"]
    assert tree["dev cause first rate"] == details["dev"]["tree"]["cause_first_rate"]
    assert by_kind["tree"].data.params["train.tree_max_depth"] == "8"
    assert "train.c_grid" not in by_kind["tree"].data.params
    assert by_kind["logistic"].data.params["model.training.C"] in ("0.1", "1.0")
    assert by_kind["points"].data.params["train.points_max"] == "10"
    for child in children:
        assert "None" not in child.data.params.values()


CONTEXT = "mlflow.data.context"


def test_the_data_sets_are_the_runs_inputs_with_their_digests(tiny_run):
    _, env, first = tiny_run
    client, _, _ = store(env)
    run = client.get_run(client.get_model_version("backclf", "1").run_id)
    inputs = {
        i.dataset.name: (i.dataset.digest, [t.value for t in i.tags if t.key == CONTEXT])
        for i in run.inputs.dataset_inputs
    }
    expected_context = {
        "train": "train", "validation": "validation", "test": "test", "shifted": "test",
        "text_heldout": "test", "reference": "reference",
    }  # fmt: skip
    assert sorted(inputs) == sorted(expected_context)
    for name, (digest, context) in inputs.items():
        sha256 = first["data_sha256"][name]
        assert digest == sha256[:32] and sha256 == run.data.tags[f"data_sha256/{name}"]
        assert context == [expected_context[name]]
    train = next(i.dataset for i in run.inputs.dataset_inputs if i.dataset.name == "train")
    assert json.loads(train.source) == {"uri": "data/train.parquet"}  # relative: moves along
    assert json.loads(train.profile)["num_rows"] == 1500
    columns = json.loads(train.schema)["mlflow_colspec"]
    kinds = {c["name"]: (c["type"], c.get("required", True)) for c in columns}
    assert kinds["fever"] == ("boolean", False) and kinds["label"] == ("string", True)
    child = client.search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )[0]
    assert {i.dataset.name for i in child.inputs.dataset_inputs} == {
        "train", "validation", "test", "shifted",
    }  # fmt: skip


def test_the_experiment_kind_and_the_registered_models_description(tiny_run):
    _, env, _ = tiny_run
    client, _, _ = store(env)
    experiment = client.get_experiment_by_name("backclf")
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    # the runs table's shared view "headline": its columns are the headline figures
    view = json.loads(experiment.tags["mlflow.sharedViewState.headline"])
    assert view["selectedColumns"][:3] == [
        "attributes.`Source`", "attributes.`Models`", "attributes.`Dataset`",
    ]  # fmt: skip
    assert {"metrics.`test accuracy`", "metrics.`ECE`", "metrics.`log loss`"} <= set(
        view["selectedColumns"]
    )
    description = client.get_registered_model("backclf").description
    assert "What causes sudden lower back soreness?" in description
    assert "not a diagnosis" in description and "promotion gate" in description


def test_publish_says_one_line_and_mlflow_nothing(tiny_run):
    _, _, first = tiny_run
    lines = first["publish"].splitlines()
    assert len(lines) == 1 and lines[0].startswith("publish: MLflow run ")
    assert "INFO" not in first["publish_stderr"] and "Downloading" not in first["publish_stderr"]
    assert "Successfully registered" not in first["publish_stderr"]


def test_a_second_run_on_the_same_model_logs_nothing(second_publish):
    output, before, after = second_publish
    assert "already registered" in output and "nothing logged" in output
    assert after == before


def test_an_experiment_with_a_worse_model_is_a_challenger_and_says_why(tree_run, tiny_run):
    _, env, first = tiny_run
    output, state = tree_run
    assert "kept as @challenger" in output and "reference accuracy" in output
    assert state["packaged"] == first["packaged"]  # the package is left alone
    assert state["champion"] == "1" and state["challenger"] == "2"
    assert state["versions"] == ["1", "2"]
    client, _, _ = store(env)
    challenger = client.get_model_version("backclf", "2")
    run = client.get_run(challenger.run_id)
    assert run.data.tags["promotion"] == "challenger"
    assert run.data.tags["dvc_experiment"] == "tree-trial"
    assert run.data.tags["compared_with"] == "@champion version 1"
    reasons = run.data.tags["promotion_reasons"]
    assert "points below the champion's" in reasons
    assert reasons in run.data.tags["mlflow.note.content"]
    assert challenger.description == run.data.tags["mlflow.note.content"]
    # apples to apples: both scored by the gate on the reference data
    metrics = run.data.metrics
    assert metrics["gate/champion/accuracy"] - metrics["gate/candidate/accuracy"] > 0.005
    assert metrics["gate/champion/accuracy"] == first["metrics"]["champion"]["test_accuracy"]


def test_an_experiment_is_never_promoted_and_says_how_to_promote_it(knobs_experiment, tiny_run):
    _, env, first = tiny_run
    experiment, card, package, _, during, _ = knobs_experiment
    assert during["champion"] == "1" and during["challenger"] == "3"
    assert "kept as @challenger" in experiment
    assert "an experiment (knobs-trial) is registered as a challenger, never promoted" in experiment
    assert "dvc exp apply knobs-trial, then dvc repro" in experiment
    assert package == (first["packaged"], first["packaged_card"])  # the package is left alone
    assert "champion: @champion version 1, the packaged model and its card agree" in experiment
    # its own world differs from the default: the card says so and gives the reference figures
    assert "This run's test world is not the default one" in card
    client, _, _ = store(env)
    run = client.get_run(client.get_model_version("backclf", "3").run_id)
    assert run.data.tags["dvc_experiment"] == "knobs-trial"
    # judged on the same reference cases as the champion: the data set the gate read is fixed
    assert (
        run.data.metrics["gate/champion/accuracy"] == first["metrics"]["champion"]["test_accuracy"]
    )


def test_after_applying_an_experiment_the_gate_decides_again(knobs_experiment, tiny_run):
    _, env, _ = tiny_run
    _, _, _, applied, _, after = knobs_experiment
    assert "already registered" in applied and "nothing logged" in applied
    assert "the gate again, on the reference data: promoted to @champion" in applied
    assert after["champion"] == "3" and after["versions"] == ["1", "2", "3"]
    client, _, _ = store(env)
    assert client.get_model_version("backclf", "3").tags["promotion"] == "champion"
    assert after["packaged"] == after["model"] and after["packaged_card"] == after["card"]
    assert "champion: @champion version 3, the packaged model and its card agree" in applied


def test_mlflow_models_predict_applies_the_red_flag_override(tiny_run, tmp_path):
    _, env, _ = tiny_run
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
            "models:/backclf/1",  # the first run's model: later fixtures move @champion
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
    assert lift["triage_level"] == "self_care" and lift["triage_overridden"] is False
    assert numb["triage_level"] == "emergency" and numb["triage_overridden"] is True
    assert numb["red_flags"] == ["cauda_equina"] and numb["error"] is None
    assert numb["assessment"]["advice"]["urgent"]
    assert numb["assessment"]["triage"] == {
        "level": "emergency",
        "overridden": True,
        "screened": False,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, payload: dict) -> dict:
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read().decode()
    return json.loads(body)  # strict: a bare NaN would not parse as JSON either way below


def test_the_registered_champion_serves_over_http_as_strictly_as_the_cli(tiny_run):
    _, env, _ = tiny_run
    port = _free_port()
    bin_dir = str(Path(sys.executable).parent)
    serve_env = {**env, "PATH": bin_dir + os.pathsep + env.get("PATH", "")}
    server = subprocess.Popen(
        [
            str(Path(bin_dir) / "mlflow"),
            "models",
            "serve",
            "-m",
            "models:/backclf/1",  # the first run's model: later fixtures move @champion
            "--env-manager",
            "local",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=serve_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=5):
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "the server did not start in 120 s"
                time.sleep(0.5)
        body = _post(
            f"{url}/invocations",
            {
                "dataframe_records": [
                    {"id": "numb", "age": 40, "saddle_numbness": True},
                    {"id": "old", "age": 400},
                    {"id": 3, "fever": True, "frequent_urination": True},
                ]
            },
        )["predictions"]
        assert [p["id"] for p in body] == ["numb", "old", 3]
        assert body[0]["triage_level"] == "emergency" and body[0]["red_flags"] == ["cauda_equina"]
        assert body[0]["assessment"]["triage"] == {
            "level": "emergency",
            "overridden": True,
            "screened": False,
        }
        assert body[1]["error"].startswith("age:") and body[1]["row"] == 2
        assert body[1]["triage_level"] is None and body[1]["assessment"] is None
        assert body[2]["cause"] == "pyelonephritis"
        assert body[2]["assessment"]["cause"]["id"] == "pyelonephritis"
        typo = _post(
            f"{url}/invocations",
            {"dataframe_records": [{"id": "t", "age": 40, "saddle_numbnes": True}]},
        )["predictions"]
        assert typo[0]["error"] == (
            "unknown finding 'saddle_numbnes'; did you mean 'saddle_numbness'?"
        )
        assert typo[0]["triage_level"] is None and typo[0]["assessment"] is None
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def test_the_packaged_champion_is_written_by_the_gate_not_by_dvc(root):
    stages = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    outputs = [
        next(iter(out)) if isinstance(out, dict) else out
        for stage in stages.values()
        for kind in ("outs", "metrics", "plots")
        for out in stage.get(kind, [])
    ]
    assert PACKAGED not in outputs
    publish = stages["publish"]
    assert publish.get("always_changed") is True
    assert not any(publish.get(kind) for kind in ("outs", "metrics", "plots"))
    assert (
        shutil.which("git") is None
        or PACKAGED
        in subprocess.run(
            ["git", "ls-files", PACKAGED], cwd=root, capture_output=True, text=True
        ).stdout
    )


@pytest.mark.parametrize("family", [None, "heldout"])
def test_a_data_sets_schema_from_its_deciding_rows_is_mlflows_from_every_row(tmp_path, family):
    import pandas as pd
    from mlflow.types.utils import _infer_schema

    from backclf.pipeline.provenance import schema_rows
    from backclf.synth.config import GenerationConfig
    from backclf.synth.sampler import write_parquet

    config = GenerationConfig(n=3000, seed=11, missing_rate=0.3, red_flag_rate=0.2)
    frame = pd.read_parquet(write_parquet(config, tmp_path / "set.parquet", text_family=family))
    rows = schema_rows(frame)
    assert len(rows) < len(frame) // 2 if family is None else len(rows) <= len(frame)
    assert _infer_schema(rows).to_dict() == _infer_schema(frame).to_dict()


def test_the_deciding_rows_keep_each_columns_kinds_of_value_and_its_first_gap():
    import pandas as pd

    from backclf.pipeline.provenance import schema_rows

    frame = pd.DataFrame(
        {
            "answer": [True, True, False, None, True, False],  # objects: bool, bool, none
            "age": [40.0, 41.0, 42.0, 43.0, float("nan"), 45.0],  # a float with a gap at 4
            "count": [1, 2, 3, 4, 5, 6],  # its dtype decides; no gap
        },
        index=[10, 11, 12, 13, 14, 15],
    )
    assert list(schema_rows(frame).index) == [10, 12, 13, 14]
    assert list(schema_rows(frame[["count"]]).index) == [10]
