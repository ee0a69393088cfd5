"""The command line: commands, input modes, the JSON contract, errors and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from backclf import knowledge
from backclf.cli.app import app
from backclf.contract.assessment import Assessment

runner = CliRunner()
CASES = [
    {"id": "a", "age": 40, "trigger": "lifting_heavy_object", "fever": False},
    {"id": "b", "age": 27, "sex": "female", "fever": True, "chills": True, "pain_side": "one_side"},
    {"id": "c", "saddle_numbness": True},
    {"id": "d", "age": 59, "restricted_movement": True, "worse_on_extension_or_twisting": True},
]


def invoke(args: list[str], stdin: str | None = None):
    return runner.invoke(app, args, input=stdin)


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_version():
    result = invoke(["--version"])
    assert result.exit_code == 0 and result.output.startswith("backclf ")


def test_causes_json_lists_five_causes_with_the_articles_advice(article_text):
    result = invoke(["causes", "--format", "json"])
    causes = json.loads(result.output)
    assert [c["id"] for c in causes] == list(knowledge.CAUSE_IDS)
    body = " ".join(article_text.split())
    for cause in causes:
        for sentence in cause["advice"]:
            assert " ".join(sentence.split()) in body


def test_schema_prints_valid_json_schema():
    from jsonschema import Draft202012Validator

    schemas = json.loads(invoke(["schema"]).stdout)
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    assert invoke(["schema", "nonsense"]).exit_code == 2


def test_redflags_lists_the_rules():
    rules = json.loads(invoke(["redflags", "--format", "json"]).stdout)
    assert {"fever_or_frequent_urination", "cauda_equina", "major_trauma"} <= {
        r["id"] for r in rules
    }
    assert "source:" in invoke(["redflags"]).output


def test_explain_prints_the_model_in_words():
    result = invoke(["explain"])
    assert result.exit_code == 0
    assert "Strongest findings" in result.output and "Pyelonephritis" in result.output


def test_predict_from_flags_follows_the_contract():
    result = invoke(
        [
            "predict",
            "--trigger",
            "lifting_heavy_object",
            "--no-fever",
            "--age",
            "40",
            "--format",
            "json",
        ]
    )
    assert result.exit_code == 0, result.output
    (record,) = lines(result.stdout)
    Assessment.model_validate(record)
    assert record["cause"]["id"] == "excessive_loading"
    assert abs(sum(d["probability"] for d in record["differential"]) - 1) < 1e-3
    assert [d["probability"] for d in record["differential"]] == sorted(
        [d["probability"] for d in record["differential"]], reverse=True
    )


def test_red_flag_overrides_whatever_the_model_says():
    result = invoke(
        ["predict", "--trigger", "lifting_heavy_object", "--saddle-numbness", "--format", "json"]
    )
    (record,) = lines(result.stdout)
    # go now; whether to call an ambulance (fainting, a pulsating lump) is still to be asked
    assert record["triage"] == {"level": "emergency", "overridden": True, "screened": False}
    assert record["advice"]["urgent"][0] == record["red_flags"][0]["message"]


def _assessments_by_mode(tmp_path) -> dict[str, list[dict]]:
    jsonl = "\n".join(json.dumps(c) for c in CASES)
    out = {"jsonl": lines(invoke(["predict", "--format", "json"], stdin=jsonl).stdout)}
    (tmp_path / "cases.jsonl").write_text(jsonl)
    out["file"] = lines(
        invoke(["predict", "-i", str(tmp_path / "cases.jsonl"), "--format", "json"]).stdout
    )
    out["array"] = lines(
        invoke(["predict", "--format", "json"], stdin=json.dumps(CASES, indent=2)).stdout
    )
    table = _full_table()
    pq.write_table(table, tmp_path / "cases.parquet")
    pcsv.write_csv(table, tmp_path / "cases.csv")
    for kind in ("parquet", "csv"):
        out[kind] = lines(invoke(["predict", "-i", str(tmp_path / f"cases.{kind}")]).stdout)
    out["flags"] = []
    for case in CASES:
        args = ["predict", "--format", "json"]
        for key, value in case.items():
            if key == "id":
                continue
            flag = "--" + key.replace("_", "-")
            if value is True:
                args.append(flag)
            elif value is False:
                args.append("--no-" + key.replace("_", "-"))
            else:
                args += [flag, str(value)]
        (record,) = lines(invoke(args).stdout)
        record["id"] = case["id"]
        out["flags"].append(record)
    return out


def test_every_input_mode_gives_identical_assessments(tmp_path):
    modes = _assessments_by_mode(tmp_path)
    reference = modes.pop("jsonl")
    assert len(reference) == len(CASES)
    for mode, records in modes.items():
        assert records == reference, mode


def _full_table() -> pa.Table:
    columns = sorted({k for c in CASES for k in c})
    return pa.Table.from_pylist([{k: c.get(k) for k in columns} for c in CASES])


def test_table_output_matches_the_json_assessments(tmp_path):
    table = _full_table()
    pq.write_table(table, tmp_path / "in.parquet")
    result = invoke(
        ["predict", "-i", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "out.parquet")]
    )
    assert result.exit_code == 0, result.output
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    reference = lines(
        invoke(
            ["predict", "--format", "json"], stdin="\n".join(json.dumps(c) for c in CASES)
        ).stdout
    )
    for row, record in zip(rows, reference, strict=True):
        assert row["id"] == record["id"]
        assert row["triage_level"] == record["triage"]["level"]
        assert row["red_flags"] == [f["id"] for f in record["red_flags"]]
        assert row["cause"] == (record["cause"] or {}).get("id")
        for item in record["differential"]:
            assert row[f"p_{item['id']}"] == pytest.approx(item["probability"], abs=1e-4)
    csv_result = invoke(
        ["predict", "-i", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "out.csv")]
    )
    assert csv_result.exit_code == 0 and (tmp_path / "out.csv").read_text().count("\n") == 5


def test_bad_lines_become_error_records_in_place():
    stdin = "\n".join(
        [
            json.dumps(CASES[0]),
            "{not json",
            json.dumps({"fevr": True, "id": 7}),
            json.dumps(CASES[1]),
        ]
    )
    result = invoke(["predict", "--format", "json"], stdin=stdin)
    assert result.exit_code == 65
    records = lines(result.stdout)
    assert [("error" in r) for r in records] == [False, True, True, False]
    assert records[1]["line"] == 2 and records[1]["error"].startswith("malformed JSON")
    assert records[2] == {
        "id": 7,
        "line": 3,
        "error": "unknown finding 'fevr'; did you mean 'fever'?",
    }
    assert "2 of 4 cases could not be assessed" in result.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        (["predict", "-i", "/nonexistent/cases.jsonl"], None, 66, "no such file"),
        (["predict", "-i", "{tmp}/cases.xlsx"], None, 66, "unknown file type"),
        (["predict", "-i", "{tmp}/empty.jsonl"], None, 66, "empty input"),
        (["predict", "--model", "/nonexistent/model.json", "--age", "3"], None, 66, "cannot read"),
        (["predict", "--age", "3", "-i", "x.jsonl"], None, 2, "not both"),
        (["predict", "--age", "old"], None, 2, ""),
        (["predict", "--fevr"], None, 2, ""),
        (["predict", "--format", "json"], "", 66, "empty input"),
    ],
)
def test_input_errors_are_clear_and_exit_codes_documented(tmp_path, args, stdin, code, message):
    (tmp_path / "cases.xlsx").write_bytes(b"PK")
    (tmp_path / "empty.jsonl").write_text("")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = invoke(args, stdin=stdin)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output


# Strings JSON can carry but that are awkward to write back: lone surrogates (valid JSON
# escapes, not characters), line separators, NUL, right-to-left marks.
awkward_strings = st.sampled_from(["\ud800", "a\udc00b", "x\u2028y", "\x85", "\x00", "\u202e"])
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | awkward_strings,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = (
    st.sampled_from(
        [
            "age",
            "fever",
            "sex",
            "trigger",
            "temperature_c",
            "id",
            "text",
            "findings",
            "pain_severity",
        ]
    )
    | st.text(max_size=12)
    | awkward_strings
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.dictionaries(field_names, json_values, max_size=6) | json_values, min_size=1, max_size=5
    )
)
# Found by this test (issue 20): a bad first line made the reader take the whole input for one
# pretty-printed document, so `null` then a lone surrogate gave the wrong records. Each line
# is one record; a one-line array is one (bad) case.
@example([None, "\ud800"])
@example([[None, "\ud800"]])
@example(["\ud800", None, {"age": 40}])
def test_fuzzed_json_never_crashes(records):
    stdin = "\n".join(json.dumps(r) for r in records)
    result = invoke(["predict", "--format", "json"], stdin=stdin)
    assert result.exit_code in (0, 65), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(lines(result.stdout)) == len(records)


def _run(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backclf", *args], input=stdin, capture_output=True, timeout=120
    )


def test_predict_does_not_import_heavy_libraries():
    code = (
        "import sys, runpy; sys.argv=['backclf','predict','--age','40','--format','json'];"
        "\ntry: runpy.run_module('backclf', run_name='__main__')"
        "\nexcept SystemExit: pass"
        "\nheavy=[m for m in ('sklearn','pandas','mlflow','scipy','matplotlib','spacy') "
        "if m in sys.modules]; print('HEAVY', heavy, file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert "HEAVY []" in result.stderr, result.stderr
    assert json.loads(result.stdout)["schema_version"] == "1"


def test_ten_thousand_lines_with_a_hundred_corrupted(tmp_path):
    rows = []
    for i in range(10_000):
        if i % 100 == 37:
            rows.append('{"age": 40, "fever": tru' if i % 200 == 37 else '{"age": "forty"}')
        else:
            rows.append(json.dumps({**CASES[i % len(CASES)], "id": i}))
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(rows) + "\n")
    result = _run(["predict", "--input", str(path), "--format", "json"])
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 65
    assert len(out) == 10_000
    assert sum("error" in r for r in out) == 100
    assert [r["line"] for r in out if "error" in r] == [i + 1 for i in range(37, 10_000, 100)]
    assert [r["id"] for r in out if "error" not in r] == [i for i in range(10_000) if i % 100 != 37]
    assert b"100 of 10000 cases could not be assessed" in result.stderr


def test_streaming_answers_each_line_as_it_arrives():
    process = subprocess.Popen(
        [sys.executable, "-m", "backclf", "predict", "--format", "json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        for case in CASES[:2]:
            process.stdin.write(json.dumps(case) + "\n")
            process.stdin.flush()
            answer = json.loads(process.stdout.readline())
            assert answer["id"] == case["id"]
    finally:
        process.stdin.close()
        process.wait(timeout=60)
    assert process.returncode == 0


def test_generate_writes_valid_vignettes_and_a_summary(tmp_path):
    out = tmp_path / "v.parquet"
    result = invoke(
        [
            "generate",
            "--n",
            "800",
            "--seed",
            "3",
            "--out",
            str(out),
            "--text",
            "heldout",
            "--chunk-size",
            "300",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Bayes ceiling" in result.output and "unknown findings" in result.output
    table = pq.read_table(out)
    assert table.num_rows == 800 and "text" in table.column_names
    assert invoke(["generate", "--n", "5", "--out", str(out), "--text", "poetry"]).exit_code == 2


def _words(text: str) -> str:
    """The view's words without its frame (rich wraps lines inside a panel)."""
    return " ".join(text.replace("│", " ").replace("╭", " ").replace("╰", " ").split())


