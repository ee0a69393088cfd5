"""Records built for JSON Lines with their shared parts encoded once (issue 27 item 1) write
the same bytes as the plain records: on generated cases, on hypothesis's cases (any mix of
valid, unknown and junk findings), with ``--lean``, and where the encoder falls back to
escaping every non-ASCII character. A checklist joined from its groups' bytes reads back to
the lines written out by hand; a chunk's lines written in vectored writes arrive whole and
in order however little each write takes."""

from __future__ import annotations

import json
import os

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backclf.cli import parallel
from backclf.contract.fields import FIELDS
from backclf.core.encoded import Encoded
from backclf.core.model import load_model
from backclf.core.questions import _checklist_encoded
from backclf.io.encode import json_line_list, json_lines
from backclf.io.parse import Item
from backclf.io.score import assess_items
from backclf.synth.sampler import GenerationConfig, sample_rows, sample_table

MODEL = load_model()


def _both(records: list[dict], lean: bool = False) -> tuple[bytes, bytes]:
    items = [Item(i + 1, r) for i, r in enumerate(records)]
    plain = json_lines(assess_items(items, MODEL, None, lean))
    encoded = json_lines(assess_items(items, MODEL, None, lean, encoded=True))
    return plain, encoded


def _generated(n: int, seed: int) -> list[dict]:
    table = sample_table(sample_rows(GenerationConfig(seed=seed), 0, n)).drop_columns(
        ["label", "true_cause", "atypical", "red_flag_added"]
    )
    return [
        {"id" if k == "case_id" else k: v for k, v in r.items() if v is not None}
        for r in table.to_pylist()
    ]


@pytest.mark.parametrize("lean", [False, True])
def test_generated_cases_write_the_same_bytes(lean):
    records = _generated(3000, seed=11)
    plain, encoded = _both(records, lean)
    assert encoded == plain
    assert plain.count(b"\n") == 3000
    assert b'"red_flags":[{' in plain  # the cases include fired rules, shown encoded
    assert b'"kind":"checklist"' in plain


def test_every_kind_of_question_and_advice_writes_the_same_bytes():
    no = {f: False for f in FIELDS if FIELDS[f].kind == "bool"}
    cases = [
        {},
        {"age": 30, "trigger": "lifting_heavy_object", "fever": False},
        {**no, "radiating_leg_pain": "none"},  # follow-ups, then the questions that settle it
        {"saddle_numbness": True, "age": 50},  # a red flag: urgent advice, withheld home care
        {"age": 70, "fever": True, "temperature_c": 38.5, "flank_pain": True},
        {"age": 25, "sex": "female", "pregnant": True},
        {"age": 12},
        {"id": "bad", "age": "old"},  # an error record among them
    ]
    for lean in (False, True):
        plain, encoded = _both(cases, lean)
        assert encoded == plain


def test_the_ascii_fallback_writes_the_same_bytes():
    # U+2028 in the id, and an id beyond 64 bits (orjson refuses it): both records are
    # written by the standard library's encoder, with the encoded parts' values
    for case_id in ("a\u2028b", 10**30):
        plain, encoded = _both([{"id": case_id, "age": 40, "trigger": "lifting_heavy_object"}])
        assert encoded == plain
        assert plain.isascii() and b"\\u00b0" in plain  # "°" in the advice, escaped


_VALUES = {
    name: (
        st.booleans() if spec.kind == "bool"
        else st.sampled_from(spec.values) if spec.kind == "enum"
        else st.integers(int(spec.minimum), int(spec.maximum)) if spec.kind == "int"
        else st.floats(spec.minimum, spec.maximum)
    ) | st.none() | st.just("junk")
    for name, spec in FIELDS.items()
}


@st.composite
def _case(draw) -> dict:
    names = draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=len(FIELDS), unique=True))
    return {name: draw(_VALUES[name]) for name in names}


@settings(max_examples=150, deadline=None)
@given(st.lists(_case(), min_size=1, max_size=6), st.booleans())
def test_any_cases_write_the_same_bytes(cases, lean):
    plain, encoded = _both(cases, lean)
    assert encoded == plain


def test_a_checklist_joined_from_its_groups_reads_back_to_its_lines():
    # bit 0: fainting_or_collapse (first group); bit 8: radiating_leg_pain (second group,
    # answered with its own options)
    asked = _checklist_encoded(1 | 1 << 8)
    data = orjson.dumps({"q": asked}, default=lambda o: o.fragment)
    read = json.loads(data)["q"]
    assert list(read) == [
        "kind", "question", "findings", "items", "options", "why", "expected_gain",
        "item_options", "groups",
    ]
    assert read["kind"] == "checklist" and read["expected_gain"] is None
    assert read["findings"] == ["fainting_or_collapse", "radiating_leg_pain"]
    assert [o["value"] for o in read["item_options"]["radiating_leg_pain"]] == [
        "none", "one_leg", "both_legs", None
    ]
    assert [g["findings"] for g in read["groups"]] == [
        ["fainting_or_collapse"], ["radiating_leg_pain"]
    ]
    assert asked.value == read  # the value, built when asked for, is what the bytes say
    only_first = json.loads(orjson.dumps(_checklist_encoded(1 << 1), default=lambda o: o.fragment))
    assert only_first["findings"] == ["pulsating_abdominal_mass"]
    assert "item_options" not in only_first


def test_an_encoded_part_is_its_value():
    part = Encoded.of({"a": [1, 2.5, None], "b": "é"})
    assert part.value == {"a": [1, 2.5, None], "b": "é"}
    written = orjson.dumps([part], default=lambda o: o.fragment)
    assert written == '[{"a":[1,2.5,null],"b":"é"}]'.encode()


def test_a_chunk_written_in_short_writes_arrives_whole_and_in_order(monkeypatch, tmp_path):
    lines = json_line_list([{"n": i, "text": "x" * (i % 7)} for i in range(3000)])
    lines.insert(5, b"")  # an empty piece is passed over
    taken = []

    def short_writev(fd, buffers):  # takes at most 10 bytes, across piece boundaries
        data = b"".join(bytes(b) for b in buffers)[:10]
        taken.append(len(buffers))
        return os.write(fd, data)

    monkeypatch.setattr(parallel.os, "writev", short_writev)
    path = tmp_path / "out.jsonl"
    with path.open("wb") as out:
        parallel.write_all(out.fileno(), lines)
    assert path.read_bytes() == b"".join(b'{"n":%d,"text":"%s"}\n' % (i, b"x" * (i % 7))
                                         for i in range(3000))
    assert max(taken) <= 1024  # never more buffers than one writev takes


def test_a_batchs_numbers_are_split_to_each_ones_json():
    from backclf.core.record_parts import _numbers

    assert _numbers([[0.1, -0.0, 1e-05], [2.0]]) == [[b"0.1", b"-0.0", b"0.00001"], [b"2.0"]]
    assert _numbers([]) == []
