"""The repository stands alone: nothing it needs, cites or links lives outside it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
needs_git = pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout"
)


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


@needs_git
def test_no_tracked_file_points_at_the_shared_folder_beside_the_checkout():
    found = git(
        "grep", "-n", "-I", "-E", r"\.\./shared|shared/(article|contract|clinical|vignettes)"
    )
    assert found.returncode == 1, found.stdout  # 1: no match


def test_every_pipeline_path_is_inside_the_repository():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    for name, stage in stages.items():
        for dep in stage.get("deps", []):
            assert ".." not in Path(dep).parts, (name, dep)
            assert (ROOT / dep).exists() or dep.startswith(("data/", "models/")), (name, dep)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    dev = Path(params["evaluate"]["dev_vignettes"])
    assert not dev.is_absolute() and ".." not in dev.parts and (ROOT / dev).is_file()


@needs_git
def test_the_development_cases_are_tracked_and_the_pipeline_data_is_not():
    assert git("ls-files", "data/vignettes/dev.jsonl").stdout.strip() == "data/vignettes/dev.jsonl"
    for output in ("data/train.parquet", "models/champion.json", "mlflow.db"):
        assert git("check-ignore", "-q", output).returncode == 0, output
    assert git("check-ignore", "-q", "data/vignettes/dev.jsonl").returncode == 1


@pytest.mark.parametrize("document", ["README.md", "docs/contract.md", "benchmarks/README.md"])
def test_every_relative_link_resolves_inside_the_repository(document):
    text = (ROOT / document).read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)]+)\)", text):
        if re.match(r"[a-z]+:|#", target):
            continue
        path = (ROOT / document).parent / target.split("#")[0]
        assert path.resolve().is_relative_to(ROOT), (document, target)
        assert path.exists(), (document, target)


def test_the_model_card_cites_files_of_the_repository():
    card = (ROOT / "reports" / "model_card.md").read_text(encoding="utf-8")
    cited = re.findall(r"\(((?:docs|data|src)/[^)\s]+)\)", card)
    assert "docs/clinical-sources.md" in cited and "data/vignettes/dev.jsonl" in cited
    for path in cited:
        assert (ROOT / path).exists(), path