def test_pretty_view_leads_with_the_triage_banner_and_disclaimer():
    flags = ["--saddle-numbness", "--age", "44", "--trigger", "lifting_heavy_object"]
    result = invoke(["predict", *flags, "--format", "pretty"])
    assert result.exit_code == 0
    text = _words(result.stdout)
    banner = text.index("GO TO AN EMERGENCY DEPARTMENT NOW (red flag)")
    urgent = text.index("! Go to an emergency department now. Numbness or altered feeling")
    withheld = text.index("A red flag applies: follow the urgent advice first.")
    assert banner < urgent < withheld < text.index("Likely cause")
    assert "What to do" not in text and "rest in bed" not in text
    assert "not a diagnosis" in text


def test_pretty_view_shows_the_articles_words_then_the_note():
    result = invoke(
        ["predict", "--trigger", "lifting_heavy_object", "--age", "40", "--format", "pretty"]
    )
    text = _words(result.stdout)
    advice = text.index("What to do: Put down the heavy object, rest in bed,")
    assert advice < text.index("Note: Current guidance advises people with low back pain to keep")
    assert "NICE NG59" in text


def test_model_option_serves_another_model_file(tmp_path, model):
    from backclf.core.model import dumps_model

    strict_file = model.file.model_copy(
        update={"decision": model.file.decision.model_copy(update={"abstain_below": 0.99})}
    )  # a stricter copy: it abstains on this case
    path = tmp_path / "strict.json"
    path.write_text(dumps_model(strict_file))
    args = ["predict", "--trigger", "lifting_heavy_object", "--format", "json"]
    default = json.loads(invoke(args).stdout)
    strict = json.loads(invoke([*args, "--model", str(path)]).stdout)
    assert default["cause"] is not None and strict["cause"] is None
    assert strict["model"]["sha256"] != default["model"]["sha256"]


