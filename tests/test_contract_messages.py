"""The contract's messages, word for word, written here by hand: what a person reads when a
value is wrong (the same words on every way in: tests/test_contract_parity.py)."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

import pytest

from backclf.contract.fields import FIELDS
from backclf.contract.findings import parse_case
from backclf.contract.rules import (
    UNKNOWN,
    CaseError,
    check_record,
    check_value,
    decode,
    quote,
    suggest,
)

TRIGGERS = "bending_or_twisting, lifting_heavy_object, prolonged_posture, minor_fall_or_bump, none"

#: (record, every problem in order)
MESSAGES: list[tuple[dict, list[str]]] = [
    ({"age": 200}, ["age: must be between 1 and 120, got 200"]),
    ({"age": 0}, ["age: must be between 1 and 120, got 0"]),
    ({"age": 40.5}, ["age: must be a whole number, got 40.5"]),
    ({"age": "40"}, ["age: must be a whole number, got '40'"]),
    ({"age": True}, ["age: must be a whole number, got true"]),
    ({"age": 10**30}, ["age: must be between 1 and 120, got 1000000000000000000000000000000"]),
    ({"age": 10**400}, ["age: must be between 1 and 120, got a number with more than 38 digits"]),
    (
        {"age": -(10**400)},
        ["age: must be between 1 and 120, got a number with more than 38 digits"],
    ),
    ({"temperature_c": "hot"}, ["temperature_c: must be a number, got 'hot'"]),
    ({"temperature_c": math.inf}, ["temperature_c: must be between 30 and 45, got Infinity"]),
    ({"temperature_c": -math.inf}, ["temperature_c: must be between 30 and 45, got -Infinity"]),
    ({"temperature_c": Decimal("29.50")}, ["temperature_c: must be between 30 and 45, got 29.50"]),
    ({"age": Decimal("40.5")}, ["age: must be a whole number, got 40.5"]),
    ({"age": date(2024, 1, 2)}, ["age: must be a whole number, got a date (2024-01-02)"]),
    (
        {"days_since_onset": datetime(2024, 1, 2, 3, 4)},
        ["days_since_onset: must be a number, got a timestamp (2024-01-02T03:04:00)"],
    ),
    ({"fever": None, "spasm": b"yes"}, ["spasm: must be true or false, got bytes"]),
    ({"temperature_c": 29.9}, ["temperature_c: must be between 30 and 45, got 29.9"]),
    ({"pain_severity": 11}, ["pain_severity: must be between 0 and 10, got 11"]),
    ({"fever": "yes"}, ["fever: must be true or false, got 'yes'"]),
    ({"fever": 1}, ["fever: must be true or false, got 1"]),
    ({"fever": {"a": 1}}, ["fever: must be true or false, got a JSON object"]),
    ({"fever": [1]}, ["fever: must be true or false, got a JSON array"]),
    ({"fever": "x" * 100}, ["fever: must be true or false, got '" + "x" * 36 + "..."]),
    ({"sex": "Female"}, ["sex: must be one of female, male, got 'Female'; did you mean 'female'?"]),
    ({"sex": 3}, ["sex: must be one of female, male, got 3"]),
    (
        {"trigger": "lifting"},
        [
            f"trigger: must be one of {TRIGGERS}, got 'lifting'; "
            "did you mean 'lifting_heavy_object'?"
        ],
    ),
    (
        {"trigger": "Lifting Heavy Object"},
        [
            f"trigger: must be one of {TRIGGERS}, got 'Lifting Heavy Object'; "
            "did you mean 'lifting_heavy_object'?"
        ],
    ),
    ({"fevr": True}, ["unknown finding 'fevr'; did you mean 'fever'?"]),
    ({"FEVER": True}, ["unknown finding 'FEVER'; did you mean 'fever'?"]),
    ({"x" * 500: True}, ["unknown finding '" + "x" * 36 + "..."]),
    # an unknown (null) finding does not stop the checks of the ones after it
    ({"age": None, "fever": "yes"}, ["fever: must be true or false, got 'yes'"]),
    # problems come in contract order, whatever the order of the keys (and not by name)
    (
        {"fever": "yes", "sex": "m"},
        [
            "sex: must be one of female, male, got 'm'; did you mean 'male'?",
            "fever: must be true or false, got 'yes'",
        ],
    ),
    (
        {"sex": "m", "age": 500},
        [
            "age: must be between 1 and 120, got 500",
            "sex: must be one of female, male, got 'm'; did you mean 'male'?",
        ],
    ),
    (
        {"zzz": 1, "sex": "m", "age": 500, "fever": False, "temperature_c": 39},
        [
            "unknown finding 'zzz'",
            "age: must be between 1 and 120, got 500",
            "sex: must be one of female, male, got 'm'; did you mean 'male'?",
        ],
    ),
]


@pytest.mark.parametrize(("record", "problems"), MESSAGES)
def test_the_message_is_word_for_word(record, problems):
    with pytest.raises(CaseError) as raised:
        check_record(record)
    assert raised.value.problems == problems
    assert str(raised.value) == "; ".join(problems)
    with pytest.raises(CaseError) as again:
        parse_case(record)
    assert again.value.problems == problems


#: (record, the findings it gives): edges that are accepted, and what they become
ACCEPTED: list[tuple[dict, dict]] = [
    ({"age": 1}, {"age": 1}),
    ({"age": 120}, {"age": 120}),
    ({"age": 40.0}, {"age": 40}),
    ({"temperature_c": 45.0}, {"temperature_c": 45.0, "fever": True}),
    ({"temperature_c": 30}, {"temperature_c": 30.0}),
    ({"temperature_c": 38.0}, {"temperature_c": 38.0, "fever": True}),
    ({"temperature_c": 37.9}, {"temperature_c": 37.9}),
    ({"temperature_c": 36.5, "fever": False}, {"temperature_c": 36.5, "fever": False}),
    ({"temperature_c": 39.0, "fever": True}, {"temperature_c": 39.0, "fever": True}),
    ({"pain_severity": 0}, {"pain_severity": 0}),
    ({"pain_severity": 10}, {"pain_severity": 10}),
    ({"bilateral_leg_weakness": True}, {"bilateral_leg_weakness": True, "leg_weakness": True}),
    ({"bilateral_leg_weakness": False}, {"bilateral_leg_weakness": False}),
    (
        {"bilateral_leg_weakness": True, "leg_weakness": True},
        {"bilateral_leg_weakness": True, "leg_weakness": True},
    ),
    ({"pregnant": True, "sex": "female"}, {"pregnant": True, "sex": "female"}),
    ({"pregnant": False, "sex": "male"}, {"pregnant": False, "sex": "male"}),
    ({"fever": None, "age": None}, {}),
    # not-a-number is a missing value (pandas, Spark and Arrow write one so), in every field
    ({"temperature_c": math.nan, "fever": math.nan, "sex": math.nan}, {}),
    ({"temperature_c": Decimal("38.50")}, {"temperature_c": 38.5, "fever": True}),
    ({"age": Decimal("40")}, {"age": 40}),
    # answers that disagree are kept as given: the decision resolves them (test_conflicts.py)
    (
        {"fever": False, "temperature_c": 38.5},
        {"fever": False, "temperature_c": 38.5},
    ),
    (
        {"leg_weakness": False, "bilateral_leg_weakness": True},
        {"leg_weakness": False, "bilateral_leg_weakness": True},
    ),
    ({"pregnant": True, "sex": "male"}, {"pregnant": True, "sex": "male"}),
    ({"sex": "male", "trigger": "none"}, {"sex": "male", "trigger": "none"}),
]


@pytest.mark.parametrize(("record", "findings"), ACCEPTED)
def test_accepted_values_and_what_they_imply(record, findings):
    known = parse_case(record).known()
    assert known == findings
    assert {k: type(v) for k, v in known.items()} == {k: type(v) for k, v in findings.items()}


def test_codes_and_back():
    assert check_value(FIELDS["fever"], True) == (1, None)
    assert check_value(FIELDS["fever"], False) == (0, None)
    assert check_value(FIELDS["fever"], None) == (UNKNOWN, None)
    assert check_value(FIELDS["sex"], "male") == (FIELDS["sex"].values.index("male"), None)
    code, problem = check_value(FIELDS["age"], None)
    assert math.isnan(code) and problem is None
    assert check_value(FIELDS["age"], 40) == (40.0, None)
    assert decode(FIELDS["fever"], 1) is True and decode(FIELDS["fever"], 0) is False
    assert decode(FIELDS["fever"], UNKNOWN) is None and decode(FIELDS["sex"], UNKNOWN) is None
    assert decode(FIELDS["age"], math.nan) is None
    assert decode(FIELDS["age"], 40.0) == 40 and type(decode(FIELDS["age"], 40.0)) is int
    assert type(decode(FIELDS["temperature_c"], 38.0)) is float
    assert decode(FIELDS["trigger"], 0) == "bending_or_twisting"


@pytest.mark.parametrize(
    ("name", "nearest"),
    [
        ("fevr", "fever"),
        ("FEVER", "fever"),
        ("Saddle Numbness", "saddle_numbness"),
        ("saddle-numbness", "saddle_numbness"),
        ("temperature", "temperature_c"),
        ("pregnancy", "pregnant"),
        ("favourite_colour", None),
        ("", None),
        ("x" * 500, None),
        ("fever" + "x" * 200, None),
    ],
)
def test_suggestions(name, nearest):
    assert suggest(name) == nearest


def test_the_length_guard_of_suggestions_is_at_twice_the_longest_name_and_eight():
    longest = max(map(len, FIELDS))
    at_limit = "fever" + "!" * (2 * longest + 8 - 5)
    assert len(at_limit) == 2 * longest + 8
    assert suggest(at_limit, ("fever", *FIELDS)) is None  # too unlike anything
    assert suggest("ab", ("abcdefgh", "abcdxyzw")) is None  # two start with it: no guess
    assert suggest("ab", ("abcdefgh", "xyzxyzxy")) == "abcdefgh"
    assert suggest("lifting", FIELDS["trigger"].values) == "lifting_heavy_object"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("short", "'short'"),
        ("a" * 40, "'" + "a" * 36 + "..."),
        ("a" * 38, "'" + "a" * 38 + "'"),
        (2**128 - 1, str(2**128 - 1)),
        (2**128, "a number with more than 38 digits"),
        ({"a": 1}, "a JSON object"),
        ([1], "a JSON array"),
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (math.nan, "NaN"),
        (Decimal("38.50"), "38.50"),
        (date(2024, 1, 2), "a date (2024-01-02)"),
        (object(), "a value JSON cannot hold"),
        (1.5, "1.5"),
        ("line\nbreak", "'line\\nbreak'"),
    ],
)
def test_quote(value, shown):
    assert quote(value) == shown
    assert len(quote(value)) <= 40


# -- the typed model's field types, and the knowledge files' value keys ------------------------


def test_each_findings_type_in_the_python_api():
    """`Case` is built from the field table: a yes/no is a bool, an enum its values, a number
    its kind within its range; every field may be None (unknown)."""
    from typing import Literal

    from pydantic import TypeAdapter, ValidationError

    from backclf.contract.findings import _annotation

    assert _annotation(FIELDS["fever"]) == (bool | None)
    assert _annotation(FIELDS["sex"]) == (Literal["female", "male"] | None)
    age = TypeAdapter(_annotation(FIELDS["age"]))
    assert age.validate_python(None) is None and age.validate_python(120) == 120
    for bad in (0, 121, 40.5):
        with pytest.raises(ValidationError):
            age.validate_python(bad)
    temperature = TypeAdapter(_annotation(FIELDS["temperature_c"]))
    assert temperature.validate_python(38.5) == 38.5
    for bad in (29.9, 45.1):
        with pytest.raises(ValidationError):
            temperature.validate_python(bad)
    schema = age.json_schema()["anyOf"][0]
    assert schema == {"type": "integer", "minimum": 1, "maximum": 120}


def test_yaml_keys_that_read_as_booleans_are_the_words_true_and_false():
    from backclf.knowledge import _value_key

    assert _value_key(True) == "true" and _value_key(False) == "false"
    assert _value_key("unknown") == "unknown" and _value_key(3) == "3"
    assert _value_key("True") == "True"  # a string key stays as written


def test_a_name_is_compared_only_up_to_twice_the_longest_and_eight():
    """The guard keeps difflib's cost bounded; just inside it a close name is still found."""
    longest = max(FIELDS, key=len)
    limit = 2 * len(longest) + 8
    inside = longest + "_" * (limit - len(longest))
    assert len(inside) == limit and suggest(inside) == longest
    outside = inside + "_"
    assert suggest(outside) is None
    assert suggest("abc", ()) is None and suggest("x" * 20, ()) is None


