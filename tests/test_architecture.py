"""The architecture as tests: the layers of src/backclf, no import cycles, and DVC stages that
depend on every file they import.

Imports are read from the source (every ``import`` statement, including those inside
functions and under ``TYPE_CHECKING``), so a lazy import counts as a dependency too.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "backclf"

#: Lower layers never import upper ones; packages in the same layer never import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("knowledge",),
    ("contract",),
    ("core",),
    ("synth", "text", "io"),
    ("cli", "pipeline", "serve", "spark", "interview_study"),
    # The assumption-sensitivity study runs the pipeline's training and metrics in perturbed
    # worlds: it sits above the pipeline, which never imports it (but see UPWARD).
    ("study",),
)
#: The one import across packages of the same layer: `backclf serve` (cli) starts the server
#: (serve), lazily. The server never imports the command line.
ACROSS = {("cli", "serve")}
#: The one upward import, module to module: the model card (stage `evaluate`) renders its
#: "Robustness" section from the study's files. `study.card` stays light (the standard
#: library and the study's file format; test_the_pipeline_reaches_the_study_through_its_card).
UPWARD = {("backclf.pipeline.model_card", "backclf.study.card")}
#: Modules outside the layers: the version, and the program entry (which starts the CLI).
UNLAYERED = {"backclf", "backclf.__main__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


@cache
def imports_of(name: str) -> frozenset[str]:
    """The backclf modules a module imports (resolved to modules that exist)."""
    tree = ast.parse(modules()[name].read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target.startswith("backclf"):
                while target not in modules() and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target in modules() and target != name:
                    found.add(target)
    return frozenset(found)


def package_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and name not in UNLAYERED else None


def layer_of(package: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if package in layer)


def test_every_subpackage_has_a_layer():
    packages = {package_of(n) for n in modules()} - {None, "published"}
    assert packages <= {p for layer in LAYERS for p in layer}, packages


@pytest.mark.parametrize("name", sorted(n for n in modules() if package_of(n) not in (None,)))
def test_lower_layers_never_import_upper_ones(name):
    package = package_of(name)
    if package == "published":
        return
    own = layer_of(package)
    for target in imports_of(name):
        other = package_of(target)
        if other is None or other == package:
            assert target != "backclf.__main__", name
            continue
        allowed = (
            layer_of(other) < own or (package, other) in ACROSS or (name, target) in UPWARD
        )
        assert allowed, f"{name} imports {target}"


def _module_closure(name: str) -> set[str]:
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(imports_of(current))
    return seen


def test_the_pipeline_reaches_the_study_through_its_card():
    """The study may import the pipeline, not the reverse, except through the card: the model
    card's section, which reads the study's two files and needs nothing heavier."""
    into_study = {
        (name, target)
        for name in modules()
        if package_of(name) != "study"
        for target in imports_of(name)
        if package_of(target) == "study"
    }
    assert into_study == UPWARD
    # What the card pulls in: its own light modules (and the package's __init__, a docstring),
    # nothing of the pipeline (no cycle) and nothing that runs the study.
    assert _module_closure("backclf.study.card") == {
        "backclf.study.card",
        "backclf.study.files",
        "backclf.study.summary",
    }


def test_no_import_cycles():
    graph = {name: imports_of(name) - {"backclf"} for name in modules()}
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in graph[name]:
            if state.get(target) == 1:
                raise AssertionError(" -> ".join([*path, name, target]))
            if target not in state:
                visit(target, [*path, name])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def _closure(script: Path) -> set[str]:
    """Every backclf module a stage script needs, following imports transitively."""
    tree = ast.parse(script.read_text())
    todo = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("backclf"):
            for target in [node.module] + [f"{node.module}.{a.name}" for a in node.names]:
                if target in modules():
                    todo.append(target)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(imports_of(name))
            parent = name.rsplit(".", 1)[0]
            if parent in modules():  # a package's __init__ runs first
                todo.append(parent)
    return seen


def _stages() -> dict[str, tuple[Path, dict]]:
    """Every stage of the repository's pipelines (``dvc.yaml`` and ``studies/dvc.yaml``), by
    name, with the directory its paths are relative to."""
    stages = {}
    for path in [ROOT / "dvc.yaml", *sorted(ROOT.glob("*/dvc.yaml"))]:
        for name, stage in yaml.safe_load(path.read_text())["stages"].items():
            wdir = (path.parent / stage.get("wdir", ".")).resolve()
            key = name if path.parent == ROOT else f"{path.relative_to(ROOT)}:{name}"
            stages[key] = (wdir, stage)
    return stages


STAGES = _stages()


def test_the_sensitivity_study_is_a_pipeline_of_its_own():
    assert "studies/dvc.yaml:sensitivity" in STAGES
    assert "sensitivity" not in STAGES  # not run by the README's `dvc repro`


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_each_stage_depends_on_every_module_it_imports(stage):
    wdir, spec = STAGES[stage]
    deps = [wdir / d for d in spec["deps"]]
    script = wdir / next(word for word in spec["cmd"].split() if word.endswith(".py"))
    assert script in deps, f"{stage}: its own script {script.name} is not a dependency"
    for name in sorted(_closure(script)):
        path = modules()[name]
        covered = any(path == d or d in path.parents for d in deps)
        where = path.relative_to(ROOT)
        assert covered, f"{stage} imports {name} ({where}) but does not depend on it"


# -- sizes -----------------------------------------------------------------------------------

#: A module does one job: at most this many lines (docstrings and comments included).
MODULE_LINES = 400
#: A function reads on one screen: at most this many lines, from its ``def`` to its end.
FUNCTION_LINES = 60
#: The justified exceptions, each with its reason written beside it in the source (a comment
#: "Long on purpose: ..." on the lines just above the ``def``, or in the module's head).
#: Path under src/backclf, and the function's name (None: the whole module).
LONG_ON_PURPOSE: dict[tuple[str, str | None], str] = {
    # One schema and loader per YAML file, imported together on every start.
    ("knowledge/__init__.py", None): "sections per YAML file",
    # A Typer command's 13 options live in its signature (45 of its lines).
    ("cli/app.py", "serve"): "options in the signature",
    # The invocation's checks, each an early return with its documented exit code.
    ("cli/predict.py", "_predict"): "ordered checks with exit codes",
    # One vectorised pass whose steps narrow the rows the next one scores.
    ("core/policy.py", "plan_questions"): "one vectorised pass",
    # Half of it is the report's shape, one dict literal.
    ("text/evaluation.py", "written_set_scores"): "the report's shape",
    # The reader's rules in the order the module's docstring gives them, in one pass.
    ("text/reading.py", "mention_of"): "rules in their order",
}


def _sizes() -> dict[tuple[str, str | None], tuple[int, int]]:
    """Every module and function of the package: (lines, first line of its reason's window)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        text = path.read_text()
        found[(where, None)] = (len(text.splitlines()), 1)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                found[(where, node.name)] = (node.end_lineno - node.lineno + 1, first)
    return found


def test_modules_and_functions_are_short_unless_a_reason_says_why():
    over = {
        key
        for key, (lines, _) in _sizes().items()
        if lines > (MODULE_LINES if key[1] is None else FUNCTION_LINES)
    }
    assert over - LONG_ON_PURPOSE.keys() == set(), "split these, or write why beside them"
    assert LONG_ON_PURPOSE.keys() - over == set(), "no longer long: drop from LONG_ON_PURPOSE"


@pytest.mark.parametrize("key", sorted(LONG_ON_PURPOSE, key=str))
def test_each_long_one_says_why_beside_it(key):
    where, name = key
    lines = (PACKAGE / where).read_text().splitlines()
    _, first = _sizes()[key]
    # A module's reason sits in its first 30 lines; a function's in the 4 lines above it.
    window = lines[:30] if name is None else lines[max(0, first - 5) : first - 1]
    assert any("Long on purpose" in line for line in window), f"{where} {name or ''}"
