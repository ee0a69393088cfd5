"""Conditions compiled once and tested over whole batches (issue 27 item 2): each leaf is an
interval of one finding's value, each condition the ``any`` of its terms. Every expectation
here is written by hand from the contract's meaning of the leaf, not computed by the code."""

from __future__ import annotations

import numpy as np
import pytest

from backclf.contract.columns import from_values
from backclf.core.conditions import (
    ConditionSet,
    Intervals,
    bin_interval,
    condition_terms,
    finding_values,
    leaf_interval,
)
from backclf.core.model import load_model
from backclf.core.red_flags import rule_set
from backclf.core.screen import grouped_any, screen
from backclf.core.typicality import Answers
from backclf.io.parse import Item
from backclf.io.score import assess_items

NAN = float("nan")


def _holds(condition: dict, cases: list[dict]) -> list[bool]:
    values = finding_values(from_values(cases))
    return ConditionSet.of([condition]).holds(values)[:, 0].tolist()


@pytest.mark.parametrize(
    ("leaf", "cases", "expected"),
    [
        # A yes/no finding: only "yes" holds; "no" and unknown do not.
        ({"fever": True}, [{"fever": True}, {"fever": False}, {}], [True, False, False]),
        # A choice: its own value only.
        (
            {"radiating_leg_pain": "both_legs"},
            [{"radiating_leg_pain": v} for v in ("both_legs", "one_leg", "none")] + [{}],
            [True, False, False, False],
        ),
        # Comparisons at and either side of the bound, and unknown.
        ({"age": {">=": 70}}, [{"age": 69}, {"age": 70}, {"age": 71}, {}], [0, 1, 1, 0]),
        ({"age": {">": 70}}, [{"age": 69}, {"age": 70}, {"age": 71}, {}], [0, 0, 1, 0]),
        ({"age": {"<=": 11}}, [{"age": 10}, {"age": 11}, {"age": 12}, {}], [1, 1, 0, 0]),
        ({"age": {"<": 11}}, [{"age": 10}, {"age": 11}, {"age": 12}, {}], [1, 0, 0, 0]),
        # A fraction just above or below the bound is on its own side of it.
        (
            {"temperature_c": {">": 38.0}},
            [{"temperature_c": 38.0}, {"temperature_c": 38.000001}, {"temperature_c": 37.99}],
            [0, 1, 0],
        ),
        (
            {"days_since_onset": {"<": 90}},
            [{"days_since_onset": 89.99999}, {"days_since_onset": 90.0}],
            [1, 0],
        ),
        # "unknown or <": holds below the bound and while unknown.
        (
            {"days_since_onset": {"unknown or <": 90}},
            [{"days_since_onset": 89.5}, {"days_since_onset": 90}, {}],
            [1, 0, 1],
        ),
    ],
)
def test_each_kind_of_leaf_holds_where_the_contract_says(leaf, cases, expected):
    assert _holds(leaf, cases) == [bool(e) for e in expected]


def test_a_strict_bound_is_its_neighbouring_float():
    assert leaf_interval({"age": {">": 70}})[1:] == (np.nextafter(70.0, np.inf), np.inf, False)
    assert leaf_interval({"age": {"<": 70}})[1:] == (-np.inf, np.nextafter(70.0, -np.inf), False)
    assert bin_interval(30, 45) == (30.0, np.nextafter(45.0, -np.inf))


def test_a_nested_condition_is_the_any_of_its_terms():
    # fever and (aged 70 or more, or chills): two terms.
    condition = {"all": [{"fever": True}, {"any": [{"age": {">=": 70}}, {"chills": True}]}]}
    assert condition_terms(condition) == [
        [{"fever": True}, {"age": {">=": 70}}],
        [{"fever": True}, {"chills": True}],
    ]
    cases = [
        {"fever": True, "age": 70},  # fever and old enough
        {"fever": True, "chills": True, "age": 30},  # fever and chills
        {"fever": True, "age": 69},  # fever alone
        {"chills": True, "age": 80},  # no fever
        {"fever": True},  # fever, nothing else known
        {},
    ]
    assert _holds(condition, cases) == [True, True, False, False, False, False]


