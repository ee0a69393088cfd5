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
