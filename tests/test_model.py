"""The readable model file and the champion's behaviour (invariance, direction, minimum)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from backclf.contract.findings import parse_case
from backclf.core.decide import assess
from backclf.core.model import ModelFileError, dumps_model, load_model, parse_model
from backclf.knowledge import CAUSE_IDS

ROOT = Path(__file__).resolve().parents[1]


def load_model_text(text: str):
    return parse_model(text.encode(), "test")


def probability(result, cause: str) -> float:
    return next(d.probability for d in result.differential if d.id == cause)


def test_packaged_champion_is_the_pipelines_output_in_dvc_lock(root):
    """The packaged file is byte-identical to the pipeline's model (`choose` copies the chosen
    candidate; md5 recorded in dvc.lock). That the `train_*` stages still write these bytes is
    proved by .ci/run: `dvc repro` on a fresh clone retrains from nothing and the clone must
    still equal its commit (dvc.lock and the packaged file included). A test that retrained
    the default champion itself would take the pipeline's minutes on every run of the suite."""
    packaged = root / "src" / "backclf" / "published" / "champion.json"
    lock = yaml.safe_load((root / "dvc.lock").read_text())
    outs = {o["path"]: o["md5"] for o in lock["stages"]["choose"]["outs"]}
    assert hashlib.md5(packaged.read_bytes()).hexdigest() == outs["models/champion.json"]


def test_packaged_champion_is_this_clones_pipeline_output(root):
    """After `dvc repro` on this clone (.ci/run runs it before the tests), the pipeline's own
    output and the packaged file are the same bytes. Without it the test says so."""
    pipeline_output = root / "models" / "champion.json"
    if not pipeline_output.exists():
        pytest.skip("models/champion.json is absent: run `dvc repro` first (.ci/run does)")
    packaged = root / "src" / "backclf" / "published" / "champion.json"
    assert pipeline_output.read_bytes() == packaged.read_bytes()


def test_champion_is_the_model_params_yaml_names(root, model):
    params = yaml.safe_load((root / "params.yaml").read_text())
    assert model.kind == params["train"]["model"]
    assert model.abstain_below == params["assess"]["abstain_below"]


def test_model_file_is_readable_json_with_provenance(model):
    raw = json.loads(dumps_model(model.file))
    assert raw["classes"] == list(CAUSE_IDS)
    assert len(raw["training"]["data_sha256"]) == 64
    assert raw["encoding"] and all("name" in f and "finding" in f for f in raw["encoding"])
    again = load_model_text(dumps_model(model.file))
    assert dumps_model(again.file) == dumps_model(model.file)  # canonical


def test_round_trip_through_the_writer_keeps_predictions(tmp_path, model):
    path = tmp_path / "m.json"
    path.write_text(dumps_model(model.file))
    again = load_model(path)
    x = np.eye(len(model.features))
    np.testing.assert_allclose(again.predict_proba(x), model.predict_proba(x))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"not json", "is not JSON"),
        (b'{"format": "x"}', "not a backclf"),
        (
            b'{"format": "backclf-model", "format_version": 1, "kind": "magic"}',
            "unknown model kind",
        ),
    ],
)
def test_bad_model_files_give_clear_errors(tmp_path, content, message):
    path = tmp_path / "model.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


# -- behaviour (Made-With-ML's three kinds of model test) ------------------------------------

MINIMUM = {
    "sudden_postural_change": {"trigger": "bending_or_twisting", "spasm": True, "onset": "sudden"},
    "excessive_loading": {"trigger": "lifting_heavy_object", "onset": "sudden"},
    "lumbar_muscle_strain": {
        "chronic_strain_history": True,
        "previous_episodes": True,
        "eased_by_rest": True,
    },
    "facet_joint_dysfunction": {
        "restricted_movement": True,
        "worse_on_extension_or_twisting": True,
        "pain_side": "one_side",
    },
    "pyelonephritis": {"fever": True, "frequent_urination": True, "chills": True},
}


@pytest.mark.parametrize("cause", CAUSE_IDS)
def test_minimum_functionality_the_articles_own_descriptions(cause, model):
    result = assess(parse_case(MINIMUM[cause]), model)
    assert result.cause is not None and result.cause.id == cause


