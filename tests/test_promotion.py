"""The promotion gate and the run identity, against hand-written cases."""

from __future__ import annotations

import pytest
import yaml

from backclf.pipeline import provenance
from backclf.pipeline.promotion import GateMetrics, Tolerances, decide

TOL = Tolerances(
    accuracy_drop=0.005, ece_rise=0.01, pyelonephritis_under_triage_rise=0.005,
    dev_cause_first_drop=0, dangerous_presentations_rise=0,
)  # fmt: skip
CHAMPION = GateMetrics(
    accuracy=0.7507, ece=0.0186, red_flag_cases_at_self_care=0,
    pyelonephritis_under_triage_rate=0.087, dev_cause_first=16,
    dangerous_presentations_below_minimum=0,
)  # fmt: skip


def metrics(**changes) -> GateMetrics:
    return GateMetrics(**{**CHAMPION.as_dict(), **changes})


# (candidate changes, promoted?, words every reason list must contain)
CASES = [
    ({}, True, ["not worse"]),
    ({"accuracy": 0.7486}, True, ["not worse"]),  # the points scorecard: -0.21 points
    ({"accuracy": 0.7457}, True, []),  # exactly at the tolerance: -0.50 points
    ({"accuracy": 0.6865}, False, ["6.42 points below", "0.7507", "tolerance 0.50"]),  # the tree
    ({"accuracy": 0.80}, True, []),
    ({"ece": 0.0286}, True, []),  # +0.0100: at the tolerance
    ({"ece": 0.0300}, False, ["ECE 0.0300", "0.0114 above"]),
    ({"pyelonephritis_under_triage_rate": 0.092}, True, []),
    ({"pyelonephritis_under_triage_rate": 0.095}, False, ["pyelonephritis", "0.80 points"]),
    ({"red_flag_cases_at_self_care": 1}, False, ["1 red-flag cases end at self-care"]),
    ({"red_flag_cases_at_self_care": 3, "accuracy": 0.9}, False, ["self-care"]),
    ({"dev_cause_first": 15}, False, ["15 development vignettes", "1 fewer", "16"]),
    ({"dev_cause_first": 17}, True, ["development vignettes 17 vs 16"]),
    ({"dangerous_presentations_below_minimum": 1}, False, ["1 dangerous presentations", "1 more"]),
]


@pytest.mark.parametrize(("changes", "promoted", "words"), CASES)
def test_the_gate_against_a_champion(changes, promoted, words):
    decision = decide(metrics(**changes), CHAMPION, TOL)
    assert decision.promote is promoted
    assert decision.alias == ("champion" if promoted else "challenger")
    text = decision.summary()
    for word in words:
        assert word in text, (word, text)


def test_every_failed_criterion_is_named():
    decision = decide(
        metrics(
            accuracy=0.70, ece=0.05, pyelonephritis_under_triage_rate=0.2, dev_cause_first=14,
            dangerous_presentations_below_minimum=2,
        ),
        CHAMPION,
        TOL,
    )  # fmt: skip
    assert not decision.promote and len(decision.reasons) == 5
    firsts = [r.split()[:2] for r in decision.reasons]
    assert firsts == [
        ["reference", "accuracy"], ["ECE", "0.0500"], ["pyelonephritis", "under-triage"],
        ["14", "development"], ["2", "dangerous"],
    ]  # fmt: skip


def test_without_a_champion_only_the_safety_rule_decides():
    assert decide(metrics(accuracy=0.30), None, TOL).promote
    unsafe = decide(metrics(red_flag_cases_at_self_care=2), None, TOL)
    assert not unsafe.promote and "self-care" in unsafe.summary()


def test_the_tolerances_are_read_from_params_yaml(root):
    gate = yaml.safe_load((root / "params.yaml").read_text())["publish"]["gate"]
    assert Tolerances.from_params(gate) == TOL
    assert not any("self_care" in key or "red_flag" in key for key in gate)  # not a knob


def test_the_identity_changes_with_every_part_and_nothing_else():
    base = {"model": "m" * 64, "data": {"train": "a", "test": "b"}}
    knowledge = {"red_flags.yaml": "r", "article.yaml": "x"}

    def ident(model=base["model"], data=base["data"], know=knowledge, package="p"):
        return provenance.identity(model, data, know, package)

    same = ident()
    assert same == ident(data={"test": "b", "train": "a"})  # order does not matter
    others = [
        ident(model="n" * 64),
        ident(data={"train": "a", "test": "c"}),
        ident(know={**knowledge, "red_flags.yaml": "s"}),
        ident(package="q"),
    ]
    assert len({same, *others}) == 5


