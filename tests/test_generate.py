"""The generator: determinism, chunking, priors, validity, narrative audit, exact posterior."""

from __future__ import annotations

import re

import numpy as np
import pytest

from backclf import knowledge
from backclf.contract.columns import row_findings
from backclf.contract.fields import FIELDS
from backclf.contract.findings import parse_case
from backclf.knowledge import CAUSE_IDS
from backclf.synth.config import GenerationConfig
from backclf.synth.narrative import narrative_spec, render_texts
from backclf.synth.posterior import bayes_accuracy, expected_bayes_accuracy, posterior
from backclf.synth.sampler import sample_rows, write_parquet


def test_same_seed_gives_byte_identical_parquet(tmp_path):
    config = GenerationConfig(n=3000, seed=9)
    a = write_parquet(config, tmp_path / "a.parquet", chunk_size=1000, text_family="train")
    b = write_parquet(config, tmp_path / "b.parquet", chunk_size=1000, text_family="train")
    assert a.read_bytes() == b.read_bytes()


def test_chunking_does_not_change_rows(tmp_path):
    import pyarrow.parquet as pq

    config = GenerationConfig(n=2500, seed=4)
    one = pq.read_table(
        write_parquet(config, tmp_path / "one.parquet", chunk_size=2500, text_family="heldout")
    )
    many = pq.read_table(
        write_parquet(config, tmp_path / "many.parquet", chunk_size=333, text_family="heldout")
    )
    assert one.to_pylist() == many.to_pylist()


def test_different_seeds_differ():
    a = sample_rows(GenerationConfig(seed=1), 0, 500)
    b = sample_rows(GenerationConfig(seed=2), 0, 500)
    assert not np.array_equal(a.label, b.label)


def test_class_frequencies_match_the_priors():
    n = 200_000
    config = GenerationConfig(n=n, seed=3, label_noise=0.0)
    sample = sample_rows(config, 0, n)
    counts = np.bincount(sample.label, minlength=len(CAUSE_IDS))
    expected = config.prior_vector() * n
    sigma = np.sqrt(expected * (1 - config.prior_vector()))
    assert np.all(np.abs(counts - expected) < 4 * sigma)


def test_prior_override_is_respected():
    priors = dict(zip(CAUSE_IDS, [0.1, 0.1, 0.1, 0.1, 0.6], strict=True))
    sample = sample_rows(GenerationConfig(seed=5, priors=priors, label_noise=0.0), 0, 20_000)
    assert abs(np.mean(sample.label == 4) - 0.6) < 0.02


def test_knobs_move_what_they_should():
    base = sample_rows(GenerationConfig(seed=6, missing_rate=0.0, red_flag_rate=0.0), 0, 20_000)
    masked = sample_rows(GenerationConfig(seed=6, missing_rate=0.5, red_flag_rate=0.0), 0, 20_000)
    flagged = sample_rows(GenerationConfig(seed=6, missing_rate=0.0, red_flag_rate=0.5), 0, 20_000)

    def unknown_share(s):
        return np.mean(
            [
                np.mean(c == -1) if c.dtype != np.float64 else np.mean(np.isnan(c))
                for c in s.columns.values()
            ]
        )

    assert unknown_share(masked) > unknown_share(base) + 0.1
    assert abs(flagged.red_flag_added.mean() - 0.5) < 0.02
    assert not base.red_flag_added.any()


def test_generated_files_pass_the_vectorised_contract_check(tmp_path):
    import pyarrow.parquet as pq

    from backclf.contract.arrow import from_arrow

    config = GenerationConfig(n=20_000, seed=14, red_flag_rate=0.3, missing_rate=0.3)
    table = pq.read_table(write_parquet(config, tmp_path / "v.parquet"))
    findings = table.select([c for c in table.column_names if c in FIELDS])
    _, errors = from_arrow(findings)
    assert errors == {}


def test_every_generated_row_is_a_valid_case():
    sample = sample_rows(GenerationConfig(seed=7, red_flag_rate=0.3), 0, 3000)
    for i in range(3000):
        parse_case(row_findings(sample.columns, i))


