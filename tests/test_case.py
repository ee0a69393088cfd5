"""The findings contract: types, ranges, enums, unknown names, contradictions, schema."""

from __future__ import annotations

import pytest

from backclf.contract.fields import FIELDS
from backclf.contract.findings import Case, CaseError, parse_case

BOOLS = [name for name, spec in FIELDS.items() if spec.kind == "bool"]
ENUMS = [name for name, spec in FIELDS.items() if spec.kind == "enum"]


def problems(data) -> list[str]:
    with pytest.raises(CaseError) as info:
        parse_case(data)
    return info.value.problems


def test_the_contract_has_every_field_of_contract_md():
    assert len(FIELDS) == 40  # the 37 of contract v1, and three the clinical review added
    assert {"recent_spinal_procedure", "bilateral_leg_weakness", "new_sexual_dysfunction"} < set(
        FIELDS
    )
    assert FIELDS["trigger"].values == (
        "bending_or_twisting",
        "lifting_heavy_object",
        "prolonged_posture",
        "minor_fall_or_bump",
        "none",
    )
    assert (FIELDS["age"].minimum, FIELDS["age"].maximum) == (1, 120)
    assert (FIELDS["temperature_c"].minimum, FIELDS["temperature_c"].maximum) == (30, 45)


def test_weakness_of_both_legs_is_weakness_of_a_leg():
    assert parse_case({"bilateral_leg_weakness": True}).leg_weakness is True
    # Given otherwise, the answers are kept as given; the decision resolves them towards
    # safety and says so (tests/test_conflicts.py).
    case = parse_case({"bilateral_leg_weakness": True, "leg_weakness": False})
    assert case.leg_weakness is False and case.bilateral_leg_weakness is True


def test_absent_is_unknown_not_false():
    case = parse_case({})
    assert all(getattr(case, name) is None for name in FIELDS)
    assert parse_case({"fever": None}).fever is None


@pytest.mark.parametrize("name", BOOLS)
def test_booleans_are_strict(name):
    assert getattr(parse_case({name: True}), name) is True
    for bad in (1, "true", "yes", 0.0):
        assert problems({name: bad}) == [f"{name}: must be true or false, got {bad!r}"]


@pytest.mark.parametrize("name", ENUMS)
def test_every_enum_value_and_a_wrong_one(name):
    for value in FIELDS[name].values:
        assert getattr(parse_case({name: value}), name) == value
    (message,) = problems({name: "sometimes"})
    assert message.startswith(f"{name}: must be one of")


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("age", [1, 40, 120, 40.0], [0, 121, -3, 40.5, True, "40"]),
        ("pain_severity", [0, 10, 7], [-1, 11, 2.5, False]),
        ("days_since_onset", [0, 0.5, 30], [-1, "2", True]),
        ("temperature_c", [30, 37.2, 45], [29.9, 45.1, "38", float("inf")]),
    ],
)
def test_numbers_types_and_ranges(name, good, bad):
    for value in good:
        assert getattr(parse_case({name: value}), name) == value
    for value in bad:
        (message,) = problems({name: value})
        assert message.startswith(f"{name}:")


def test_unknown_names_are_errors_with_a_suggestion():
    assert problems({"fevr": True}) == ["unknown finding 'fevr'; did you mean 'fever'?"]
    assert problems({"saddle_numbnes": True}) == [
        "unknown finding 'saddle_numbnes'; did you mean 'saddle_numbness'?"
    ]
    assert problems({"favourite_colour": "blue"}) == ["unknown finding 'favourite_colour'"]


def test_a_wrong_value_names_the_choices_and_the_nearest():
    (message,) = problems({"trigger": "lifting"})
    assert message.startswith("trigger: must be one of bending_or_twisting, lifting_heavy_object")
    assert message.endswith("did you mean 'lifting_heavy_object'?")
    assert problems({"sex": "Female"}) == [
        "sex: must be one of female, male, got 'Female'; did you mean 'female'?"
    ]
    assert problems({"pain_side": "x"}) == [
        "pain_side: must be one of central, one_side, both_sides, got 'x'"
    ]


def test_all_problems_are_reported_at_once():
    found = problems({"fevr": True, "age": 200, "sex": "x", "spasm": "yes"})
    assert len(found) == 4
    assert any(p.startswith("unknown finding 'fevr'") for p in found)
    assert any(p.startswith("age:") for p in found)


def test_contradictions_are_not_errors():
    """A case is never refused because its answers disagree (it would get no triage)."""
    assert parse_case({"fever": False, "temperature_c": 39.2}).fever is False
    assert parse_case({"pregnant": True, "sex": "male"}).sex == "male"


def test_a_high_temperature_implies_fever():
    assert parse_case({"temperature_c": 38.0}).fever is True
    assert parse_case({"temperature_c": 37.9}).fever is None
    assert parse_case({"temperature_c": 36.5, "fever": False}).fever is False


def test_not_an_object():
    assert problems([1, 2]) == ["a case must be a JSON object of findings, got a JSON array"]


def test_input_json_schema_is_valid_and_strict():
    from jsonschema import Draft202012Validator

    schema = Case.model_json_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"age": 40, "fever": True})
    assert not validator.is_valid({"age": 400})
    assert not validator.is_valid({"fevr": True})
