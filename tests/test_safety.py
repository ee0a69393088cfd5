"""Red flags, triage and advice: the guarantees, checked with hypothesis over random valid
cases (age alone, and each rule on hand-written cases, are in test_red_flag_cases.py)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_red_flag_cases import FIRES

from backclf.contract.fields import FIELDS
from backclf.contract.findings import Case, parse_case
from backclf.core.decide import assess, assess_many
from backclf.core.model import load_model
from backclf.core.red_flags import RuleError, compile_condition, rule_set
from backclf.knowledge import TRIAGE_LEVELS, article, guidance

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
        if op.startswith("unknown or"):
            return [{}]  # holds while the finding is unknown
        return [{key: bound + (1 if op == ">" else -1 if op == "<" else 0)}]
    return [{key: arg}]


def lowers_by_design(case: Case, extra: dict) -> bool:
    """The one answer that may lower a red flag's level (red_flags.yaml): pain down both legs
    in an episode known to have lasted 90 days or more is no longer an emergency (GIRFT 2023,
    NICE NG59)."""
    both_legs = "both_legs" in (case.radiating_leg_pain, extra.get("radiating_leg_pain"))
    days = extra.get("days_since_onset", case.days_since_onset)
    return both_legs and days is not None and days >= 90


def with_findings(case: Case, extra: dict) -> Case | None:
    data = {**case.known(), **extra}
    try:
        return parse_case(data)
    except ValueError:
        return None  # the addition contradicts the case (e.g. fever with a low temperature)


#: The firing sets of every rule, written by hand in test_red_flag_cases.py (a rule deleted or
#: weakened in red_flags.yaml does not vanish from them), then the ones derived from each
#: rule's own condition (more of them, but only as good as the rule).
FIRING_SETS = [(rule, level, findings) for rule, level, findings in FIRES] + [
    (rule.id, rule.level, s) for rule in rule_set().rules for s in positive_findings(rule.when)
]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(cases(), st.sampled_from(FIRING_SETS))
def test_adding_a_finding_that_fires_a_rule_never_lowers_triage(case, rule_and_findings):
    rule_id, level, findings = rule_and_findings
    unknown_only = {k: v for k, v in findings.items() if getattr(case, k) is None}
    if len(unknown_only) != len(findings) or lowers_by_design(case, findings):
        return  # only additions: findings that were unknown become known
    after = with_findings(case, findings)
    if after is None:
        return
    before_level = RANK[assess(case).triage.level]
    result = assess(after)
    assert rule_id in [f.id for f in result.red_flags]
    assert RANK[result.triage.level] >= max(before_level, RANK[level])


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
        if result.triage.overridden:
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
    # how many generated cases get one (the reference set writes its knobs out)
    assert flagged == ["generate.knobs.red_flag_rate", "generate.reference.red_flag_rate"]

    for func in (assess_module.assess, assess_module.assess_many, assess_module.assess_batch):
        for param in inspect.signature(func).parameters:
            assert not pattern.search(param)
    # The environment is read in three places only: the program entry sets process defaults
    # (thread counts), tracking finds the MLflow store, and the server hands its settings to
    # its worker processes (fields checked below). No module reads it to decide.
    allowed = {"__main__.py", "pipeline/tracking.py", "serve/app.py", "serve/server.py"}
    from dataclasses import fields

    from backclf.serve.app import Settings

    settings = [f.name for f in fields(Settings)]
    assert settings == [
        "model_path", "max_body_bytes", "max_batch", "coalesce", "max_connections",
        "max_requests", "header_timeout", "body_timeout", "keep_alive_timeout", "allowed_hosts",
        "text_processes",
    ]  # fmt: skip
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


# -- advice that never contradicts the triage ------------------------------------------------

ARTICLE = article()
#: The article's advice for the causes, sentence by sentence, and the names of its medicines.
CAUSE_SENTENCES = [s for cause in ARTICLE.causes for s in cause.advice]
MEDICINES = [m.name for cause in ARTICLE.causes for m in cause.medicines]
URGENT = RANK["consultation_24"]


def shown_text(result) -> str:
    return result.advice.model_dump_json()


@SETTINGS
@given(cases())
def test_a_red_flag_at_24_hours_or_above_withholds_home_care_and_medicines(case):
    result = assess(case)
    advice = result.advice
    urgent = any(RANK[flag.level] >= URGENT for flag in result.red_flags)
    if urgent:
        assert RANK[result.triage.level] >= URGENT
        assert advice.cause is None and advice.medication is None and advice.also_consider == []
        assert [w.id for w in advice.withheld] == ["red_flag"]
        assert set(advice.withheld[0].withholds) == {"cause", "medication"}
        text = shown_text(result)
        for sentence in [*CAUSE_SENTENCES, *ARTICLE.daily_life]:
            assert sentence not in text
        for name in MEDICINES:
            assert name not in text
        assert advice.urgent
        if result.triage.overridden:
            assert advice.urgent[0] == result.red_flags[0].message
    else:
        assert "red_flag" not in [w.id for w in advice.withheld]
        if not result.abstained:
            cause = ARTICLE.cause(result.cause.id)
            whole = " ".join(cause.advice)
            without_medicines = " ".join(s for s in cause.advice if s != cause.medication)
            assert advice.cause in {whole, without_medicines or None}


PREGNANT_OR_YOUNG = st.one_of(
    st.just({"pregnant": True, "sex": "female"}),
    st.integers(1, 17).map(lambda age: {"age": age}),
    st.just({}),
)


@SETTINGS
@given(cases(), PREGNANT_OR_YOUNG)
def test_medicines_are_withheld_in_pregnancy_and_under_18_with_the_reason(case, extra):
    case = with_findings(case, extra) or case
    result = assess(case)
    pregnant = case.pregnant is True
    young = case.age is not None and case.age < 18
    if not (pregnant or young):
        others = {"red_flag", "kidney_infection", "no_infection_sign"}
        assert {w.id for w in result.advice.withheld} <= others
        return
    text = shown_text(result)
    for name in MEDICINES:
        assert name not in text
    assert result.advice.medication is None
    reasons = {w.id for w in result.advice.withheld} - {"no_infection_sign"}
    event(f"medicines withheld by {sorted(reasons)}")
    if "red_flag" not in reasons:
        expected = {"pregnant"} if pregnant else set()
        assert reasons == expected | ({"under_18"} if young else set())
        # the age and pregnancy reasons withhold the medicines only; `no_infection_sign`
        # (left out of `reasons` above) also withholds the antibiotic advice, by design
        for item in result.advice.withheld:
            if item.id in reasons:
                assert item.withholds == ["medication"] and item.reason and item.source


@SETTINGS
@given(cases())
def test_every_advice_text_is_the_articles_or_a_sourced_note(case):
    result = assess(case)
    advice = result.advice
    texts = [advice.cause, advice.medication, *[a.advice for a in advice.also_consider]]
    texts += [a.medication for a in advice.also_consider]
    article_words = " ".join([*CAUSE_SENTENCES])
    for text in filter(None, texts):
        assert text in article_words
    assert set(advice.general) <= {ARTICLE.infection_rule, ARTICLE.seek_care, *ARTICLE.daily_life}
    cautions = ("may_be_pregnant", "older_nsaids", "safety_net", "travel")
    notes = {n.id: n.text for n in guidance().notes} | dict.fromkeys(cautions)
    for note in advice.notes:
        assert note.id in notes and note.source
    if advice.cause and "rest in bed" in advice.cause:
        (stay_active,) = [n for n in advice.notes if n.id == "stay_active"]
        assert "NICE NG59" in stay_active.source


@SETTINGS
@given(cases())
def test_pyelonephritis_considered_but_not_first_shows_its_advice_too(case):
    """When the model's likely kidney infection (not the named cause) raised the triage and a
    sign of infection was told, its advice follows; it is never shown otherwise."""
    result = assess(case)
    first = result.differential[0].id
    urgent = any(RANK[flag.level] >= URGENT for flag in result.red_flags)
    raised = RANK[result.triage.level] >= URGENT and not urgent and not result.unusual
    signs = ("fever", "chills", "frequent_urination", "painful_urination", "blood_in_urine")
    sign = any(getattr(case, f) for f in (*signs, "flank_tenderness"))
    others = [a.cause for a in result.advice.also_consider]
    event(f"raised by the model: {raised}; sign of infection: {sign}")
    if raised and sign and first != "pyelonephritis" and not result.abstained:
        assert others == ["pyelonephritis"]
        (pyelo,) = result.advice.also_consider
        assert pyelo.advice  # drinking water at least, even when medicines are withheld
    if others:
        assert others == ["pyelonephritis"] and raised and sign


def test_saddle_numbness_gets_no_home_care_advice():
    """Issue 19's probe: an emergency with "rest in bed ... cold compresses" beside it."""
    result = assess(parse_case({"saddle_numbness": True, "trigger": "lifting_heavy_object"}))
    assert result.triage.level == "emergency"
    text = shown_text(result)
    assert "rest in bed" not in text and "cold compresses" not in text
    assert result.advice.general == [ARTICLE.infection_rule, ARTICLE.seek_care]