def test_pregnancy_is_only_asked_of_women_of_childbearing_age():
    sample = sample_rows(GenerationConfig(seed=8), 0, 50_000)
    pregnant = sample.columns["pregnant"] != -1
    assert pregnant.any()
    assert np.all(sample.columns["sex"][pregnant] == FIELDS["sex"].values.index("female"))
    ages = sample.columns["age"][pregnant]
    assert ages.min() >= 16 and ages.max() <= 49


def _phrases(finding: str) -> list[str]:
    spec = narrative_spec().model_dump()["phrases"][finding]
    return [
        p.split("{v}")[0].strip().lower()
        for styles in spec.values()
        for families in styles.values()
        for options in families.values()
        for p in options
    ]


def _negations(finding: str) -> list[str]:
    styles = narrative_spec().model_dump()["phrases"][finding]["false"]
    return [
        p.lower() for families in styles.values() for options in families.values() for p in options
    ]


@pytest.mark.parametrize("family", ["train", "heldout"])
def test_text_never_mentions_unknown_findings_and_negates_false_ones(family):
    sample = sample_rows(GenerationConfig(seed=10, red_flag_rate=0.2), 0, 1500)
    texts = render_texts(sample.columns, 10, 0, family)
    audited = [f for f in narrative_spec().model_dump()["phrases"] if FIELDS[f].kind == "bool"]
    for i, text in enumerate(texts):
        lowered = text.lower()
        findings = row_findings(sample.columns, i)
        for finding in audited:
            mentioned = any(p and p in lowered for p in _phrases(finding))
            if finding not in findings:
                assert not mentioned, (finding, text)
            elif findings[finding] is False:
                assert any(n in lowered for n in _negations(finding)), (finding, text)


def test_text_families_are_disjoint():
    spec = narrative_spec().model_dump()
    for finding, values in spec["phrases"].items():
        for value, styles in values.items():
            for style, families in styles.items():
                shared = set(families["train"]) & set(families["heldout"])
                assert not shared, (finding, value, style)


def test_text_states_ages_and_is_deterministic():
    sample = sample_rows(GenerationConfig(seed=11), 0, 200)
    a = render_texts(sample.columns, 11, 0, "train")
    assert a == render_texts(sample.columns, 11, 0, "train")
    for i, text in enumerate(a):
        age = row_findings(sample.columns, i).get("age")
        if age is not None:
            assert re.search(rf"\b{age}\b", text), text


def test_posterior_is_a_proper_distribution():
    config = GenerationConfig(seed=12)
    sample = sample_rows(config, 0, 5000)
    p = posterior(sample.columns, config)
    assert p.shape == (5000, len(CAUSE_IDS))
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)


def test_bayes_accuracy_matches_its_monte_carlo_estimate():
    config = GenerationConfig(seed=13)
    sample = sample_rows(config, 0, 200_000)
    observed = bayes_accuracy(sample.columns, sample.label, config)
    expected = expected_bayes_accuracy(sample.columns, config)
    assert abs(observed - expected) < 4 * np.sqrt(expected * (1 - expected) / 200_000)


def test_posterior_follows_the_article_on_its_own_descriptions():
    from backclf.contract.columns import from_values

    config = GenerationConfig()
    described = {
        "sudden_postural_change": {"trigger": "bending_or_twisting", "spasm": True},
        "excessive_loading": {"trigger": "lifting_heavy_object"},
        "lumbar_muscle_strain": {"chronic_strain_history": True, "onset": "sudden"},
        "facet_joint_dysfunction": {"restricted_movement": True, "onset": "sudden"},
        "pyelonephritis": {"fever": True, "frequent_urination": True},
    }
    best = posterior(from_values(list(described.values())), config).argmax(axis=1)
    assert [CAUSE_IDS[k] for k in best] == list(described)


def test_red_flag_findings_are_independent_of_the_cause():
    """A scenario sets only findings whose table does not depend on the cause: one row for
    all causes, or a table given another such finding (weakness of both legs given weakness)."""
    spec = knowledge.generator_spec()

    def independent(finding: str) -> bool:
        table = spec.findings[finding]
        return table.all_causes is not None or (
            table.given is not None and independent(table.given)
        )

    for scenario in spec.red_flag_scenarios:
        for finding in scenario.set:
            assert independent(finding), finding