def test_tables_stream_in_batches_and_keep_their_order(tmp_path, monkeypatch):
    import backclf.io.tables

    monkeypatch.setattr(backclf.io.tables, "BATCH_ROWS", 97)
    rows = [{**CASES[i % len(CASES)], "id": f"case-{i}"} for i in range(1000)]
    rows[500]["age"] = 400  # one bad row, reported in place
    columns = sorted({k for r in rows for k in r})
    pq.write_table(
        pa.Table.from_pylist([{k: r.get(k) for k in columns} for r in rows]),
        tmp_path / "in.parquet",
        row_group_size=97,
    )
    result = invoke(
        ["predict", "-i", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "out.parquet")]
    )
    assert result.exit_code == 65
    out = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert [r["row"] for r in out] == list(range(1, 1001))
    assert [r["id"] for r in out] == [r["id"] for r in rows]
    assert [i for i, r in enumerate(out) if r["error"]] == [500]
    assert out[500]["triage_level"] is None and out[501]["triage_level"] is not None


def test_json_lines_encoding_round_trips_exactly(model):
    """The line encoder (which reuses the encoding of repeated advice) loses nothing."""
    from backclf.contract.columns import row_findings
    from backclf.core.decide import assess_batch
    from backclf.core.records import records
    from backclf.io.encode import to_json_line
    from backclf.synth.config import GenerationConfig
    from backclf.synth.sampler import sample_rows

    sample = sample_rows(GenerationConfig(seed=4, red_flag_rate=0.3), 0, 600)
    decisions = assess_batch(sample.columns, model)
    for record in records(decisions, [f"c{i}" for i in range(600)]):
        line = to_json_line(record)
        assert "\n" not in line
        assert json.loads(line) == record and list(json.loads(line)) == list(record)
    weird = {"id": "a\u2028b", "line": 1, "error": "x\u0085y"}
    assert "\u2028" not in to_json_line(weird) and json.loads(to_json_line(weird)) == weird
    assert row_findings(sample.columns, 0) is not None


def test_output_that_cannot_be_written_is_a_clear_error(tmp_path):
    result = invoke(["predict", "--age", "40", "-o", str(tmp_path / "missing" / "out.jsonl")])
    assert result.exit_code == 73
    assert "cannot write" in result.output and "Traceback" not in result.output


def test_process_defaults_belong_to_the_program_not_the_library():
    code = (
        "import os, sys, runpy\n"
        "import backclf.core.decide\n"
        "print('LIBRARY', os.environ.get('OPENBLAS_NUM_THREADS'))\n"
        "sys.argv = ['backclf', '--version']\n"
        "try: runpy.run_module('backclf', run_name='__main__')\n"
        "except SystemExit: pass\n"
        "print('PROGRAM', os.environ.get('OPENBLAS_NUM_THREADS'),"
        " os.environ.get('PYDANTIC_DISABLE_PLUGINS'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYDANTIC_DISABLE_PLUGINS"] = ""  # a user's own setting wins
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert "LIBRARY None" in result.stdout
    assert "PROGRAM 1 \n" in result.stdout, result.stdout


@pytest.fixture(scope="module")
def big_jsonl(tmp_path_factory):
    """Enough lines for the worker processes (which write their chunks in turn)."""
    path = tmp_path_factory.mktemp("big") / "cases.jsonl"
    rows = [json.dumps({**CASES[i % len(CASES)], "id": i}) for i in range(6_000)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_workers_write_in_order_to_a_pipe_or_a_file(big_jsonl, tmp_path):
    piped = _run(["predict", "--input", str(big_jsonl), "--format", "json"])
    assert piped.returncode == 0, piped.stderr
    assert [json.loads(line)["id"] for line in piped.stdout.splitlines()] == list(range(6_000))
    out = tmp_path / "out.jsonl"
    to_file = _run(["predict", "--input", str(big_jsonl), "--output", str(out)])
    assert to_file.returncode == 0 and out.read_bytes() == piped.stdout
    single = _run(
        ["predict", "--format", "json"],
        stdin=b"".join(line + b"\n" for line in big_jsonl.read_bytes().splitlines()[:50]),
    )
    assert single.stdout == b"".join(piped.stdout.splitlines(keepends=True)[:50])


def test_workers_stop_cleanly_when_the_reader_goes_away(big_jsonl):
    process = subprocess.Popen(
        [sys.executable, "-m", "backclf", "predict", "--input", str(big_jsonl), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert json.loads(process.stdout.readline())["id"] == 0
    process.stdout.close()
    assert process.wait(timeout=120) == 0
    assert b"Traceback" not in process.stderr.read()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_workers_report_an_output_that_cannot_be_written(big_jsonl):
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [sys.executable, "-m", "backclf", "predict", "-i", str(big_jsonl), "--format", "json"],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    assert result.returncode == 73
    assert b"cannot write" in result.stderr and b"Traceback" not in result.stderr


def test_a_lone_surrogate_is_malformed_input_in_its_place():
    stdin = (
        "\n".join(
            [
                json.dumps({"id": "a", "age": 40}),
                '{"id": "\\ud800", "age": 40}',
                '{"sex": "\\udc00"}',
            ]
        )
        + "\n"
        + json.dumps({"id": "\U0001f600", "age": 30})
    )
    result = _run(["predict", "--format", "json"], stdin=stdin.encode())
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 65 and b"Traceback" not in result.stderr
    assert [r.get("id") for r in out] == ["a", None, None, "\U0001f600"]
    assert [r.get("line") for r in out if "error" in r] == [2, 3]
    assert "surrogate" in out[1]["error"]
    document = _run(["predict", "--format", "json"], stdin=b'[\n{"age": 40},\n{"id": "\\ud800"}\n]')
    assert (
        document.returncode == 65
        and "surrogate" in json.loads(document.stdout.splitlines()[1])["error"]
    )
    # One line of input is one case, always: a one-line array is one (bad) case.
    one_line = _run(["predict", "--format", "json"], stdin=b'[{"age": 40}, {"id": "\\ud800"}]')
    (record,) = [json.loads(line) for line in one_line.stdout.splitlines()]
    assert record["line"] == 1 and "surrogate" in record["error"]


def test_text_that_is_not_unicode_is_an_error_not_a_crash():
    for fmt in ("json", "pretty"):
        result = invoke(["predict", "--age", "40", "--text", "sore \udcff back", "--format", fmt])
        assert result.exit_code == 65, result.output
        assert "not valid Unicode" in result.output and "Traceback" not in result.output


def test_one_process_and_the_workers_write_the_same_bytes(big_jsonl):
    """An output without a file descriptor (here CliRunner's) is written by this process."""
    workers = _run(["predict", "--input", str(big_jsonl), "--format", "json"])
    here = invoke(["predict", "--input", str(big_jsonl), "--format", "json"])
    assert here.exit_code == workers.returncode == 0
    assert here.stdout_bytes == workers.stdout
