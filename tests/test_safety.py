"""Red flags and triage: the guarantees, checked with hypothesis over random valid cases."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backclf.contract.fields import FIELDS
from backclf.contract.findings import Case, parse_case
from backclf.core.decide import assess, assess_many
from backclf.core.red_flags import RuleError, compile_condition, rule_set
from backclf.knowledge import TRIAGE_LEVELS

RANK = {level: i for i, level in enumerate(TRIAGE_LEVELS)}


def value_strategy(name: str):
    spec = FIELDS[name]
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "enum":
        return st.sampled_from(spec.values)
    if spec.kind == "int":
        return st.integers(int(spec.minimum), int(spec.maximum))
    return st.floats(spec.minimum, spec.maximum, allow_nan=False).map(lambda v: round(v, 1))


@st.composite
def cases(draw) -> Case:
    names = draw(st.lists(st.sampled_from(list(FIELDS)), unique=True, max_size=12))
    data = {name: draw(value_strategy(name)) for name in names}
    if data.get("fever") is False and data.get("temperature_c", 0) >= 38:
        data["fever"] = True
    if data.get("pregnant") and data.get("sex") == "male":
        data["sex"] = "female"
    if data.get("bilateral_leg_weakness") and data.get("leg_weakness") is False:
        data["leg_weakness"] = True
    return parse_case(data)


def positive_findings(condition: dict) -> list[dict]:
    """Every minimal set of findings that makes a condition true (for small conditions)."""
    ((key, arg),) = condition.items()
    if key == "any":
        return [s for part in arg for s in positive_findings(part)]
    if key == "all":
        combos = [{}]
        for part in arg:
            combos = [{**c, **option} for c in combos for option in positive_findings(part)]
        return combos
    if isinstance(arg, dict):
        ((op, bound),) = arg.items()
        return [{key: bound + (1 if op == ">" else -1 if op == "<" else 0)}]
    return [{key: arg}]


def with_findings(case: Case, extra: dict) -> Case | None:
    data = {**case.known(), **extra}
    try:
        return parse_case(data)
    except ValueError:
        return None  # the addition contradicts the case (e.g. fever with a low temperature)


FIRING_SETS = [(rule, s) for rule in rule_set().rules for s in positive_findings(rule.when)]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(cases(), st.sampled_from(FIRING_SETS))
def test_adding_a_finding_that_fires_a_rule_never_lowers_triage(case, rule_and_findings):
    rule, findings = rule_and_findings
    unknown_only = {k: v for k, v in findings.items() if getattr(case, k) is None}
    if len(unknown_only) != len(findings):
        return  # only additions: findings that were unknown become known
    after = with_findings(case, findings)
    if after is None:
        return
    before_level = RANK[assess(case).triage.level]
    result = assess(after)
    assert rule.id in [f.id for f in result.red_flags]
    assert RANK[result.triage.level] >= max(before_level, RANK[rule.level])


@SETTINGS
@given(cases())
def test_fever_or_frequent_urination_is_at_least_consultation_24(case):
    result = assess(case)
    if case.fever or case.frequent_urination:
        assert RANK[result.triage.level] >= RANK["consultation_24"]
        assert "fever_or_frequent_urination" in [f.id for f in result.red_flags]


@SETTINGS
@given(cases())
def test_no_case_matching_a_rule_is_self_care(case):
    result = assess(case)
    if result.red_flags:
        assert result.triage.level != "self_care"
        assert RANK[result.triage.level] >= max(RANK[f.level] for f in result.red_flags)
        assert result.advice.urgent[0] == result.red_flags[0].message


@SETTINGS
@given(st.lists(cases(), min_size=1, max_size=20))
def test_assess_many_equals_assess_row_by_row(batch):
    assert assess_many(batch) == [assess(case) for case in batch]


def test_an_ordinary_backache_raises_no_red_flag():
    result = assess(
        parse_case(
            {
                "age": 55,
                "trigger": "bending_or_twisting",
                "spasm": True,
                "fever": False,
                "saddle_numbness": False,
            }
        )
    )
    assert result.red_flags == [] and result.triage.level == "self_care"


def test_rules_are_positive_and_checked():
    import pytest

    for bad in (
        {"fever": False},
        {"fevr": True},
        {"trigger": "sneeze"},
        {"not": {"fever": True}},
        {"age": 70},
        {"age": {"~": 3}},
    ):
        with pytest.raises(RuleError):
            compile_condition(bad)


def test_nothing_can_switch_red_flags_off(root: Path):
    """No CLI option, params.yaml entry, env var or function parameter disables the rules."""
    import inspect

    import typer.main
    import yaml

    from backclf.cli.app import app
    from backclf.core import decide as assess_module

    pattern = re.compile(r"red.?flag|override|disable|no.?rules|skip.?rules|safety|unsafe", re.I)
    command = typer.main.get_command(app)
    for name in ("predict", "explain"):
        for param in command.commands[name].params:
            for opt in [*param.opts, *param.secondary_opts]:
                assert not pattern.search(opt), (name, opt)

    def keys(tree, prefix=""):
        for key, value in tree.items():
            yield f"{prefix}{key}"
            if isinstance(value, dict):
                yield from keys(value, f"{prefix}{key}.")

    params = yaml.safe_load((root / "params.yaml").read_text())
    flagged = [k for k in keys(params) if pattern.search(k)]
    assert flagged == ["generate.knobs.red_flag_rate"]  # how many generated cases get one

    for func in (assess_module.assess, assess_module.assess_many, assess_module.assess_batch):
        for param in inspect.signature(func).parameters:
            assert not pattern.search(param)
    # The environment is read in two places only: the program entry sets process defaults
    # (thread counts), and tracking finds the MLflow store. No module reads it to decide.
    allowed = {"__main__.py", "pipeline/tracking.py"}
    environment = re.compile(r"\benviron\b|getenv|putenv")
    readers = {
        str(path.relative_to(root / "src" / "backclf"))
        for path in (root / "src" / "backclf").rglob("*.py")
        if environment.search(path.read_text())
    }
    assert readers <= allowed, readers - allowed


def test_dev_vignettes_triage_within_range(dev_rows):
    cases = [parse_case(r["findings"]) for r in dev_rows]
    results = assess_many(cases)
    for row, result in zip(dev_rows, results, strict=True):
        level = RANK[result.triage.level]
        assert RANK[row["expect"]["triage_min"]] <= level <= RANK[row["expect"]["triage_max"]], (
            row["id"],
            result.triage.level,
        )


def test_red_flag_dev_cases_are_overridden(dev_rows):
    for row in dev_rows:
        if row["expect"]["cause"] is None:
            result = assess(parse_case(row["findings"]))
            assert result.triage.overridden and result.red_flags, row["id"]
            assert np.isclose(sum(d.probability for d in result.differential), 1, atol=1e-3)