@pytest.mark.parametrize(
    ("name", "choices", "nearest"),
    [
        ("PAIN-SIDE", tuple(FIELDS), "pain_side"),
        ("PAIN SIDE", tuple(FIELDS), "pain_side"),
        (" PAIN_SIDE ", tuple(FIELDS), "pain_side"),
        ("LIFTING-HEAVY-OBJECT", FIELDS["trigger"].values, "lifting_heavy_object"),
        ("MINOR FALL", FIELDS["trigger"].values, "minor_fall_or_bump"),
    ],
)
def test_case_hyphens_and_spaces_that_difflib_misses(name, choices, nearest):
    import difflib

    assert difflib.get_close_matches(name, choices, n=1, cutoff=0.6) == []  # not difflib's
    assert suggest(name, choices) == nearest


# -- the same problems for people (issue 29, item 6: no contract jargon on a page) --------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            "age: must be between 1 and 120, got 200",
            [("age", "How old are you?", "it must be a whole number from 1 to 120.")],
        ),
        (
            "fever: must be true or false, got 1; sex: must be one of female, male, got 'x'",
            [
                ("fever", None, "it must be yes or no."),
                ("sex", "What is your sex?", "it must be one of: Female, Male."),
            ],
        ),
        (
            "unknown finding 'fevr'; did you mean 'fever'?",
            [("fever", None, "One of the answers sent is not something backclf asks about.")],
        ),
        ("malformed JSON at column 3: expected a value", [(None, None, "could not be read")]),
    ],
)
def test_each_problem_has_a_plain_sentence_and_the_question_asked(error, expected):
    from backclf.contract.for_people import for_people

    got = for_people(error)
    assert len(got) == len(expected)
    for plain, (finding, question, sentence) in zip(got, expected, strict=True):
        assert plain["finding"] == finding
        assert question is None or plain["question"] == question
        assert finding is None or plain["question"]  # every finding has a question
        assert sentence in plain["sentence"]
        assert ":" not in plain["sentence"].split("it must be")[0].rstrip(": ").replace(
            "Please check this answer", ""
        )  # no field name before the sentence
        assert "_" not in plain["sentence"]  # no contract names
