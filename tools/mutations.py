"""Ten deliberate bugs in the safety claims (issue 20): each must turn the tests red.

Each mutation is applied to a temporary copy of the repository's tracked files (the working
tree's versions), then the safety tests run against that copy (``PYTHONPATH`` puts the
copy's ``src`` first, so the installed package is not used). A mutation that the tests let
through is a hole in the suite: the script exits 1 and names it.

    .venv/bin/python tools/mutations.py            # all ten, table on stdout
    .venv/bin/python tools/mutations.py --write    # also writes reports/mutations.md

The tests each mutation runs are the fast safety files (``SAFETY_TESTS``; the MLflow model's
tests for its own mutation), stopping at the first failure. Broad mutation testing of the
safety core is mutmut's job (``tools/mutation.sh``, ``reports/mutation.md``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"

#: Fast test files that pin the safety claims (no pipeline, no install, no sensitivity study).
SAFETY_TESTS = (  # the deterministic hand-written tables first, hypothesis after them
    "tests/test_red_flag_cases.py",
    "tests/test_advice_article.py",
    "tests/test_contract_doc.py",
    "tests/test_tables_vs_json.py",
    "tests/test_contract_messages.py",
    "tests/test_case.py",
    "tests/test_knowledge.py",
    "tests/test_architecture.py",
    "tests/test_safety.py",
    "tests/test_cli.py",
)


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    change: Callable[[str], str]
    tests: tuple[str, ...] = SAFETY_TESTS


def replace(old: str, new: str) -> Callable[[str], str]:
    """Replace exactly one occurrence of ``old`` (a mutation that misses is an error)."""

    def change(text: str) -> str:
        if text.count(old) != 1:
            raise SystemExit(f"mutation does not apply: {old!r} found {text.count(old)} times")
        return text.replace(old, new)

    return change


def swap_advice(first: str, second: str) -> Callable[[str], str]:
    """Swap the ``advice:`` lists of two causes in article.yaml."""

    def block(text: str, cause: str) -> re.Match:
        found = re.search(rf"  - id: {cause}\n(?:.*\n)*?(    advice:\n(?:      .*\n)+)", text)
        if found is None:
            raise SystemExit(f"mutation does not apply: no advice for {cause}")
        return found

    def change(text: str) -> str:
        a, b = block(text, first), block(text, second)
        (a_start, a_end), (b_start, b_end) = a.span(1), b.span(1)
        assert a_end <= b_start
        return text[:a_start] + b.group(1) + text[a_end:b_start] + a.group(1) + text[b_end:]

    return change


def delete_rule(rule_id: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        pattern = rf"  - id: {rule_id}\n(?:    .*\n|      .*\n|\s*\n)*?(?=  - id: )"
        mutated, count = re.subn(pattern, "", text)
        if count != 1:
            raise SystemExit(f"mutation does not apply: rule {rule_id} not found once")
        return mutated

    return change


RED_FLAGS = "src/backclf/knowledge/red_flags.yaml"
MUTATIONS = (
    Mutation(
        "remove the `both_legs` condition from the cauda equina rule",
        RED_FLAGS,
        replace(
            "        - {bladder_or_bowel_control_loss: true}\n"
            "        - {radiating_leg_pain: both_legs}\n"
            "    message: Go to an emergency department now. Numbness",
            "        - {bladder_or_bowel_control_loss: true}\n"
            "    message: Go to an emergency department now. Numbness",
        ),
    ),
    Mutation(
        "delete the `infection_in_pregnancy` rule", RED_FLAGS, delete_rule("infection_in_pregnancy")
    ),
    Mutation(
        "make the collapse rule never fire",
        RED_FLAGS,
        replace(
            "    when: {fainting_or_collapse: true}",
            '    when: {all: [{fainting_or_collapse: true}, {age: {">": 500}}]}',
        ),
    ),
    Mutation(
        "`overridden` computed with `>` instead of `>=`",
        "src/backclf/core/decide.py",
        replace("(rule_rank >= model_rank)", "(rule_rank > model_rank)"),
    ),
    Mutation(
        "the MLflow model silently drops unknown columns",
        "src/backclf/pipeline/mlflow_model.py",
        replace(
            "if k not in GENERATED_COLUMNS}",
            "if k not in GENERATED_COLUMNS\n"
            "            and (k in __import__('backclf.contract.fields').contract.fields.FIELDS"
            " or k in ('id', 'text'))}",
        ),
        ("tests/test_mlflow_model.py",),
    ),
    Mutation(
        "swap the advice of two causes in `article.yaml`",
        "src/backclf/knowledge/article.yaml",
        swap_advice("sudden_postural_change", "excessive_loading"),
    ),
    Mutation(
        "table output: after a bad row, triage levels shift by one row",
        "src/backclf/io/tables.py",
        replace(
            "level = spread(decisions.level, -1)",
            "level = spread(np.roll(decisions.level, 1) if errors else decisions.level, -1)",
        ),
    ),
    Mutation(
        "an environment variable in `knowledge/__init__.py` turns saddle numbness into self_care",
        "src/backclf/knowledge/__init__.py",
        replace(
            '    return RedFlagRules.model_validate(read_yaml("red_flags.yaml"))',
            "    from os import environ\n\n"
            '    data = read_yaml("red_flags.yaml")\n'
            '    if environ.get("BACKCLF_CALM"):\n'
            '        for rule in data["rules"]:\n'
            '            if rule["id"] == "cauda_equina":\n'
            '                rule["level"] = "self_care"\n'
            "    return RedFlagRules.model_validate(data)",
        ),
    ),
    Mutation(
        "`>=` to `>` in the rule comparisons",
        "src/backclf/core/red_flags.py",
        replace('{">=": operator.ge,', '{">=": operator.gt,'),
    ),
    Mutation(
        "`parse_case` drops unknown fields",
        "src/backclf/contract/findings.py",
        replace(
            "codes = derive_codes(check_record(data))",
            "codes = derive_codes(check_record({k: v for k, v in data.items() if k in FIELDS}))",
        ),
    ),
)


def tracked_copy(into: Path) -> None:
    """The tracked files of the working tree (with uncommitted edits), into ``into``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / name.decode()
        if source.is_file():
            target = into / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def run(
    mutation: Mutation | None, base: Path, tests: tuple[str, ...], deselect: list[str]
) -> tuple[bool, float, list[str]]:
    """Apply one mutation (or none) to a fresh copy of ``base`` and run its tests:
    (red, seconds, the failing tests). With a mutation, stop at the first failure."""
    with tempfile.TemporaryDirectory(prefix="backclf-mutation-") as tmp:
        work = Path(tmp) / "repo"
        shutil.copytree(base, work, symlinks=True)
        if mutation is not None:
            target = work / mutation.path
            text = target.read_text(encoding="utf-8")
            target.write_text(mutation.change(text), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(work / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
        command = [str(PYTHON), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
        command += ["-x"] if mutation is not None else []
        command += [a for test in deselect for a in ("--deselect", test)]
        command += [t for t in tests if (work / t).exists()]
        start = time.perf_counter()
        result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        failed = re.findall(r"^FAILED (\S+)", result.stdout, flags=re.M)
        if result.returncode not in (0, 1):  # collection or import error: still red, say so
            failed = failed or [f"pytest exit {result.returncode}"]
        return result.returncode != 0, seconds, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write reports/mutations.md")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="backclf-tracked-") as tmp:
        base = Path(tmp) / "repo"
        tracked_copy(base)
        # The unmutated code first: a test that fails already proves nothing about a mutant.
        everything = tuple(dict.fromkeys(t for m in MUTATIONS for t in m.tests))
        _, seconds, already = run(None, base, everything, [])
        print(f"baseline {seconds:6.1f} s  already failing: {already or 'none'}")
        for mutation in MUTATIONS:
            caught, seconds, failed = run(mutation, base, mutation.tests, already)
            by = failed[0] if failed else ""
            rows.append((mutation, caught, seconds, by))
            print(f"{'caught' if caught else 'MISSED'}  {seconds:6.1f} s  {mutation.name}  {by}")
            sys.stdout.flush()
    missed = [m.name for m, caught, _, _ in rows if not caught]
    if args.write:
        lines = [
            "# The ten mutations of issue 20",
            "",
            "Each is applied to a temporary copy of the repository and the safety tests run",
            "against it, stopping at the first failure (`.venv/bin/python tools/mutations.py",
            "--write`; `tools/mutations.py` names the tests each one runs).",
            "",
            "| mutation | caught? | by (first failing test) | seconds |",
            "|---|---|---|---|",
        ]
        for mutation, caught, seconds, by in rows:
            lines.append(
                f"| {mutation.name} | {'yes' if caught else '**no**'} | `{by}` | {seconds:.0f} |"
            )
        lines += ["", f"{len(rows) - len(missed)} of {len(rows)} caught."]
        if already:
            lines += ["", "Failing before any mutation (left out of every run):"]
            lines += [f"- `{test}`" for test in already]
        lines.append("")
        (ROOT / "reports" / "mutations.md").write_text("\n".join(lines), encoding="utf-8")
    if missed:
        print(f"{len(missed)} of {len(rows)} mutations were not caught", file=sys.stderr)
        return 1
    print(f"all {len(rows)} mutations caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
