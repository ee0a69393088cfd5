"""What a reviewer finds in MLflow: the experiment kind, the registered model's description,
and a store that survives moving the checkout (the headline figures under readable names:
tests/test_headline.py)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from backclf.pipeline import tracking
from backclf.pipeline.publication import model_description


def test_the_registered_model_says_what_it_is_how_it_is_chosen_and_the_disclaimer():
    text = model_description()
    for words in (
        '"What causes sudden lower back soreness?"',  # the article
        "src/backclf/knowledge/article.txt",
        "synthetic vignettes",
        "never on patient data",
        "Red-flag rules override the model",
        "promotion gate",
        "`@champion`",
        "`@challenger`",
        "not a diagnosis",  # the article's disclaimer
    ):
        assert words in text, words


@pytest.fixture
def scratch_tracking(monkeypatch):
    """MLflow's process-wide tracking URI restored after the test."""
    import mlflow

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    before = mlflow.get_tracking_uri()
    yield
    mlflow.set_tracking_uri(before)


@pytest.mark.slow
def test_the_experiment_opens_on_training_runs(tmp_path, scratch_tracking):
    from backclf.pipeline.registry import Store

    store = Store(tmp_path, "backclf", "backclf")
    experiment = store.client.get_experiment(store.experiment_id)
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    assert experiment.artifact_location == (tmp_path / "mlartifacts").resolve().as_uri()
    # an experiment made before the tag existed gets it on the next use
    store.client.delete_experiment_tag(store.experiment_id, "mlflow.experimentKind")
    Store(tmp_path, "backclf", "backclf")
    assert store.client.get_experiment(store.experiment_id).tags["mlflow.experimentKind"] == (
        "custom_model_development"
    )


@pytest.mark.slow
def test_a_moved_checkout_is_noticed_and_its_store_relocated(tmp_path, scratch_tracking, capsys):
    import mlflow

    from backclf.pipeline.registry import Store

    old, new = tmp_path / "checkout", tmp_path / "moved" / "checkout"
    old.mkdir()
    store = Store(old, "backclf", "backclf")
    with mlflow.start_run(experiment_id=store.experiment_id) as run:
        mlflow.log_text("model bytes", "model_file/champion.json")
    store.client.create_registered_model("backclf")
    store.client.create_model_version(
        "backclf", source=f"{run.info.artifact_uri}/model_file", run_id=run.info.run_id
    )
    new.parent.mkdir()
    old.rename(new)

    with pytest.raises(tracking.StoreMoved, match=re.escape(f"--moved-from {old}") + "$"):
        Store(new, "backclf", "backclf")
    tracking.main(["--moved-from", str(old), "--root", str(new)])
    assert f"now under {new}" in capsys.readouterr().out
    with sqlite3.connect(new / "mlflow.db") as db:  # no stored value names the old place
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                assert not any(str(old) + "/" in str(v) for v in row), (table, row)

    store = Store(new, "backclf", "backclf")
    assert store.client.get_experiment(store.experiment_id).artifact_location == (
        (new / "mlartifacts").as_uri()
    )
    run_id = run.info.run_id
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/model_file/champion.json") == "model bytes"
    fetched = mlflow.artifacts.download_artifacts("models:/backclf/1", dst_path=str(tmp_path))
    assert (Path(fetched) / "champion.json").read_text() == "model bytes"


def test_relocate_changes_only_values_under_the_old_root(tmp_path):
    db = tmp_path / "store.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE t (uri VARCHAR(200), n INTEGER, note TEXT)")
        rows = [
            ("file:///old/root/mlartifacts/1", 1, "/old/root/x"),
            ("file:///old/rootless/mlartifacts", 2, "see /old/root/x"),  # another dir; inside
            ("mlflow-artifacts:/1/abc", 3, None),
        ]
        connection.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    changed = tracking.relocate(db, Path("/old/root"), tmp_path)
    assert changed == {"t.uri": 1, "t.note": 1}
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT uri, n, note FROM t ORDER BY n").fetchall() == [
            (f"{tmp_path.resolve().as_uri()}/mlartifacts/1", 1, f"{tmp_path.resolve()}/x"),
            ("file:///old/rootless/mlartifacts", 2, "see /old/root/x"),
            ("mlflow-artifacts:/1/abc", 3, None),
        ]