def test_rest_in_bed_stays_the_articles_words_followed_by_the_note():
    result = assess(parse_case({"trigger": "lifting_heavy_object", "age": 40, "sex": "male"}))
    assert result.advice.cause == ARTICLE.cause("excessive_loading").advice[0]
    assert "rest in bed" in result.advice.cause
    assert [n.id for n in result.advice.notes] == ["stay_active", "safety_net"]
    assert "keep active" in result.advice.notes[0].text


def test_medicines_of_the_article_in_pregnancy_and_for_a_woman_who_may_be_pregnant():
    strain = {"trigger": "prolonged_posture", "chronic_strain_history": True, "sex": "female"}
    pregnant = assess(parse_case({**strain, "age": 30, "pregnant": True}))
    assert pregnant.advice.cause is None  # the article's only sentence for it names medicines
    assert [w.id for w in pregnant.advice.withheld] == ["pregnant"]
    assert "20 weeks" in pregnant.advice.withheld[0].reason
    maybe = assess(parse_case({**strain, "age": 30}))
    assert maybe.advice.medication is not None
    assert "may_be_pregnant" in [n.id for n in maybe.advice.notes]
    older = assess(parse_case({**strain, "age": 60}))
    assert "may_be_pregnant" not in [n.id for n in older.advice.notes]
    not_pregnant = assess(parse_case({**strain, "age": 30, "pregnant": False}))
    assert "may_be_pregnant" not in [n.id for n in not_pregnant.advice.notes]