def test_the_package_hash_covers_code_and_knowledge_but_not_the_packaged_model(tmp_path):
    package = tmp_path / "backclf"
    files = {
        "core/decide.py": "x = 1\n",
        "knowledge/red_flags.yaml": "rules: []\n",
        "published/champion.json": "{}",
        "core/__pycache__/decide.cpython-311.pyc": "bytes",
    }
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    before = provenance.package_hash(package)
    (package / "published/champion.json").write_text('{"kind": "tree"}')  # an output
    (package / "core/__pycache__/decide.cpython-311.pyc").write_text("other bytes")
    assert provenance.package_hash(package) == before
    for name in ("core/decide.py", "knowledge/red_flags.yaml"):
        (package / name).write_text(files[name] + "# changed\n")
        changed = provenance.package_hash(package)
        assert changed != before, name
        before = changed
    (package / "core/decide.py").rename(package / "core/decision.py")  # a rename counts
    assert provenance.package_hash(package) != before
    assert set(provenance.knowledge_hashes()) >= {"red_flags.yaml", "article.yaml", "article.txt"}


def _git(repo, *args):
    import subprocess

    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip


def test_the_dirty_flag_means_the_commits_code_differs_not_that_a_stage_wrote(tmp_path):
    files = {
        "src/backclf/core/decide.py": "x = 1\n",
        "src/backclf/published/champion.json": "{}",
        "pipelines/train.py": "pass\n",
        "params.yaml": "train: {seed: 7}\n",
        "reports/metrics.json": "{}",
        "dvc.lock": "stages: {}\n",
        "README.md": "# r\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "c")
    assert provenance.git_dirty(tmp_path) == "false"
    # what the stages and a promotion write: outputs, not code
    for name in ("reports/metrics.json", "src/backclf/published/champion.json", "dvc.lock"):
        (tmp_path / name).write_text('{"changed": true}')
    (tmp_path / "reports/plots").mkdir()
    (tmp_path / "reports/plots/new.png").write_text("png")
    (tmp_path / "README.md").write_text("# edited\n")
    assert provenance.git_dirty(tmp_path) == "false"
    for name in ("src/backclf/core/decide.py", "pipelines/train.py", "params.yaml"):
        (tmp_path / name).write_text(files[name] + "# changed\n")
        assert provenance.git_dirty(tmp_path) == "true", name
        (tmp_path / name).write_text(files[name])
    assert provenance.git_dirty(tmp_path) == "false"
    (tmp_path / "src/backclf/core/new.py").write_text("y = 2\n")  # new code, not yet committed
    assert provenance.git_dirty(tmp_path) == "true"
    assert provenance.git_dirty(tmp_path / "nowhere") == "unknown"


def test_params_are_logged_as_they_took_effect_never_as_none(root):
    params = yaml.safe_load((root / "params.yaml").read_text())
    from backclf.pipeline.params import load_params

    logged = provenance.run_params(load_params(root / "params.yaml").model_dump())
    assert "None" not in logged.values()
    knobs = params["generate"]["knobs"]
    # a set that sets no knob of its own was generated with the shared ones
    assert logged["generate.train.missing_rate"] == str(knobs["missing_rate"])
    assert logged["generate.test.label_noise"] == str(knobs["label_noise"])
    # its own value wins: the shifted set leaves more findings unanswered
    shifted = params["generate"]["shifted"]
    assert logged["generate.shifted.missing_rate"] == str(shifted["missing_rate"])
    assert logged["generate.shifted.priors.pyelonephritis"] == str(
        shifted["priors"]["pyelonephritis"]
    )
    assert logged["generate.train.priors"] == "generator.yaml"
    assert logged["generate.train.family"] == "none (no text column)"
    assert logged["generate.text_heldout.family"] == "heldout"
    assert logged["train.model"] == params["train"]["model"]
    assert logged["train.c_grid"] == str(params["train"]["c_grid"])  # a list, as written
    assert not [k for k in logged if k.startswith("sensitivity.")]  # the study logs its own
    with pytest.raises(ValueError, match=r"generate\.train\.seed"):
        provenance.run_params({"generate": {"knobs": {}, "train": {"n": 1, "seed": None}}})
