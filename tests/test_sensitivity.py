"""The assumption-sensitivity study: perturbed worlds are valid generator worlds, size 0 is the
default world exactly, the study is deterministic, and its ranking measures what it says."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from backclf import knowledge
from backclf.contract.columns import row_findings
from backclf.contract.findings import parse_case
from backclf.knowledge import CAUSE_IDS, GeneratorSpec
from backclf.pipeline.params import ParamsError, load_params
from backclf.study.worlds import (
    Perturbation,
    default_world,
    direction,
    one_row_world,
    perturb,
    shift_rows,
    table_rows,
)
from backclf.synth.config import GenerationConfig
from backclf.synth.sampler import compile_spec, sample_rows, write_parquet

ROOT = Path(__file__).resolve().parents[1]
CONFIG = GenerationConfig(n=3000, seed=31)


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


@pytest.fixture(scope="module")
def params():
    return load_params(ROOT / "params.yaml")


@pytest.fixture(scope="module")
def grid(params):
    from backclf.study.grid import study_worlds

    return study_worlds(params)


# -- perturbed worlds ------------------------------------------------------------------------


def test_every_world_of_the_default_grid_passes_the_generators_checks(params, grid):
    base = GenerationConfig(**params.generate.knobs.model_dump())
    assert len(grid) == len(params.sensitivity.families) * len(params.sensitivity.sizes) * (
        params.sensitivity.replicates
    )
    for study_world in grid:
        world = perturb(base, study_world.perturbation)
        # The same checks generator.yaml passes: the typed schema, then compilation.
        again = GeneratorSpec.model_validate(world.spec.model_dump())
        compile_spec(again)
        GenerationConfig(**{**world.config.__dict__})  # the config's own checks
        sample = sample_rows(world.config, 0, 300, world.tables)
        for i in range(300):
            parse_case(row_findings(sample.columns, i))


def test_a_world_keeps_the_structure_unknown_shares_zeros_and_contract_rows():
    world = perturb(CONFIG, Perturbation(assumption_shift=1.5, sourced_shift=0.5, seed=4))
    before, after = table_rows(), table_rows(world.spec)
    moved = 0
    for key, row in before.items():
        new = after[key].row.p
        for value in row.fixed:
            if value in row.row.p:
                assert new[value] == row.row.p[value], (key, value)
        for value, p in row.row.p.items():
            assert (new[value] == 0) == (p == 0), (key, value)
        if row.kind == "contract":
            assert new == row.row.p
        moved += new != row.row.p
    assert moved == sum(r.movable for r in before.values())
    # A minor fall stays the same under every cause: it carries no evidence about the cause.
    trigger = world.spec.findings["trigger"].by_cause
    assert len({trigger[c].p["minor_fall_or_bump"] for c in CAUSE_IDS}) == 1


def test_a_yes_no_row_moves_by_exactly_the_shift_in_log_odds():
    # fever given pyelonephritis: 0.64 yes, 0.16 no, 0.20 unknown (generator.yaml).
    spec = shift_rows({"fever|pyelonephritis": 0.5}, seed=0)
    p = spec.findings["fever"].by_cause["pyelonephritis"].p
    assert p["unknown"] == pytest.approx(0.20, abs=1e-12)
    expected_yes = 0.8 / (1 + math.exp(-(_logit(0.64 / 0.8) + 0.5)))
    assert p["true"] == pytest.approx(expected_yes, abs=1e-12)
    assert math.log(p["true"] / p["false"]) - math.log(0.64 / 0.16) == pytest.approx(0.5)


def test_a_row_of_many_values_moves_by_the_shift_root_mean_square():
    key = "age|sudden_postural_change"
    before = table_rows()[key]
    after = shift_rows({key: 0.8}, seed=3).findings["age"].by_cause["sudden_postural_change"].p
    values = before.moving()
    changes = [math.log(after[v] / before.row.p[v]) for v in values]
    pairs = [(a - b) ** 2 for i, a in enumerate(changes) for b in changes[i + 1 :]]
    assert math.sqrt(sum(pairs) / len(pairs)) == pytest.approx(0.8)
    assert after["unknown"] == before.row.p["unknown"]


def test_rows_written_once_for_several_causes_move_together():
    key = "fever|" + "+".join(CAUSE_IDS[:4])
    assert key in table_rows()
    spec = shift_rows({key: 1.0}, seed=0)
    rows = [spec.findings["fever"].by_cause[c].p for c in CAUSE_IDS[:4]]
    assert all(r == rows[0] for r in rows)
    assert rows[0]["true"] > 0.01


def test_priors_and_missingness_move_as_asked():
    world = perturb(CONFIG, Perturbation(prior_shift=0.7, missing_raise=0.15, seed=2))
    assert world.config.missing_rate == pytest.approx(CONFIG.missing_rate + 0.15)
    old = knowledge.generator_spec().priors.p
    new = world.config.priors
    assert sum(new.values()) == pytest.approx(1)
    changes = [math.log(new[c] / old[c]) for c in CAUSE_IDS]
    pairs = [(a - b) ** 2 for i, a in enumerate(changes) for b in changes[i + 1 :]]
    assert math.sqrt(sum(pairs) / len(pairs)) == pytest.approx(0.7)
    assert world.spec is knowledge.generator_spec()  # no table moved


def test_sourced_rows_stay_within_the_band(params):
    from backclf.study.grid import world_perturbation

    family = params.sensitivity.families["sourced"]
    band = params.sensitivity.sourced_band
    for size in (0.1, band, 2 * band, 10.0):
        shift = world_perturbation(family, size, band, seed=0).sourced_shift
        assert shift == pytest.approx(min(size * family.sourced_shift, band))


def test_size_zero_is_the_default_world_exactly(tmp_path):
    world = perturb(CONFIG, Perturbation(seed=99))
    assert world.config == CONFIG and world.spec is knowledge.generator_spec()
    default = write_parquet(CONFIG, tmp_path / "default.parquet")
    zero = write_parquet(world.config, tmp_path / "zero.parquet", world=world.tables)
    assert zero.read_bytes() == default.read_bytes()
    # Rows moved by 0 are not touched: the spec is the default, number for number.
    unmoved = shift_rows({key: 0.0 for key in table_rows()}, seed=5)
    assert unmoved.model_dump() == knowledge.generator_spec().model_dump()
    same = sample_rows(CONFIG, 0, 2000, compile_spec(unmoved))
    base = sample_rows(CONFIG, 0, 2000)
    for name, column in base.columns.items():
        np.testing.assert_array_equal(same.columns[name], column)


def test_worlds_are_reproducible_by_seed():
    move = {"assumption_shift": 0.6, "sourced_shift": 0.3, "prior_shift": 0.4}
    a = perturb(CONFIG, Perturbation(**move, seed=7))
    b = perturb(CONFIG, Perturbation(**move, seed=7))
    c = perturb(CONFIG, Perturbation(**move, seed=8))
    assert a.spec.model_dump() == b.spec.model_dump() and a.config == b.config
    assert a.spec.model_dump() != c.spec.model_dump() and a.config.priors != c.config.priors


def test_a_direction_is_centred_with_unit_pairwise_spread():
    z = direction("pain_side|facet_joint_dysfunction", ("central", "one_side", "both_sides"), 1)
    values = list(z.values())
    assert sum(values) == pytest.approx(0)
    pairs = [(a - b) ** 2 for i, a in enumerate(values) for b in values[i + 1 :]]
    assert sum(pairs) / len(pairs) == pytest.approx(1)
    assert direction("spasm|x", ("true", "false"), 1) == {"true": 0.5, "false": -0.5}


def test_bad_shifts_are_refused():
    with pytest.raises(ValueError, match="no generator rows"):
        shift_rows({"fevr|pyelonephritis": 1.0}, seed=0)
    with pytest.raises(ValueError, match=">= 0"):
        Perturbation(assumption_shift=-1)
    with pytest.raises(ValueError, match="missing rate"):
        perturb(CONFIG, Perturbation(missing_raise=0.85))


def test_params_check_the_study_section(tmp_path):
    import yaml

    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["sensitivity"]["familes"] = raw["sensitivity"].pop("families")
    raw["sensitivity"]["sizes"] = [1.0, 0.5]
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(ParamsError) as error:
        load_params(tmp_path / "params.yaml")
    text = str(error.value)
    assert "did you mean 'sensitivity.families'" in text
    assert "sizes must be increasing" in text


# -- the study on a tiny grid ----------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_params(params):
    study = params.sensitivity.model_copy(
        update={
            "n_test": 1000,
            "n_train": 1000,
            "n_validation": 500,
            "sizes": [0.5, 1.0],
            "replicates": 1,
            "families": {
                name: params.sensitivity.families[name] for name in ("assumptions", "sourced")
            },
            "sourced_band": 0.5,
            "ranking": params.sensitivity.ranking.model_copy(update={"n": 1500, "top": 3}),
        }
    )
    return params.model_copy(update={"sensitivity": study})


@pytest.fixture(scope="module")
def tiny_study(tiny_params):
    from backclf.core.model import load_model
    from backclf.study.run import run_study

    return run_study(tiny_params, load_model(), workers=1)


def test_the_study_reports_every_world_and_holds_the_red_flag_rule(tiny_study, tiny_params):
    from backclf.study.run import red_flags_at_self_care

    assert sorted(tiny_study["worlds"]) == [
        "assumptions/0.5/r0",
        "assumptions/1/r0",
        "sourced/0.5/r0",
        "sourced/1/r0",
    ]
    for world in tiny_study["worlds"].values():
        for direction_ in ("tested_in_world", "trained_in_world"):
            figures = world[direction_]
            assert figures["gap_points"] == pytest.approx(
                100 * (figures["bayes_ceiling"] - figures["accuracy"]), abs=0.011
            )
            assert 0 <= figures["pyelonephritis_under_triage_rate"] <= 1
    # The band caps sourced rows: sizes 0.5 and 1 are the same world, so the same figures.
    worlds = tiny_study["worlds"]
    assert worlds["sourced/0.5/r0"]["tested_in_world"] == worlds["sourced/1/r0"]["tested_in_world"]
    assert red_flags_at_self_care(tiny_study) == {}


def test_the_study_is_deterministic_whatever_the_number_of_workers(tiny_study, tiny_params):
    from backclf.core.model import load_model
    from backclf.study.run import run_study

    assert run_study(tiny_params, load_model(), workers=2) == tiny_study


def test_rows_the_model_does_not_read_leave_accuracy_unchanged(tiny_study):
    ranking = {entry["row"]: entry for entry in tiny_study["ranking"]}
    assert len(ranking) == sum(r.kind == "assumption" and r.movable for r in table_rows().values())
    # Red-flag findings are independent of the cause: the model does not read them and the
    # labels do not depend on them, so on the same vignettes' seed accuracy cannot move.
    for key in ("confusion|all_causes", "history_of_cancer|all_causes"):
        assert ranking[key]["change_points"]["accuracy"] == {"up": 0.0, "down": 0.0}
        assert ranking[key]["per_unit_points"]["bayes_ceiling"] == 0.0
    # A finding the model leans on does move it.
    assert ranking["restricted_movement|lumbar_muscle_strain"]["per_unit_points"]["accuracy"] > 0
    influence = [e["influence"] for e in tiny_study["ranking"]]
    assert influence == sorted(influence, reverse=True)
    assert [e["rank"] for e in tiny_study["ranking"]] == list(range(1, len(influence) + 1))
    assert all("check_per_unit_points" in e for e in tiny_study["ranking"][:3])


def test_ranking_arithmetic_on_hand_made_figures():
    from backclf.study.run import rank_rows

    rows = [table_rows()["spasm|facet_joint_dysfunction"], table_rows()["confusion|all_causes"]]

    def figures(accuracy, under, ceiling=0.75):
        return {
            "accuracy": accuracy,
            "pyelonephritis_under_triage_rate": under,
            "bayes_ceiling": ceiling,
            "red_flag_cases_at_self_care": 0,
        }

    reference = figures(0.75, 0.10)
    moved = [
        figures(0.76, 0.10),  # spasm up: +1 point
        figures(0.73, 0.10),  # spasm down: -2 points
        figures(0.75, 0.07),  # confusion up: under-triage -3 points
        figures(0.75, 0.10),  # confusion down: nothing
    ]
    ranked = rank_rows(rows, reference, moved, unit=0.5)
    # Per unit: (|+1| + |-2|) / 2 / 0.5 = 3.0 accuracy; (3 + 0) / 2 / 0.5 = 3.0 under-triage;
    # a tie on influence goes to the row that moves accuracy more.
    assert [r["row"] for r in ranked] == ["spasm|facet_joint_dysfunction", "confusion|all_causes"]
    assert ranked[0]["per_unit_points"] == {
        "accuracy": 3.0,
        "pyelonephritis_under_triage": 0.0,
        "bayes_ceiling": 0.0,
    }
    assert ranked[1]["per_unit_points"]["pyelonephritis_under_triage"] == 3.0
    assert ranked[1]["change_points"]["pyelonephritis_under_triage"] == {"up": -3.0, "down": 0.0}


def test_one_row_world_moves_that_row_only():
    world = one_row_world(CONFIG, "spasm|facet_joint_dysfunction", 1.0, seed=0)
    before, after = table_rows(), table_rows(world.spec)
    changed = [k for k in before if before[k].row.p != after[k].row.p]
    assert changed == ["spasm|facet_joint_dysfunction"]
    assert world.config == CONFIG
    assert default_world(CONFIG).spec is knowledge.generator_spec()


# -- the report ------------------------------------------------------------------------------


def test_the_report_states_each_size_and_names_the_top_rows(tiny_study, tmp_path):
    from backclf.study.plot import save_plot
    from backclf.study.report import render_report

    text = render_report(tiny_study)
    for size in ("0.5", "1"):
        assert f"**Size {size}** (2 worlds)" in text
    assert "red-flag cases ending at self-care: **0**" in text
    for entry in tiny_study["ranking"][:3]:
        assert f"`{entry['finding']}` given" in text
    assert "On another set the top rows' accuracy figures move by up to" in text
    assert "nan" not in text.lower().split()
    plot = save_plot(tiny_study, tmp_path / "plots" / "sensitivity.png")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_study_is_stored_as_figures_and_description_and_read_back(tiny_study, tmp_path):
    from backclf.study.files import read_report, write_report

    assert read_report(tmp_path) is None
    figures, description = write_report(tiny_study, tmp_path)
    assert read_report(tmp_path) == tiny_study
    # The DVC metrics file holds numbers only: the default world, then one entry per world.
    stored = json.loads(figures.read_text())
    assert set(stored) == {"reference", "worlds"}
    assert set(stored["worlds"]) == set(tiny_study["worlds"])
    assert all(isinstance(v, int | float) for v in numeric_leaves(stored)), (
        "a metrics leaf is not a number"
    )
    assert json.loads(description.read_text())["ranking"] == tiny_study["ranking"]


def numeric_leaves(tree):
    for value in tree.values():
        if isinstance(value, dict):
            yield from numeric_leaves(value)
        else:
            yield value


def test_the_model_card_section_is_the_study_only_for_its_champion_and_tables(tiny_study):
    from backclf.core.model import load_model
    from backclf.study.card import robustness_section

    champion = load_model()
    section = "\n".join(robustness_section(tiny_study, champion.sha256))
    assert "**Size 0.5**" in section and "(must be 0)" in section
    stale = "\n".join(robustness_section(tiny_study, "0" * 64))
    assert "another champion" in stale and "Size" not in stale
    assert "No sensitivity study" in "\n".join(robustness_section(None, champion.sha256))


@pytest.mark.slow
def test_mlflow_holds_one_parent_run_with_a_run_per_world_and_logs_it_once(tiny_study, tmp_path):
    import mlflow
    from mlflow import MlflowClient

    from backclf.study.tracking import log_study

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    report = tmp_path / "sensitivity.md"
    report.write_text("report")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        run_id, new = log_study(tmp_path, "sensitivity-test", tiny_study, [report])
        again, new_again = log_study(tmp_path, "sensitivity-test", tiny_study, [report])
    assert new and not new_again and again == run_id
    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    run = client.get_run(run_id)
    assert (
        run.data.metrics["reference/tested_in_world/accuracy"]
        == (tiny_study["reference"]["tested_in_world"]["accuracy"])
    )
    children = client.search_runs([run.info.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'")
    assert sorted(c.info.run_name for c in children) == sorted(tiny_study["worlds"])
    every = client.search_runs([run.info.experiment_id])
    assert len(every) == 1 + len(tiny_study["worlds"])