def test_hypothesis_reaches_the_advice_branches():
    """The random cases above do reach pregnancy and youth without an urgent red flag."""
    young = assess(parse_case({"age": 15, "trigger": "lifting_heavy_object"}))
    assert [w.id for w in young.advice.withheld] == ["under_18"]
    both = assess(parse_case({"age": 16, "sex": "female", "pregnant": True}))
    assert {w.id for w in both.advice.withheld} == {"pregnant", "under_18"}


# -- the environment: read in two modules only -------------------------------------------------

#: The only modules that may touch the environment, and why: the program entry sets process
#: defaults (thread counts) before numpy loads; tracking finds the MLflow store and records
#: the DVC experiment; the server hands its settings to its worker processes (their fields
#: are pinned in test_nothing_can_switch_red_flags_off). None decides anything about a case.
ENVIRONMENT_READERS = {"__main__.py", "pipeline/tracking.py", "serve/app.py", "serve/server.py"}
_ENVIRONMENT_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_uses(source: str) -> list[str]:
    """Every way a module's source reaches the environment: ``os.environ``, ``os.getenv``,
    ``from os import environ`` (under any alias), ``posix.environ``, and the names as strings
    (``getattr(os, "environ")``)."""
    import ast

    uses = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in _ENVIRONMENT_NAMES:
            uses.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module in ("os", "posix", "nt"):
            for alias in node.names:
                if alias.name in _ENVIRONMENT_NAMES or alias.name == "*":
                    uses.append(f"line {node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Constant) and node.value in _ENVIRONMENT_NAMES:
            uses.append(f"line {node.lineno}: {node.value!r}")
    return uses


def test_the_environment_is_read_only_where_the_allow_list_says(root: Path):
    package = root / "src" / "backclf"
    modules = sorted(package.rglob("*.py"))
    assert len(modules) > 50  # every module of the package, not a list kept by hand
    readers = {}
    for path in modules:
        uses = environment_uses(path.read_text(encoding="utf-8"))
        if uses:
            readers[path.relative_to(package).as_posix()] = uses
    assert set(readers) <= ENVIRONMENT_READERS, {
        k: v for k, v in readers.items() if k not in ENVIRONMENT_READERS
    }
    assert set(readers) == ENVIRONMENT_READERS  # the allow-list stays as small as the truth


def test_the_environment_scan_sees_every_form():
    for source in (
        "import os\nx = os.environ.get('A')",
        "import os\nx = os.getenv('A')",
        "from os import environ\nx = environ['A']",
        "from os import getenv as g\nx = g('A')",
        "import os as o\nx = o.environ",
        "import os\nx = getattr(os, 'environ')",
        "from os import *",
    ):
        assert environment_uses(source), source
    assert environment_uses("import os\nx = os.path.join('a')") == []


def test_the_model_given_is_the_model_that_decides():
    """assess, assess_many and assess_batch use the model they are given, not the packaged
    one: a model whose file says another version (and abstains on everything) decides."""
    import json as _json

    from backclf.core.model import dumps_model, parse_model

    packaged = load_model()
    raw = _json.loads(dumps_model(packaged.file))
    raw["version"] = "test-only"
    raw["decision"]["abstain_below"] = 1.0  # never sure enough to name a cause
    other = parse_model(_json.dumps(raw).encode(), "test")
    case = {"trigger": "lifting_heavy_object", "age": 40}
    assert assess(case).model.version == packaged.version and not assess(case).abstained
    for result in (assess(case, other), assess_many([case, case], other)[1]):
        assert result.model.version == "test-only" and result.abstained
