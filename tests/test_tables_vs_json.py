"""A table gives, row for row, what JSON Lines give for the same cases: bad rows in place, and
every good row's triage, red flags, cause and probabilities the same, whatever the table's
kind and whatever kind of output (a table, or JSON records).

The cases put bad rows between red-flag cases, and the triage each good row must reach is
written here by hand, so rows that shift after a bad one are caught even where both paths
shared the shift.
"""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from backclf.cli.app import app
from backclf.knowledge import CAUSE_IDS

#: (case, the triage it must reach by hand, or None for a bad row)
CASES: list[tuple[dict, str | None]] = [
    ({"id": "r1", "age": 40, "trigger": "lifting_heavy_object"}, "self_care"),
    ({"id": "r2", "age": 200}, None),  # out of range
    ({"id": "r3", "saddle_numbness": True, "trigger": "lifting_heavy_object"}, "emergency"),
    ({"id": "r4", "trigger": "bending_or_twisting", "spasm": True, "age": 35}, "self_care"),
    ({"id": "r5", "fever": True, "frequent_urination": True}, "consultation_24"),
    # answers that disagree: read as a pregnant woman (the contract's resolution), not refused
    ({"id": "r6", "pregnant": True, "sex": "male"}, "self_care"),
    ({"id": "r7", "fainting_or_collapse": True, "age": 68}, "emergency_ambulance"),
    ({"id": "r8", "age": 70, "trigger": "bending_or_twisting"}, "consultation"),
    ({"id": "r9", "age": 200, "saddle_numbness": True}, None),
    ({"id": "r10", "age": 40, "trigger": "prolonged_posture"}, "self_care"),
    # implied findings, derived on the table's columns: fever from 38.0 C, weakness of a leg
    # from weakness of both
    ({"id": "r11", "temperature_c": 38.5, "age": 40}, "consultation_24"),
    ({"id": "r12", "bilateral_leg_weakness": True, "age": 40}, "emergency"),
    (
        {"id": "r13", "temperature_c": 37.5, "age": 40, "trigger": "lifting_heavy_object"},
        "self_care",
    ),
]
#: A rule each of these rows must fire, by hand.
MUST_FIRE = {
    "r3": "cauda_equina",
    "r5": "fever_or_frequent_urination",
    "r7": "collapse_with_back_pain",
    "r8": "osteoporotic_fracture",
    "r11": "fever_or_frequent_urination",
    "r12": "bilateral_leg_weakness",
}
FINDINGS = sorted({k for case, _ in CASES for k in case if k != "id"})
KINDS = {
    "age": pa.int64(),
    "trigger": pa.string(),
    "sex": pa.string(),
    "temperature_c": pa.float64(),
}
runner = CliRunner()


def json_lines_records() -> list[dict]:
    stdin = "".join(json.dumps(case) + "\n" for case, _ in CASES)
    result = runner.invoke(app, ["predict", "--format", "json"], input=stdin)
    assert result.exit_code == 65, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def write_csv(path) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", *FINDINGS])
        for case, _ in CASES:
            cells = [case.get(name) for name in FINDINGS]
            writer.writerow([case["id"], *("" if v is None else str(v).lower() for v in cells)])


def write_parquet(path) -> None:
    columns = {"id": pa.array([case["id"] for case, _ in CASES])}
    for name in FINDINGS:
        kind = KINDS.get(name, pa.bool_())
        columns[name] = pa.array([case.get(name) for case, _ in CASES], kind)
    pq.write_table(pa.table(columns), path)


@pytest.fixture(scope="module")
def expected() -> list[dict]:
    records = json_lines_records()
    assert [r["id"] for r in records] == [case["id"] for case, _ in CASES]
    for record, (_, level) in zip(records, CASES, strict=True):
        if level is None:
            assert "error" in record
        else:
            assert record["triage"]["level"] == level, record["id"]
            fired = [flag["id"] for flag in record["red_flags"]]
            assert (MUST_FIRE.get(record["id"]) in fired) or record["id"] not in MUST_FIRE
            assert bool(fired) == (record["id"] in MUST_FIRE), (record["id"], fired)
    return records


def flat(record: dict) -> dict:
    """What a table row must hold for this JSON record."""
    if "error" in record:
        return {"id": record["id"], "error": record["error"], "triage_level": None}
    p = {d["id"]: d["probability"] for d in record["differential"]}
    return {
        "id": record["id"],
        "error": None,
        "triage_level": record["triage"]["level"],
        "triage_overridden": record["triage"]["overridden"],
        "red_flags": [f["id"] for f in record["red_flags"]],
        "cause": record["cause"]["id"] if record["cause"] else None,
        "cause_probability": record["differential"][0]["probability"],
        **{f"p_{c}": p[c] for c in CAUSE_IDS},
    }


def same_row(row: dict, want: dict) -> None:
    got = {k: row.get(k) for k in want}
    for name in [k for k in want if k.endswith("probability") or k.startswith("p_")]:
        assert got[name] == pytest.approx(want[name], abs=1e-4), (want["id"], name)
        got[name] = want[name]
    assert got == want


@pytest.mark.parametrize("table_kind", ["csv", "parquet"])
@pytest.mark.parametrize("out_kind", ["parquet", "csv", "json"])
def test_every_table_row_is_the_json_lines_record_for_its_case(
    tmp_path, expected, table_kind, out_kind
):
    source = tmp_path / f"cases.{table_kind}"
    (write_csv if table_kind == "csv" else write_parquet)(source)
    args = ["predict", "--input", str(source)]
    if out_kind == "json":
        result = runner.invoke(app, [*args, "--format", "json"])
        assert result.exit_code == 65, result.output
        records = [json.loads(line) for line in result.stdout.splitlines()]
        assert records == expected
        return
    output = tmp_path / f"out.{out_kind}"
    result = runner.invoke(app, [*args, "--output", str(output)])
    assert result.exit_code == 65, result.output
    if out_kind == "parquet":
        rows = pq.read_table(output).to_pylist()
    else:
        options = pacsv.ConvertOptions(strings_can_be_null=True)
        rows = pacsv.read_csv(output, convert_options=options).to_pylist()
        for row in rows:
            flags = row["red_flags"]
            row["red_flags"] = None if row["error"] else (flags.split(";") if flags else [])
    assert [r["row"] for r in rows] == list(range(1, len(CASES) + 1))
    for row, record in zip(rows, expected, strict=True):
        same_row(row, flat(record))