def test_conditions_are_told_apart_and_an_empty_set_fires_nothing():
    conditions = ConditionSet.of([{"fever": True}, {"chills": True}, {"fever": True}])
    values = finding_values(from_values([{"fever": True}, {"chills": True}, {}]))
    assert conditions.holds(values).tolist() == [
        [True, False, True],
        [False, True, False],
        [False, False, False],
    ]
    assert len(conditions.leaves) == 2  # the repeated leaf is tested once
    assert ConditionSet.of([]).holds(values).shape == (3, 0)


def test_finding_values_reads_unknown_codes_as_nan():
    values = finding_values(from_values([{"fever": False, "sex": "female", "age": 40}, {}]))
    from backclf.contract.fields import FIELD_NAMES

    row = dict(zip(FIELD_NAMES, values[0].tolist(), strict=True))
    assert row["fever"] == 0 and row["sex"] == 0 and row["age"] == 40
    assert np.isnan(row["chills"]) and np.isnan(values[1]).all()


def test_the_screen_groups_are_built_once_and_name_the_right_columns():
    columns, starts = grouped_any(np.zeros((1, 4)), [[2], [0, 3], [1]])
    assert columns.tolist() == [2, 0, 3, 1] and starts.tolist() == [0, 1, 3]
    with pytest.raises(ValueError):
        grouped_any(np.zeros((1, 4)), [[1], []])
    # The screen's tables are the same objects on every call: built once per rule set.
    assert screen().checklist_terms is screen().checklist_terms
    assert rule_set().compiled is rule_set().compiled


def test_typicality_adds_the_answers_given_in_the_sections_order():
    cost = np.array  # (answers, causes): five causes
    tables = (
        ("age", np.array([1.0, 30.0]), np.array([30.0, 121.0]), cost([[0.1] * 5, [0.2] * 5])),
        ("spasm", np.array([1.0, 0.0]), np.array([NAN, NAN]), cost([[0.1] * 5, [0.0] * 5])),
    )
    answers = Answers.of(tables)
    cases = [{"age": 30, "spasm": True}, {"age": 29, "spasm": False}, {"spasm": True}, {}]
    got = answers.scores(finding_values(from_values(cases))).tolist()
    # 0.2 + 0.1 is 0.30000000000000004 in floating point: the sum is the sections' order's.
    assert got == [0.2 + 0.1, 0.1 + 0.0, 0.1, 0.0]


CASES = [
    {"age": 40, "trigger": "lifting_heavy_object", "fever": False},
    {},
    {"age": 55, "saddle_numbness": True},
    {"age": 72, "days_since_onset": 40, "history_of_cancer": None},
    {"sex": "female", "painful_urination": True, "temperature_c": 38.4, "chills": True},
    {"pregnant": True, "bilateral_leg_weakness": True, "pain_severity": 9},
    {"age": 30, "osteoporosis_or_steroid_use": True, "trigger": "minor_fall_or_bump"},
    {"age": 0},  # an error record in its place
]


def test_one_case_alone_gets_the_record_it_gets_in_a_batch():
    model = load_model()
    batch = assess_items([Item(i + 1, case) for i, case in enumerate(CASES)], model)
    alone = [assess_items([Item(i + 1, case)], model)[0] for i, case in enumerate(CASES)]
    assert alone == batch
    assert "error" in batch[-1]
    # And the cached structures decide as the rules file says, by hand: saddle numbness is an
    # emergency, a plain lifting strain is not.
    assert batch[2]["triage"]["level"] == "emergency"
    assert batch[0]["red_flags"] == []


def test_every_compiled_test_agrees_with_its_interval_by_hand():
    tests = Intervals.of([("age", 18.0, 64.0, False), ("age", -np.inf, 17.0, True)])
    values = finding_values(from_values([{"age": 18}, {"age": 17}, {"age": 64}, {}]))
    assert tests.holds(values).tolist() == [
        [True, False],
        [False, True],
        [True, False],
        [False, True],
    ]


