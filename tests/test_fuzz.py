"""Fuzzing every way into backclf against its contract (issue 13).

For every input mode (JSON Lines on stdin and from a file, a JSON document, CSV, Parquet, free
text, finding flags, ``--model`` files, ``params.yaml``), hypothesis builds inputs, good and
hostile, and checks what the contract promises whatever the input:

- the exit code is one of 0, 65, 66 (73 for output; 2 only for bad flags), never a traceback;
- one output record per input record, in input order (ids and line numbers say which);
- a malformed record is an error record in its place; a clean one is assessed;
- red flags are monotone: adding a red-flag finding, in any input form, never lowers the
  triage, and it is at least that flag's own level (a hand-written table).

Most examples run :func:`backclf.cli.predict.run_predict` in this process, with stdin, stdout
and stderr replaced (the Typer layer costs ~0.1 s a call); the flags go through Typer; a few
cases run the real program.
"""

from __future__ import annotations

import atexit
import csv
import io
import json
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from backclf.cli.app import app
from backclf.cli.predict import run_predict
from backclf.contract.fields import FIELDS

ROOT = Path(__file__).resolve().parents[1]
_SCRATCH = Path(tempfile.mkdtemp(prefix="backclf-fuzz-"))
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)


def fresh_dir() -> Path:
    """A new, empty directory for one example (pytest's tmp_path is shared by all of a
    test's examples)."""
    return Path(tempfile.mkdtemp(dir=_SCRATCH))


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


#: Triage levels, least urgent first (the contract's order, written out).
LEVELS = ("self_care", "consultation", "consultation_24", "emergency", "emergency_ambulance")
#: Findings that on their own are a red flag, and the least urgent triage each must give
#: (the red-flag table of the article and the cited guidelines, written out by hand).
RED_FLAGS = {
    ("saddle_numbness", True): "emergency",
    ("bladder_or_bowel_control_loss", True): "emergency",
    ("radiating_leg_pain", "both_legs"): "emergency",
    ("major_trauma", True): "emergency",
    ("pulsating_abdominal_mass", True): "emergency",
    ("fainting_or_collapse", True): "emergency_ambulance",
    ("fever", True): "consultation_24",
    ("frequent_urination", True): "consultation_24",
    ("leg_weakness", True): "consultation_24",
    ("history_of_cancer", True): "consultation_24",
    ("unexplained_weight_loss", True): "consultation",
    ("constant_night_pain", True): "consultation",
}
#: The same red flags in a person's words (for free text).
RED_FLAG_WORDS = {
    "I wet myself.": "emergency",
    "I am numb around my bottom.": "emergency",
    "I fainted this morning.": "emergency_ambulance",
    "I have a fever.": "consultation_24",
}
NEUTRAL_WORDS = [
    "I lifted a heavy box yesterday.",
    "My lower back hurts when I twist.",
    "The pain started suddenly.",
    "I am 45 years old.",
    "Resting helps a bit.",
    "No fever.",
    "I don't have any numbness.",
    "It hurts on one side.",
    "I've had this before.",
    "[bold]nothing[/]",
]


def rank(level: str) -> int:
    return LEVELS.index(level)


# -- running backclf ---------------------------------------------------------------------------


class Outcome:
    def __init__(self, code: int, stdout: bytes, stderr: str):
        self.code, self.stdout, self.stderr = code, stdout, stderr
        self.records = [json.loads(line) for line in stdout.decode().splitlines()]

    def check_contract(self, expected: int) -> None:
        """Exit code, record count, and stderr as the contract says."""
        assert "Traceback" not in self.stderr
        assert all(line.startswith("backclf: error: ") for line in self.stderr.splitlines())
        assert self.stdout == b"" or self.stdout.endswith(b"\n")
        assert len(self.records) == expected, (len(self.records), expected, self.stderr)
        errors = sum("error" in r for r in self.records)
        assert self.code == (66 if expected == 0 else 65 if errors else 0), self.stderr


