"""Shared fixtures: paths, the packaged champion, the development vignettes."""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

import pytest

from backclf.core.model import load_model

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


@pytest.fixture(scope="session", autouse=True)
def _fresh_caches_under_mutation_testing():
    """mutmut (tools/mutation.sh) collects the tests once and forks a process per mutant.
    Test modules that read the rules or the article at import fill the loaders' caches
    before the fork, so a mutant in a loader or in the rule compiler would never run. Under
    mutmut (which names the mutant in MUTANT_UNDER_TEST) every cache starts empty."""
    if os.environ.get("MUTANT_UNDER_TEST"):
        for name in _CACHED_MODULES:
            module = importlib.import_module(name)
            for value in vars(module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()
    yield