def _random_cases(count: int, seed: int) -> list[dict]:
    """Cases with any finding given, unknown or "don't know", at and around every bound the
    rules, bins and skip conditions test."""
    from backclf.contract.fields import FIELDS

    rng = np.random.default_rng(seed)
    numbers = {
        "age": [1, 4, 5, 11, 12, 15, 16, 17, 18, 30, 49, 50, 60, 64, 65, 70, 75, 120],
        "days_since_onset": [0, 0.5, 1, 3, 7, 14, 29.99, 30, 89.999, 90, 365],
        "pain_severity": [0, 3, 4, 6, 7, 8, 9, 10],
        "temperature_c": [35, 37.9, 38, 38.0000001, 39.5],
    }
    cases = []
    for _ in range(count):
        case: dict = {}
        for name, spec in FIELDS.items():
            draw = rng.random()
            if draw < 0.5:
                continue
            if draw < 0.55:
                case[name] = None
            elif name in numbers:
                case[name] = numbers[name][rng.integers(len(numbers[name]))]
            elif spec.kind == "bool":
                case[name] = bool(rng.random() < 0.5)
            else:
                case[name] = spec.values[rng.integers(len(spec.values))]
        cases.append(case)
    return cases


def test_small_batches_and_large_ones_get_the_same_records():
    # A batch above SMALL_BATCH is tested one finding's column at a time; in small pieces,
    # through the matrix of all findings: the records must not differ by a byte.
    from backclf.core.conditions import SMALL_BATCH

    model = load_model()
    items = [Item(i + 1, case) for i, case in enumerate(_random_cases(3 * SMALL_BATCH, 27))]
    whole = assess_items(items, model)
    pieces = []
    for at in range(0, len(items), 50):
        pieces += assess_items(items[at : at + 50], model)
    assert pieces == whole
    assert sum("error" in r for r in whole) < len(whole)


def test_large_batches_score_typicality_and_the_escalation_view_as_small_ones():
    # The large-batch ways (a finding's answers looked up at once; only the rows the
    # escalation view changes built) against the matrix ways of small batches, case by case:
    # the same floats, the same changed rows and values.
    from backclf.contract.columns import resolve
    from backclf.core.conditions import SMALL_BATCH, finding_values
    from backclf.core.escalation import _changed_rows, escalation_view
    from backclf.core.typicality import _answers, _tables, table_scores

    model = load_model()
    columns = from_values(
        [{k: v for k, v in c.items() if v is not None} for c in _random_cases(4 * SMALL_BATCH, 5)]
    )
    resolve(columns)
    values = finding_values(columns)
    large = table_scores(_tables(model), columns)
    assert large.tobytes() == _answers(model).scores(values).tobytes()
    x = model.encode(columns)
    view = escalation_view(model, columns, x, values)
    changed = np.flatnonzero((view != x).any(axis=1))
    rows, changed_view = _changed_rows(model, columns, x)
    assert 0 < len(changed) < len(x)
    assert rows.tolist() == changed.tolist()
    assert changed_view.tobytes() == view[changed].tobytes()


def test_a_yes_no_column_reads_as_its_cells_do_from_any_offset():
    # Arrow keeps yes/no cells as bits: a slice starts mid-byte. Each row's code by hand.
    import pyarrow as pa

    from backclf.contract.arrow import from_arrow

    cells = [True, None, False, True, True, None, False, False, True, None, True]
    table = pa.table({"fever": pa.array(cells), "age": pa.array([40] * len(cells))})
    for start in range(4):
        columns, errors = from_arrow(table.slice(start))
        expected = [{True: 1, False: 0, None: -1}[c] for c in cells[start:]]
        assert columns["fever"].tolist() == expected
        assert errors == {}
    # A yes/no column for a finding that is not yes/no: every row says why, as before.
    _, errors = from_arrow(pa.table({"age": pa.array([True, None, False])}))
    assert sorted(errors) == [0, 2]