def predict(stdin: bytes = b"", **options) -> Outcome:
    """`backclf predict` in this process: the command's own function, real streams."""
    options = {
        "input_path": None,
        "output": None,
        "fmt": "json",
        "text": None,
        "model_path": None,
        "flags": {},
        **options,
    }
    out, err = io.BytesIO(), io.StringIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    stdin_stream = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    with (
        mock.patch.object(sys, "stdin", stdin_stream),
        mock.patch.object(sys, "stdout", stdout),
        mock.patch.object(sys, "stderr", err),
    ):
        code = run_predict(**options)
    stdout.flush()
    assert code in (0, 65, 66), err.getvalue()
    return Outcome(code, out.getvalue(), err.getvalue())


def check_in_order(outcome: Outcome, expected: list[dict]) -> None:
    """Each output record answers its input record: ``expected`` gives, per record, its id
    (or ``None``), its line (or row), and whether it must be an error or an assessment."""
    for record, want in zip(outcome.records, expected, strict=True):
        if "error" in record:
            assert want["outcome"] != "assessed", (record, want)
            assert record["line"] == want["line"]
            assert record["id"] in (want["id"], None)
        else:
            assert want["outcome"] != "error", (record, want)
            assert record["id"] == want["id"]


# -- values and records ------------------------------------------------------------------------


def valid_value(spec) -> st.SearchStrategy:
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "enum":
        return st.sampled_from(spec.values)
    if spec.kind == "int":
        return st.integers(int(spec.minimum), int(spec.maximum))
    return st.floats(spec.minimum, spec.maximum)


JUNK = (
    st.text(max_size=8)
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.just(10**40)
    | st.lists(st.integers(), max_size=2)
    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
)


def any_value(spec) -> st.SearchStrategy:
    return valid_value(spec) | st.none() | JUNK


FIELD_NAMES = sorted(FIELDS)
_CLEAN = {name: valid_value(spec) | st.none() for name, spec in FIELDS.items()}
_ANY = {name: any_value(spec) for name, spec in FIELDS.items()}


@st.composite
def _findings(draw, values: dict, most: int) -> dict:
    names = draw(st.lists(st.sampled_from(FIELD_NAMES), max_size=most, unique=True))
    return {name: draw(values[name]) for name in names}


clean_findings = _findings(_CLEAN, 12)
any_findings = _findings(_ANY, 6) | st.dictionaries(st.text(max_size=12), JUNK, max_size=3)

#: Lines that are never a case: each is an error record in its place.
BROKEN_LINES = st.sampled_from(
    [
        '{"age": 40, "fever": tru',
        '{"fever": true, "fever": false}',
        '{"id": "x", "id": "y"}',
        '{"age": %s}' % ("9" * 5000),
        '{"findings": {"age": -%s}}' % ("1" * 4400),
        '{"text": "a", "text": "b"}',
        "[]",
        "[1, 2]",
        '"a string"',
        "null",
        "42",
        "{",
        '{"findings": 3}',
        '{"findings": {"fever": true}, "age": 40}',
        '{"id": {"nested": true}}',
        '{"text": 7}',
        '"\\ud800"',
        '{"a": "\\udc00"}',
        "[" * 5000,
        "\u2028",
        "\x00",
    ]
) | st.text(
    # Text that can be written as UTF-8 (no lone surrogates: invalid UTF-8 is built on purpose,
    # as bytes, below) on one line (CR and LF both end a line).
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\n\r"),
    min_size=1,
    max_size=30,
).filter(lambda t: t.strip(" \t") and not _is_json_object(t))
#: Lines with bytes that are not UTF-8, on purpose: each is an error record in its place.
NOT_UTF8_LINES = st.tuples(
    st.sampled_from([b"", b'{"age": 40, "text": "', b'{"a', b"  "]),
    st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xe2\x82", b"\x80\x80"]),
    st.sampled_from([b"", b'"}', b"xyz"]),
).map(b"".join)


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


@st.composite
def json_lines_input(draw) -> tuple[bytes, list[dict]]:
    """JSON Lines with clean cases, hostile cases, broken lines and blank lines; and what
    each record must be."""
    lines, expected = [], []
    for k in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["clean", "any", "broken", "not utf-8", "blank"]))
        number = len(lines) + 1
        case_id = f"r{k}"
        if kind == "blank":
            lines.append(draw(st.sampled_from([b"", b" ", b"\t", b"  \r"])))  # CR LF: one end
            continue
        if kind in ("broken", "not utf-8"):
            line = draw(BROKEN_LINES).encode() if kind == "broken" else draw(NOT_UTF8_LINES)
            lines.append(line)
            expected.append({"id": None, "line": number, "outcome": "error"})
            continue
        findings = draw(clean_findings if kind == "clean" else any_findings)
        findings.pop("id", None)
        record = {"id": case_id, **findings}
        lines.append(json.dumps(record).encode())
        sure = kind == "clean"  # answers that disagree are assessed too (issue 29)
        expected.append({"id": case_id, "line": number, "outcome": "assessed" if sure else "?"})
    return b"\n".join(lines), expected