@pytest.mark.parametrize(
    ("base", "added", "cause"),
    [
        ({"age": 40}, {"fever": True}, "pyelonephritis"),
        ({"age": 40}, {"frequent_urination": True}, "pyelonephritis"),
        ({"age": 50}, {"restricted_movement": True}, "facet_joint_dysfunction"),
        ({"age": 50}, {"chronic_strain_history": True}, "lumbar_muscle_strain"),
        ({"pain_side": "central"}, {"trigger": "lifting_heavy_object"}, "excessive_loading"),
        ({"pain_side": "central"}, {"spasm": True}, "sudden_postural_change"),
        ({"fever": True}, {"fever": False}, "excessive_loading"),
    ],
)
def test_direction_adding_evidence_moves_its_cause_up(base, added, cause, model):
    before = probability(assess(parse_case(base), model), cause)
    after = probability(assess(parse_case({**base, **added}), model), cause)
    if added.get("fever") is False:  # removing the infection evidence lifts a mechanical cause
        assert after > before
    else:
        assert after > before + 0.05


@pytest.mark.parametrize(
    "irrelevant",
    [
        {"history_of_cancer": True},
        {"saddle_numbness": False},
        {"iv_drug_use": True},
        {"radiating_leg_pain": "one_leg"},
        {"pregnant": False, "sex": "female"},
    ],
)
def test_invariance_cause_independent_findings_do_not_move_the_differential(irrelevant, model):
    base = {"sex": "female", "trigger": "bending_or_twisting", "age": 35}
    a = assess(parse_case(base), model)
    b = assess(parse_case({**base, **irrelevant}), model)
    assert [d.model_dump() for d in a.differential] == [d.model_dump() for d in b.differential]


def test_a_case_with_nothing_known_abstains(model):
    result = assess(parse_case({}), model)
    assert result.cause is None and result.abstained
    assert result.advice.cause is None
    assert len(result.differential) == 5


def test_explanation_names_the_findings_that_pushed_the_cause(model):
    result = assess(parse_case({"trigger": "lifting_heavy_object", "age": 30}), model)
    top = result.explanation[0]
    assert (top.finding, top.value) == ("trigger", "lifting_heavy_object")
    assert top.effect > 0


def test_advice_is_the_articles_and_carries_the_disclaimer(model):
    from backclf import knowledge

    result = assess(parse_case(MINIMUM["excessive_loading"]), model)
    assert result.advice.cause == knowledge.article().cause("excessive_loading").advice[0]
    assert "not a diagnosis" in result.advice.disclaimer


def test_every_candidate_kind_can_be_explained_and_plotted(tmp_path):
    """A small real tree and scorecard, trained here, explain themselves (champion-agnostic)."""
    from backclf.core.explain import describe, strongest_findings
    from backclf.core.features import default_encoding, encode
    from backclf.core.model import model_from_file
    from backclf.pipeline.params import load_params
    from backclf.pipeline.plots import save_plots
    from backclf.pipeline.train import fit_logistic, fit_tree, points_from_logistic
    from backclf.synth.config import GenerationConfig
    from backclf.synth.sampler import sample_rows

    sample = sample_rows(GenerationConfig(seed=21), 0, 4000)
    features = default_encoding()
    x = encode(sample.columns, features)
    params = load_params(ROOT / "params.yaml")
    config = params.train.model_copy(update={"c_grid": [1.0], "tree_max_depth": 4})
    training = {"data": "sample", "data_sha256": "0" * 64, "n": 4000, "seed": 21}
    logistic = fit_logistic(x, sample.label, features, config, params.assess, training)
    for file in (
        fit_tree(x, sample.label, features, config, params.assess, training),
        points_from_logistic(logistic, config),
    ):
        model = model_from_file(file)
        strongest = strongest_findings(model)
        assert strongest["excessive_loading"][0][0] == "trigger=lifting_heavy_object"
        assert describe(model)["text"]
        written = save_plots(tmp_path / file.kind, sample.label, model.predict_proba(x), model)
        assert {p.name for p in written} == {
            "confusion.png",
            "reliability.png",
            "strongest_findings.png",
        }
        # sized for `dvc plots diff`'s side-by-side view: about 540 pixels wide
        for path in written:
            width = int.from_bytes(path.read_bytes()[16:20], "big")  # the PNG's IHDR width
            assert 500 <= width <= 560, (path.name, width)


def test_the_output_schema_names_the_schema_version():
    from backclf import SCHEMA_VERSION
    from backclf.contract.assessment import Assessment

    schema = Assessment.model_json_schema()
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION
