"""`dvc exp show` as the README's "Reading experiments" tells a data scientist to run it: after
two experiments, every table fits 120 columns with no cell cut to an ellipsis.

The experiments are made without running the pipeline: a copy of the repository's DVC files,
params.yaml and reports/headline.json in a scratch Git repository, and each experiment a commit
with other params and figures under DVC's experiment ref
(`refs/exps/<baseline[:2]>/<baseline[2:]>/<name>`, where `dvc exp run` keeps it; DVC's own
layout, see `dvc.repo.experiments.refs`). `dvc exp show` reads them as it reads real ones.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DVC = Path(sys.executable).with_name("dvc")
WIDTH = 120
#: The repository's files `dvc exp show` reads, copied as they are.
FILES = (
    "dvc.yaml",
    "dvc.lock",
    "params.yaml",
    "reports/headline.json",
    "studies/dvc.yaml",
    "studies/dvc.lock",
    ".dvc/config",
)
#: The README's two experiments, each as its params change and its figures (made up, as wide
#: as the real ones: a tree's and more unanswered findings'). Every figure differs between
#: the two but red-flag cases at self-care: the rules keep it 0 whatever the model.
EXPERIMENTS = {
    "tidal-tree": (
        {"train": {"model": "tree"}},
        {"acc": 0.6471, "gap": 4.38, "ece": 0.0115, "loss": 0.9559, "over": 0.1969,
         "pyelo": 0.1338, "rf_sc": 0, "danger": 1, "texts": 6, "iv_gap": 0.59, "dev": 0.9375},
    ),
    "noisy-miss": (
        {"generate": {"knobs": {"missing_rate": 0.2}}},
        {"acc": 0.6612, "gap": 0.11, "ece": 0.0214, "loss": 0.8871, "over": 0.2113,
         "pyelo": 0.0621, "rf_sc": 0, "danger": 0, "texts": 5, "iv_gap": 1.02, "dev": 1.0},
    ),
}  # fmt: skip
#: Each README command's columns, in order (the changed figures; the changed params).
COLUMNS = [
    ["Experiment", "acc", "gap", "ece", "loss", "over", "pyelo", "danger", "texts", "iv_gap",
     "dev"],
    ["Experiment", "generate.knobs.missing_rate", "train.model"],
]  # fmt: skip


def _git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args]
    return subprocess.run(
        command, cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def _merge(tree: dict, change: dict) -> None:
    for key, value in change.items():
        if isinstance(value, dict):
            _merge(tree[key], value)
        else:
            tree[key] = value


@pytest.fixture(scope="module")
def repo(root: Path, tmp_path_factory) -> Path:
    """A scratch repository on `main` with the two experiments of the README."""
    repo = tmp_path_factory.mktemp("experiments")
    for name in FILES:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / name, repo / name)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "baseline")
    baseline = _git(repo, "rev-parse", "HEAD")
    for name, (change, figures) in EXPERIMENTS.items():
        params = yaml.safe_load((repo / "params.yaml").read_text())
        _merge(params, change)
        (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        (repo / "reports/headline.json").write_text(json.dumps(figures, indent=2) + "\n")
        _git(repo, "commit", "-q", "-am", name)
        _git(repo, "update-ref", f"refs/exps/{baseline[:2]}/{baseline[2:]}/{name}", "HEAD")
        _git(repo, "reset", "-q", "--hard", baseline)
    return repo


def readme_commands(root: Path) -> list[list[str]]:
    """The `dvc exp show` commands of the README's "Reading experiments"."""
    text = (root / "README.md").read_text()
    section = text[text.index("**Reading experiments.**") :]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "no command block after **Reading experiments.**"
    lines = [line.split(" #")[0] for line in block.group(1).splitlines()]
    return [shlex.split(line) for line in lines if line.startswith("uv run dvc exp show")]


def test_the_readme_compares_experiments_in_two_narrow_tables(root):
    commands = readme_commands(root)
    assert [c[3:5] for c in commands] == [["exp", "show"]] * 2
    assert all("--only-changed" in c for c in commands)


@pytest.mark.parametrize("which", [0, 1], ids=["figures", "params"])
def test_each_table_fits_120_columns_with_no_cell_cut(root, repo, which):
    command = [str(DVC), *readme_commands(root)[which][3:], "--no-pager"]
    env = {**os.environ, "COLUMNS": str(WIDTH), "DVC_NO_ANALYTICS": "1"}
    result = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    table = result.stdout.splitlines()
    assert "…" not in result.stdout, result.stdout
    assert max(len(line) for line in table) <= WIDTH, result.stdout
    assert table[1].split() == COLUMNS[which], result.stdout
    for name in EXPERIMENTS:
        assert any(f"[{name}]" in line for line in table), result.stdout
    if which == 0:  # the figures as written, not rounded away
        assert any("0.6471" in line and "4.38" in line for line in table), result.stdout