# -- JSON Lines, JSON documents ----------------------------------------------------------------


@fuzz(150)
@given(json_lines_input())
def test_json_lines_on_stdin_keep_the_contract(given_input):
    data, expected = given_input
    outcome = predict(data)
    outcome.check_contract(len(expected))
    check_in_order(outcome, expected)


@fuzz(40)
@given(json_lines_input(), st.booleans(), st.booleans())
def test_json_lines_files_keep_the_contract(given_input, bom, final_newline):
    data, expected = given_input
    path = fresh_dir() / "cases.jsonl"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data + (b"\n" if final_newline else b""))
    outcome = predict(input_path=str(path))
    outcome.check_contract(len(expected))
    check_in_order(outcome, expected)


@st.composite
def json_document_input(draw) -> tuple[str, list[dict]]:
    parts, expected = [], []
    for k in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["clean", "any", "flawed", "not an object"]))
        case_id = f"d{k}"
        if kind == "flawed":
            parts.append(
                draw(
                    st.sampled_from(
                        [
                            '{"fever": true, "fever": false}',
                            '{"age": %s}' % ("7" * 5000),
                            '{"text": "\\ud800"}',
                            '{"findings": {"a": 1, "a": 2}}',
                        ]
                    )
                )
            )
            expected.append({"id": None, "line": k + 1, "outcome": "error"})
        elif kind == "not an object":
            parts.append(json.dumps(draw(st.none() | st.integers() | st.lists(st.booleans()))))
            expected.append({"id": None, "line": k + 1, "outcome": "error"})
        else:
            findings = draw(clean_findings if kind == "clean" else any_findings)
            findings.pop("id", None)
            parts.append(
                json.dumps({"id": case_id, **findings}, indent=draw(st.none() | st.just(2)))
            )
            sure = kind == "clean"  # answers that disagree are assessed too (issue 29)
            expected.append({"id": case_id, "line": k + 1, "outcome": "assessed" if sure else "?"})
    return "[\n" + ",\n".join(parts) + "\n]\n", expected


@fuzz(60)
@given(json_document_input(), st.sampled_from(["file", "stdin"]))
def test_json_documents_keep_the_contract(given_input, way):
    text, expected = given_input
    if way == "file":
        path = fresh_dir() / "cases.json"
        path.write_text(text)
        outcome = predict(input_path=str(path))
    else:
        outcome = predict(text.encode())
    outcome.check_contract(len(expected))
    check_in_order(outcome, expected)


# -- tables ------------------------------------------------------------------------------------

CELL_WORDS = {
    "bool": st.sampled_from(["true", "false", "yes", "no", "1", "0", "TRUE", "No"]),
    "enum": None,
    "int": st.integers(-5, 130).map(str),
    "float": st.floats(-10, 50).map(lambda x: f"{x:.3g}"),
}
CELL_JUNK = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n\x00"),
    max_size=10,
)


def cell(spec) -> st.SearchStrategy:
    words = st.sampled_from(spec.values) if spec.kind == "enum" else CELL_WORDS[spec.kind]
    return words | st.just("") | CELL_JUNK


@st.composite
def csv_input(draw) -> tuple[str, int]:
    names = draw(st.lists(st.sampled_from(list(FIELDS)), max_size=6, unique=True))
    rows = draw(st.integers(0, 6))
    writer_out = io.StringIO()
    writer = csv.writer(writer_out, lineterminator="\n")
    writer.writerow(["id", *names])
    for r in range(rows):
        writer.writerow([f"r{r}", *(draw(cell(FIELDS[name])) for name in names)])
    return writer_out.getvalue(), rows


