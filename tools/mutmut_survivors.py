"""The surviving mutants of the last `mutmut run`, each with its one-line change, as Markdown
(for reports/mutation.md), and the counts by file.

    .venv/bin/python tools/mutmut_survivors.py

Reads `mutmut results --all true` and the mutated sources under mutants/ (mutmut's own
`show` does the same one mutant at a time).
"""

from __future__ import annotations

import ast
import collections
import difflib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants" / "src"


def statuses() -> dict[str, str]:
    out = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "mutmut"), "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {}
    for line in out.splitlines():
        name, _, status = line.strip().partition(": ")
        if name and status:
            found[name] = status
    return found


def functions(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    return {
        node.name: ast.get_source_segment(text, node)
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef)
    }


def change(name: str, cache: dict[Path, dict[str, str]]) -> str:
    module, _, function = name.rpartition(".")
    path = MUTANTS / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = MUTANTS / module.replace(".", "/") / "__init__.py"
    if path not in cache:
        cache[path] = functions(path)
    base = function.rsplit("__mutmut_", 1)[0]
    original = cache[path][base + "__mutmut_orig"].splitlines()
    mutated = cache[path][function].splitlines()
    mutated[0] = original[0]
    lines = [
        line
        for line in difflib.unified_diff(original, mutated, lineterm="", n=0)
        if not line.startswith(("---", "+++", "@@"))
    ]
    return " / ".join(f"`{line[0]} {line[1:].strip()}`" for line in lines)


def main() -> int:
    found = statuses()
    by_file: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for name, status in found.items():
        module = name.rsplit(".", 1)[0]
        by_file[module][status] += 1
    print("| module | mutants | killed | survived | other |")
    print("|---|---|---|---|---|")
    total = collections.Counter()
    for module, counts in sorted(by_file.items()):
        n = sum(counts.values())
        other = n - counts["killed"] - counts["survived"]
        print(f"| `{module}` | {n} | {counts['killed']} | {counts['survived']} | {other} |")
        total.update(counts)
    n = sum(total.values())
    print(
        f"| all | {n} | {total['killed']} | {total['survived']} | "
        f"{n - total['killed'] - total['survived']} |"
    )
    if total["killed"] + total["survived"]:
        score = total["killed"] / (total["killed"] + total["survived"])
        print(f"\nkilled {score:.1%} of the mutants checked")
    print("\n| mutant | change |\n|---|---|")
    cache: dict[Path, dict[str, str]] = {}
    for name, status in found.items():
        if status == "survived":
            print(f"| `{name.removeprefix('backclf.')}` | {change(name, cache)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
