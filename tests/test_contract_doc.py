"""docs/contract.md (for people) and `backclf schema` (for machines) name the same fields."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from backclf.cli.app import app
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS

DOC = Path(__file__).resolve().parents[1] / "docs" / "contract.md"


def sections() -> dict[str, str]:
    """The document's ``## `` sections by heading."""
    parts = re.split(r"^## (.+)$", DOC.read_text(encoding="utf-8"), flags=re.M)
    return {heading.strip(): body for heading, body in zip(parts[1::2], parts[2::2], strict=True)}


def table(heading: str) -> dict[str, list[str]]:
    """The rows of the section's table, keyed by the backticked name in the first cell."""
    rows = {}
    for line in sections()[heading].splitlines():
        match = re.match(r"^\| `([^`]+)` \|(.*)\|\s*$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in re.split(r"(?<!\\)\|", match[2])]
    return rows


def schema_paths(node: dict[str, Any], defs: dict[str, Any], prefix: str = "") -> set[str]:
    """Every field path of a JSON Schema object: ``a``, ``a.b``, ``a[].b``."""
    paths = set()
    for name, spec in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        paths.add(path)
        for inner, suffix in _objects_within(spec, defs):
            paths |= schema_paths(inner, defs, f"{path}{suffix}.")
    return paths


def _objects_within(spec: dict[str, Any], defs: dict[str, Any]):
    """The object schemas a property holds, directly (``.``) or as list items (``[].``)."""
    if "$ref" in spec:
        yield from _objects_within(defs[spec["$ref"].rsplit("/", 1)[-1]], defs)
    for option in spec.get("anyOf", []):
        yield from _objects_within(option, defs)
    if spec.get("type") == "object" and "properties" in spec:
        yield spec, ""
    if spec.get("type") == "array" and "items" in spec:
        for inner, suffix in _objects_within(spec["items"], defs):
            yield inner, "[]" + suffix


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_finding_in_the_doc_is_in_the_schema_and_back(schema):
    documented = table("Findings (input)")
    assert set(documented) == schema_paths(schema["input"], {})


def test_the_docs_enum_values_and_ranges_are_the_schemas(schema):
    for name, (kind, _meaning) in table("Findings (input)").items():
        spec = next(o for o in schema["input"]["properties"][name]["anyOf"] if "type" in o)
        if "enum" in spec:
            assert re.findall(r"`([^`]+)`", kind) == spec["enum"], name
        elif spec["type"] == "boolean":
            assert kind == "bool", name
        else:
            low, high = re.search(r"([\d.]+)\.\.([\d.]+)", kind).groups()
            assert (float(low), float(high)) == (spec["minimum"], spec["maximum"]), name
            assert kind.startswith("integer" if spec["type"] == "integer" else "number"), name


def test_every_assessment_field_in_the_doc_is_in_the_schema_and_back(schema):
    documented = table("Assessment (output)")
    assert set(documented) == schema_paths(schema["output"], schema["output"]["$defs"])


def test_every_error_record_field_in_the_doc_is_in_the_schema_and_back(schema):
    documented = table("Error record (output, in place of an assessment)")
    assert set(documented) == schema_paths(schema["error"], {})


def test_the_table_columns_in_the_doc_are_the_contracts(schema):
    from backclf.contract.assessment import TABLE_COLUMNS

    documented = table("Table columns (CSV, Parquet, the MLflow model)")
    assert list(documented) == [c.name for c in TABLE_COLUMNS]
    words = {"list<string>": "list of strings"}
    for column in TABLE_COLUMNS:
        kind, meaning = documented[column.name]
        assert kind == words.get(column.type, column.type), column.name
        assert meaning in ("", column.description) or column.name.startswith("p_"), column.name


def test_the_docs_examples_are_valid_records(schema):
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assessment, error = (json.loads(block) for block in blocks)
    jsonschema.validate(assessment, schema["output"])
    jsonschema.validate(error, schema["error"])


def test_cause_ids_and_triage_levels_are_the_knowledge_files():
    assert tuple(table("Cause ids")) == CAUSE_IDS
    assert tuple(table("Triage levels"))[::-1] == TRIAGE_LEVELS


# -- `triage.overridden`, pinned by the contract's own examples -------------------------------


def overridden_examples() -> list[tuple[dict, str, bool]]:
    """The rows of the contract's table of `triage.overridden` examples."""
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- overridden examples:", 1)[1].split("<!-- end of", 1)[0]
    rows = []
    for line in block.splitlines():
        match = re.match(r"^\| \d+ \| `(\{.*\})` \| `(\w+)` \| `(true|false)` \|", line)
        if match:
            rows.append((json.loads(match[1]), match[2], match[3] == "true"))
    return rows


def test_the_overridden_examples_cover_a_tie_and_a_model_above_the_rules():
    rows = overridden_examples()
    assert len(rows) >= 8
    # a tie is the rule's: the article's fever rule with the model's likely kidney infection
    assert ({"fever": True, "frequent_urination": True}, "consultation_24", True) in rows
    # a rule that fired below the model's level does not override
    assert any(
        level == "consultation_24" and not flag and findings for findings, level, flag in rows
    )
    assert ({}, "self_care", False) in rows


@pytest.mark.parametrize(("findings", "level", "overridden"), overridden_examples())
def test_overridden_means_what_the_contract_says(findings, level, overridden):
    from backclf.core.decide import assess

    result = assess(findings)
    assert (result.triage.level, result.triage.overridden) == (level, overridden)
    if overridden:
        assert result.red_flags and result.red_flags[0].level == level
    else:
        assert all(
            TRIAGE_LEVELS.index(f.level) < TRIAGE_LEVELS.index(level) for f in result.red_flags
        )
