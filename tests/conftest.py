"""Shared fixtures: paths, the packaged champion, the development vignettes."""

from __future__ import annotations

import json
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