@fuzz(60)
@given(csv_input(), st.sampled_from(["json", "parquet"]))
def test_csv_tables_keep_the_contract(given_input, out_kind):
    text, rows = given_input
    path = fresh_dir() / "cases.csv"
    path.write_text(text)
    if out_kind == "json":
        outcome = predict(input_path=str(path))
        outcome.check_contract(rows)
        ids = [r["id"] for r in outcome.records]
        lines = [r["line"] for r in outcome.records if "error" in r]
    else:
        out = fresh_dir() / "out.parquet"
        outcome = predict(input_path=str(path), output=out)
        assert outcome.code in (0, 65, 66) and outcome.stdout == b""
        if rows == 0:
            assert outcome.code == 66 and not out.exists()
            return
        table = pq.read_table(out).to_pydict()
        ids = table["id"]
        lines = [row for row, error in zip(table["row"], table["error"], strict=True) if error]
        assert table["row"] == list(range(1, rows + 1))
        assert outcome.code == (65 if lines else 0)
    assert ids == [f"r{r}" for r in range(rows)]
    assert all(1 <= line <= rows for line in lines)


PARQUET_TYPES = {
    "bool": (pa.bool_(), st.booleans()),
    "int": (pa.int64(), st.integers(-(2**40), 2**40)),
    "float": (pa.float64(), st.floats(allow_nan=True, allow_infinity=True)),
    "string": (pa.string(), CELL_JUNK),
}


@st.composite
def parquet_input(draw) -> tuple[pa.Table, int]:
    rows = draw(st.integers(0, 6))
    names = draw(st.lists(st.sampled_from(list(FIELDS)), max_size=5, unique=True))
    columns = {"id": pa.array([f"p{r}" for r in range(rows)])}
    for name in names:
        spec = FIELDS[name]
        if draw(st.booleans()):  # the column's own type, good values
            kind = {"bool": "bool", "enum": "string", "int": "int", "float": "float"}[spec.kind]
            values = [draw(valid_value(spec) | st.none()) for _ in range(rows)]
        else:
            kind = draw(st.sampled_from(list(PARQUET_TYPES)))
            values = [draw(PARQUET_TYPES[kind][1] | st.none()) for _ in range(rows)]
        columns[name] = pa.array(values, type=PARQUET_TYPES[kind][0])
    return pa.table(columns), rows


@fuzz(60)
@given(parquet_input())
def test_parquet_tables_keep_the_contract(given_input):
    table, rows = given_input
    path = fresh_dir() / "cases.parquet"
    pq.write_table(table, path)
    outcome = predict(input_path=str(path))
    outcome.check_contract(rows)
    assert [r["id"] for r in outcome.records] == [f"p{r}" for r in range(rows)]


# -- free text and flags -----------------------------------------------------------------------

any_text = st.lists(st.sampled_from(NEUTRAL_WORDS + list(RED_FLAG_WORDS)), max_size=4).map(
    " ".join
) | st.text(max_size=40)


@fuzz(30)
@given(st.lists(st.tuples(any_text, any_findings), min_size=1, max_size=3))
def test_free_text_keeps_the_contract(cases):
    lines = [json.dumps({"id": f"t{k}", "text": t, **f}) for k, (t, f) in enumerate(cases)]
    outcome = predict("\n".join(lines).encode())
    outcome.check_contract(len(cases))
    assert [r["id"] for r in outcome.records] == [f"t{k}" for k in range(len(cases))]
    single = predict(text=cases[0][0])
    single.check_contract(1)


FLAG_ARGS = st.lists(
    st.sampled_from(
        [
            ["--age", "40"],
            ["--age", "0"],
            ["--age", "forty"],
            ["--fever"],
            ["--no-fever"],
            ["--temperature-c", "39.5"],
            ["--temperature-c", "nan"],
            ["--trigger", "lifting"],
            ["--trigger", "lifting_heavy_object"],
            ["--saddle-numbness"],
            ["--sex", "male"],
            ["--pregnant"],
            ["--text", "I fainted [/]"],
            ["--fevr"],
            ["--days-since-onset", "1e400"],
            ["--age", "9" * 5000],
            ["-i", "-"],
        ]
    ),
    max_size=4,
)


@fuzz(25)
@given(FLAG_ARGS)
def test_flags_keep_the_contract(args):
    flat = [part for arg in args for part in arg]
    result = CliRunner().invoke(app, ["predict", "--format", "json", *flat], input="")
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2, 65, 66), result.output
    if result.exit_code in (0, 65):
        assert len(result.stdout.splitlines()) == 1


