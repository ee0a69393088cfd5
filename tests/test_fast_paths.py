"""The quick paths of JSON Lines (issue 27 item 1) give what the general paths give: orjson's
reading of a flat line, the one-look-up contract check, equal-sized batches of a file, the
line-break check's one-byte filter and checklists assembled from their groups' parts. Every
expectation is written by hand from the contract, not computed by the code under test."""

from __future__ import annotations

import math

from backclf.contract.rules import plain_codes
from backclf.core.questions import _checklist_by_groups
from backclf.io.encode import json_lines, to_json_bytes
from backclf.io.json_lines import line_batches
from backclf.io.parse import Item, parse_json_lines
from backclf.io.score import Case, read_item


def _read(line: bytes) -> Item:
    (item,) = parse_json_lines([(7, line)])
    return item


# -- reading a line --------------------------------------------------------------------------


def test_a_flat_line_is_read_to_its_values():
    item = _read(b'{"id": "c-1", "age": 40, "fever": false, "temperature_c": 37.5, "sex": null}')
    assert (item.line, item.error) == (7, None)
    assert item.data == {"id": "c-1", "age": 40, "fever": False, "temperature_c": 37.5, "sex": None}
    assert type(item.data["age"]) is int


def test_a_repeated_key_is_still_an_error():
    item = _read(b'{"age": 40, "age": 41}')
    assert item.error == "malformed JSON: key 'age' appears more than once"


def test_a_repeated_key_inside_findings_is_still_an_error():
    item = _read(b'{"id": 1, "findings": {"fever": true, "fever": false}}')
    assert item.error == "malformed JSON: key 'fever' appears more than once"


def test_an_integer_beyond_64_bits_stays_an_exact_integer():
    item = _read(b'{"age": 123456789012345678901234567890}')
    assert item.data == {"age": 123456789012345678901234567890}
    assert type(item.data["age"]) is int


def test_a_colon_inside_a_string_is_not_taken_for_a_key():
    assert _read(b'{"id": "09:30", "age": 40}').data == {"id": "09:30", "age": 40}


def test_lines_orjson_refuses_are_read_the_standard_way():
    assert _read(b'\xef\xbb\xbf{"age": 40}').data == {"age": 40}  # a byte order mark
    assert math.isnan(_read(b'{"age": NaN}').data["age"])  # the standard library reads NaN
    assert _read(b'{"id": "\\ud800"}').error.startswith("malformed JSON: a \\u escape")
    assert _read(b'{"age": 40').error == "malformed JSON at column 11: expected ',' between values"


def test_nested_values_are_read_the_standard_way():
    assert _read(b'{"age": [40, {"a": 1}]}').data == {"age": [40, {"a": 1}]}


# -- the contract check ----------------------------------------------------------------------


def test_plain_codes_are_the_contracts_codes():
    codes, dont_know = plain_codes(
        {"id": "x", "age": 40, "sex": "male", "fever": False, "pain_severity": 7.0,
         "pregnant": None, "temperature_c": 38},
        skip="id",
    )
    # sex: index in ("female", "male"); yes/no: 1/0; numbers as floats
    assert codes == {"age": 40.0, "sex": 1, "fever": 0, "pain_severity": 7.0,
                     "temperature_c": 38.0}
    assert dont_know == ("pregnant",)


def test_anything_but_a_plain_valid_value_takes_the_general_path():
    for record in (
        {"age": True},  # a yes/no is not a number
        {"age": 40.5},  # age is whole
        {"age": 121},  # out of range
        {"sex": "Male"},  # not one of the values
        {"fever": 1},  # a number is not a yes/no
        {"fevr": True},  # not a finding
        {"id": 3},  # id is not a finding unless skipped
    ):
        assert plain_codes(record) is None, record


def test_read_item_gives_the_same_case_either_way():
    assert read_item(Item(3, {"id": 5, "age": 40, "fever": None})) == Case(
        3, 5, {"age": 40.0}, None, dont_know=("fever",)
    )
    # the general path words the problem
    bad = read_item(Item(4, {"id": 5, "age": True}))
    assert bad.error == "age: must be a whole number, got true"


# -- batches of a file -----------------------------------------------------------------------


def test_a_file_is_read_in_batches_of_exactly_max_lines(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b"".join(b'{"age": %d}\n' % (i % 100 + 1) for i in range(5000)))
    with path.open("rb") as stream:
        batches = list(line_batches(stream, 2048))
    assert [len(b) for b in batches] == [2048, 2048, 904]
    numbers = [n for batch in batches for n, _ in batch]
    assert numbers == list(range(1, 5001))
    assert batches[2][-1] == (5000, b'{"age": 100}')


# -- encoding --------------------------------------------------------------------------------


def test_only_line_breaking_characters_are_escaped():
    # "è" ends in the byte 0xA8 as U+2028 does; it is kept as UTF-8
    assert to_json_bytes({"a": "è"}) == '{"a":"è"}'.encode()
    assert to_json_bytes({"a": "è\u2028"}) == b'{"a":"\\u00e8\\u2028"}'
    assert json_lines([{"a": 1}, {"b": "\u0085"}]) == b'{"a":1}\n{"b":"\\u0085"}\n'


# -- checklists ------------------------------------------------------------------------------


def test_a_checklist_assembled_from_its_groups():
    # bit 0: fainting_or_collapse (first group); bit 8: radiating_leg_pain (second group, a
    # line answered with its own options)
    asked = _checklist_by_groups(1 | 1 << 8)
    assert list(asked) == [
        "kind", "question", "findings", "items", "options", "why", "expected_gain",
        "item_options", "groups",
    ]
    assert asked["findings"] == ["fainting_or_collapse", "radiating_leg_pain"]
    assert list(asked["item_options"]) == ["radiating_leg_pain"]
    assert [g["findings"] for g in asked["groups"]] == [
        ["fainting_or_collapse"], ["radiating_leg_pain"]
    ]
    assert _checklist_by_groups(1 | 1 << 8) is asked  # kept, not rebuilt
    only_first = _checklist_by_groups(1 << 1)
    assert only_first["findings"] == ["pulsating_abdominal_mass"]
    assert "item_options" not in only_first
