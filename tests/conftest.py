"""Shared fixtures: paths, the packaged champion, the development vignettes."""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

import pytest
from hypothesis import settings

from backclf.core.model import load_model

# Property tests without their own max_examples search harder under HYPOTHESIS_PROFILE=ci
# (.ci/run sets it): the monotone red flags of tests/test_monotone.py among them.
settings.register_profile("ci", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "src" / "backclf" / "knowledge" / "article.txt"
DEV_VIGNETTES = ROOT / "data" / "vignettes" / "dev.jsonl"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def article_text() -> str:
    return ARTICLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def model():
    return load_model()


def _hand_written_model(weights: dict[str, dict[str, float]]):
    """A logistic model whose every weight is written by hand: zero intercepts, zero weights
    except ``weights[cause][feature]``, temperature 1 (the packaged model's encoding and
    decision thresholds). Tests whose claim is about behaviour given a differential use it,
    so no retrained probability can move their premise (issue 24)."""
    from backclf.core.model import model_from_file

    packaged = load_model().file
    features = [f.name for f in packaged.encoding]
    causes = [
        {
            "id": cause,
            "intercept": 0.0,
            "weights": {f: float(weights.get(cause, {}).get(f, 0.0)) for f in features},
        }
        for cause in packaged.classes
    ]
    file = type(packaged).model_validate(
        {**packaged.model_dump(), "kind": "logistic", "causes": causes,
         "calibration": {**packaged.calibration.model_dump(), "temperature": 1.0}}
    )  # fmt: skip
    return model_from_file(file)


@pytest.fixture(scope="session")
def hand_written_model():
    """:func:`_hand_written_model`, for tests whose premise is a differential."""
    return _hand_written_model


@pytest.fixture(scope="session")
def dev_rows() -> list[dict]:
    lines = DEV_VIGNETTES.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


#: Modules whose cached loaders a mutation test must see run again (see below).
_CACHED_MODULES = (
    "backclf.knowledge",
    "backclf.core.red_flags",
    "backclf.core.decide",
    "backclf.core.records",
)


@pytest.fixture(autouse=True)
def _fresh_caches_under_mutation_testing():
    """mutmut (tools/mutation.sh) records which tests reach each function, then forks a
    process per mutant that runs only those. A cached loader (the rules, the article) runs
    once per process: without this, only the first test to call it would count as reaching
    the rule compiler or a loader, and a mutant there would be checked by that one test.
    Under mutmut (which names the mutant, or "stats", in MUTANT_UNDER_TEST) every test
    starts with empty caches."""
    if os.environ.get("MUTANT_UNDER_TEST"):
        for name in _CACHED_MODULES:
            module = importlib.import_module(name)
            for value in vars(module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()
    yield


# -- Spark (tests/test_spark.py, tests/test_contract_parity_spark.py) ---------------------------

PACKAGED_MODEL = ROOT / "src" / "backclf" / "published" / "champion.json"


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for every Spark test (skipped without Java or pyspark)."""
    import shutil
    import signal
    import sys

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java 17 or later: none on PATH or JAVA_HOME")
    pytest.importorskip("pyspark", reason="the spark extra (pyspark) is not installed")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors run this Python
    sigint = signal.getsignal(signal.SIGINT)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("backclf-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    # SparkContext puts its own SIGINT handler in this process: put back the one that was
    # there, so the other tests (in any order: pytest-randomly) see their own.
    signal.signal(signal.SIGINT, sigint)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory) -> dict:
    """The packaged model registered as the pipeline registers it (its pyfunc model and
    wheel, the ``model_sha256`` tag, the ``@champion`` alias) in a scratch MLflow store."""
    import hashlib

    import mlflow
    from mlflow import MlflowClient

    from backclf.pipeline.registry import Store

    root = tmp_path_factory.mktemp("mlflow")
    store = Store(root, "spark-test", "backclf")  # sets MLflow's tracking URI to this store
    with mlflow.start_run(experiment_id=store.experiment_id):  # artifacts under root
        version = store._register(PACKAGED_MODEL)
    client = MlflowClient()
    client.set_registered_model_alias("backclf", "champion", version)
    sha256 = hashlib.sha256(PACKAGED_MODEL.read_bytes()).hexdigest()
    client.set_model_version_tag("backclf", version, "model_sha256", sha256)  # as Store.log
    return {"uri": mlflow.get_tracking_uri(), "version": version, "sha256": sha256}


@pytest.fixture(scope="session")
def spark_model(mlflow_store):
    """``models:/backclf@champion`` fetched once for every Spark test."""
    from backclf.spark import fetch_model

    return fetch_model("models:/backclf@champion", tracking_uri=mlflow_store["uri"])