# -- red flags are monotone in every form ------------------------------------------------------

red_flag = st.sampled_from(sorted(RED_FLAGS, key=str))


def monotone(before: dict, after: dict, flag_level: str) -> None:
    assert "error" not in after, after
    assert rank(after["triage"]["level"]) >= rank(before["triage"]["level"])
    assert rank(after["triage"]["level"]) >= rank(flag_level)


@st.composite
def base_and_flag(draw) -> tuple[dict, str, object, str]:
    findings = draw(clean_findings)
    (name, value) = draw(red_flag)
    return findings, name, value, flag_level(name, value, findings)


def flag_level(name: str, value: object, findings: dict) -> str:
    """The level a red flag alone guarantees. Pain down both legs is an emergency unless this
    episode has lasted 90 days or more (chronic and stable: an appointment; GIRFT 2023, NICE
    NG59, issue 25 item 6)."""
    days = findings.get("days_since_onset")
    if (name, value) == ("radiating_leg_pain", "both_legs") and days is not None and days >= 90:
        return "consultation"
    return RED_FLAGS[(name, value)]


@fuzz(120)
@given(base_and_flag(), st.sampled_from(["json lines", "document", "envelope", "null"]))
def test_a_red_flag_never_lowers_triage_in_json(case, form):
    findings, name, value, level = case
    flagged = {**findings, name: value}
    if form == "envelope":
        records = [{"id": 1, "findings": findings}, {"id": 2, "findings": flagged}]
    elif form == "null":  # an explicit null elsewhere must not matter
        nulls = {other: None for other in FIELDS if other not in flagged}
        records = [{"id": 1, **findings}, {"id": 2, **nulls, **flagged}]
    else:
        records = [{"id": 1, **findings}, {"id": 2, **flagged}]
    if form == "document":
        path = fresh_dir() / "cases.json"
        path.write_text(json.dumps(records, indent=1))
        outcome = predict(input_path=str(path))
    else:
        outcome = predict("\n".join(json.dumps(r) for r in records).encode())
    before, after = outcome.records
    assert "error" not in before, before
    monotone(before, after, level)


@fuzz(60)
@given(base_and_flag(), st.sampled_from(["csv", "parquet"]))
def test_a_red_flag_never_lowers_triage_in_tables(case, kind):
    findings, name, value, level = case
    rows = [findings, {**findings, name: value}]
    names = sorted({n for row in rows for n in row})
    if kind == "csv":
        path = fresh_dir() / "cases.csv"
        with path.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(names)
            for row in rows:
                writer.writerow(["" if row.get(n) is None else _csv_cell(row[n]) for n in names])
    else:
        path = fresh_dir() / "cases.parquet"
        pq.write_table(pa.table({n: [row.get(n) for row in rows] for n in names}), path)
    outcome = predict(input_path=str(path))
    before, after = outcome.records
    assert "error" not in before, before
    monotone(before, after, level)


def _csv_cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


@fuzz(15)
@given(base_and_flag())
def test_a_red_flag_never_lowers_triage_through_flags(case):
    findings, name, value, level = case
    assume(any(v is not None for v in findings.values()))  # no flags at all reads stdin
    outcomes = []
    for case_findings in (findings, {**findings, name: value}):
        args = []
        for finding, given_value in case_findings.items():
            if given_value is None:
                continue
            option = "--" + finding.replace("_", "-")
            if given_value is True:
                args.append(option)
            elif given_value is False:
                args.append("--no-" + finding.replace("_", "-"))
            else:
                args += [
                    option,
                    repr(given_value) if isinstance(given_value, float) else str(given_value),
                ]
        result = CliRunner().invoke(app, ["predict", "--format", "json", *args])
        assert result.exit_code == 0, result.output
        outcomes.append(json.loads(result.stdout))
    monotone(*outcomes, level)


@fuzz(20)
@given(
    st.lists(st.sampled_from(NEUTRAL_WORDS), max_size=4), st.sampled_from(sorted(RED_FLAG_WORDS))
)
def test_a_red_flag_never_lowers_triage_in_free_text(sentences, words):
    base = " ".join(sentences)
    outcome = predict(
        "\n".join(
            json.dumps({"id": k, "text": t}) for k, t in enumerate([base, f"{base} {words}"])
        ).encode()
    )
    before, after = outcome.records
    assert "error" not in before
    monotone(before, after, RED_FLAG_WORDS[words])


