"""Columns and feature encoding: one case at a time equals vectorised, yes/no/unknown apart."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from backclf.contract.arrow import from_arrow, to_arrow
from backclf.contract.columns import from_values, row_findings
from backclf.contract.findings import parse_case
from backclf.core.features import default_encoding, encode, encode_case

CASES = [
    {},
    {"age": 40, "sex": "male", "trigger": "lifting_heavy_object", "fever": False},
    {"age": 27, "sex": "female", "fever": True, "chills": True, "pain_side": "one_side"},
    {"temperature_c": 38.6, "days_since_onset": 2.5, "pain_severity": 7, "spasm": False},
]


def test_columns_round_trip_through_arrow():
    cases = [parse_case(c) for c in CASES]
    columns = from_values([c.known() for c in cases])
    back, errors = from_arrow(to_arrow(columns))
    assert errors == {}
    for name in columns:
        np.testing.assert_array_equal(columns[name], back[name])
    assert [row_findings(columns, i) for i in range(len(cases))] == [c.known() for c in cases]


def test_arrow_validation_reports_bad_rows_in_place():
    table = pa.table(
        {
            "age": pa.array([40, 200, None, 33]),
            "fever": pa.array([True, None, False, None]),
            "temperature_c": pa.array([None, None, 39.0, 36.0]),
            "sex": pa.array(["male", "female", "x", None]),
        }
    )
    columns, errors = from_arrow(table)
    assert sorted(errors) == [1, 2]
    assert errors[1] == ["age: must be between 1 and 120, got 200"]
    # "no fever" beside 39 C is not an error (it is resolved when decided); the bad sex is
    assert errors[2] == ["sex: must be one of female, male, got 'x'"]
    assert columns["fever"][3] == -1 and columns["age"][3] == 33


def test_an_unknown_column_makes_every_row_an_error_as_the_key_would_in_json():
    _, errors = from_arrow(pa.table({"fevr": [True, False], "age": [40, 50]}))
    assert errors == {0: ["unknown finding 'fevr'; did you mean 'fever'?"]} | {
        1: ["unknown finding 'fevr'; did you mean 'fever'?"]
    }


def test_feature_names_are_unique_readable_and_stable():
    names = [f.name for f in default_encoding()]
    assert len(names) == len(set(names))
    assert {"fever=yes", "fever=no", "trigger=lifting_heavy_object", "age=30-44"} <= set(names)
    assert "trigger=minor_fall_or_bump" not in names  # uninformative by construction
    assert not any(n.startswith("saddle_numbness") for n in names)  # red-flag-only finding


def test_yes_no_and_unknown_stay_apart():
    features = default_encoding()
    index = {f.name: j for j, f in enumerate(features)}
    yes, no, unknown = (encode_case(c, features) for c in ({"fever": True}, {"fever": False}, {}))
    assert (yes[index["fever=yes"]], yes[index["fever=no"]]) == (1, 0)
    assert (no[index["fever=yes"]], no[index["fever=no"]]) == (0, 1)
    assert (unknown[index["fever=yes"]], unknown[index["fever=no"]]) == (0, 0)
    assert not unknown.any()


def test_vectorised_encoding_equals_one_case_at_a_time():
    features = default_encoding()
    cases = [parse_case(c).known() for c in CASES]
    matrix = encode(from_values(cases), features)
    for row, case in zip(matrix, cases, strict=True):
        np.testing.assert_array_equal(row, encode_case(case, features))


def test_dictionary_encoded_columns_read_like_plain_strings():
    plain = pa.table(
        {"sex": ["male", "x", None, "female"], "trigger": ["none", None, "bad", "none"]}
    )
    encoded = pa.table({name: plain[name].dictionary_encode() for name in plain.column_names})
    a_cols, a_errors = from_arrow(plain)
    b_cols, b_errors = from_arrow(encoded)
    assert a_errors == b_errors and sorted(a_errors) == [1, 2]
    for name in a_cols:
        np.testing.assert_array_equal(a_cols[name], b_cols[name])


def test_the_features_that_light_up_for_a_case_written_by_hand():
    features = default_encoding()
    names = [f.name for f in features]
    for findings, expected in (
        (
            {"age": 30, "trigger": "lifting_heavy_object", "fever": True},
            {"age=30-44", "trigger=lifting_heavy_object", "fever=yes"},
        ),
        ({"age": 44, "fever": False}, {"age=30-44", "fever=no"}),
        ({}, set()),
    ):
        row = encode(from_values([findings]), features)[0]
        assert {names[j] for j in np.flatnonzero(row)} == expected, findings
        assert {names[j] for j in np.flatnonzero(encode_case(findings, features))} == expected