# -- model files -------------------------------------------------------------------------------

odd_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.just(10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            yield from _paths(child, (*prefix, index))


CHAMPION = json.loads((ROOT / "src" / "backclf" / "published" / "champion.json").read_text())
MODEL_PATHS = [p for p in _paths(CHAMPION) if p]


@fuzz(80)
@given(
    st.lists(
        st.tuples(st.sampled_from(MODEL_PATHS), odd_json | st.just("<delete>")),
        min_size=1,
        max_size=3,
    )
)
def test_model_files_are_refused_in_one_line_or_keep_the_red_flags(changes):
    model = json.loads(json.dumps(CHAMPION))
    for path, value in changes:
        parent = model
        try:
            for part in path[:-1]:
                parent = parent[part]
            if value == "<delete>":
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    file = fresh_dir() / "model.json"
    file.write_text(json.dumps(model))
    outcome = predict(model_path=file, flags={"saddle_numbness": True, "age": 40})
    if outcome.code == 66:
        assert len(outcome.stderr.splitlines()) == 1 and outcome.stdout == b""
        return
    [record] = outcome.records
    assert record["triage"]["level"] == "emergency"
    assert all(math.isfinite(d["probability"]) for d in record["differential"])


# -- params.yaml -------------------------------------------------------------------------------

PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())
PARAM_PATHS = [p for p in _paths(PARAMS) if p]


@fuzz(80)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(PARAM_PATHS),
            odd_json | st.just("<delete>") | st.floats(-2, 2) | st.integers(-10, 10**8),
        ),
        min_size=1,
        max_size=3,
    )
    | st.text(max_size=40).map(lambda text: [("<text>", text)])
)
def test_params_are_accepted_or_refused_one_line_per_problem(changes):
    from backclf.pipeline.params import ParamsError, load_params

    path = fresh_dir() / "params.yaml"
    if changes[0][0] == "<text>":
        path.write_text(changes[0][1])
    else:
        params = json.loads(json.dumps(PARAMS))
        for where, value in changes:
            parent = params
            try:
                for part in where[:-1]:
                    parent = parent[part]
                if value == "<delete>":
                    del parent[where[-1]]
                else:
                    parent[where[-1]] = value
            except (KeyError, IndexError, TypeError):
                continue
        path.write_text(yaml.safe_dump(params))
    try:
        load_params(path)
    except ParamsError as exc:
        assert all(
            line.startswith("params.yaml") or str(path) in line for line in str(exc).splitlines()
        )


# -- the real program: forked workers and a pipe ----------------------------------------------


@fuzz(2)
@given(st.lists(BROKEN_LINES, min_size=1, max_size=20), st.randoms(use_true_random=False))
def test_a_large_file_through_the_workers_keeps_every_record_in_order(broken, rnd):
    n = 5000
    lines = [json.dumps({"id": i, "age": 1 + i % 100, "fever": i % 7 == 0}) for i in range(n)]
    places = sorted(rnd.sample(range(n), len(broken)))
    for place, line in zip(places, broken, strict=True):
        lines[place] = line
    path = fresh_dir() / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "backclf", "predict", "-i", str(path), "--format", "json"],
        capture_output=True,
        timeout=300,
    )
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 65 and b"Traceback" not in result.stderr
    assert len(out) == n
    assert [r["line"] for r in out if "error" in r] == [p + 1 for p in places]
    assert [r["id"] for r in out if "error" not in r] == [i for i in range(n) if i not in places]


@pytest.mark.parametrize("first", ['{"age": 40, "fever": tru', "[1, 2]"])
def test_a_pipe_is_answered_line_by_line(first):
    """A real pipe: after a bad first line, each case is answered before the next is sent."""
    process = subprocess.Popen(
        [sys.executable, "-m", "backclf", "predict", "--format", "json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        for line, want in [(first, None), ('{"id": 1, "saddle_numbness": true}', "emergency")]:
            process.stdin.write(line.encode() + b"\n")
            process.stdin.flush()
            answer = json.loads(process.stdout.readline())
            assert (answer.get("triage") or {}).get("level") == want
    finally:
        process.stdin.close()
        process.wait(timeout=60)
