"""``backclf interview``: a person at a terminal answers the questions backclf asks.

Each turn assesses the case so far through the same path as ``backclf predict --format
json`` (so the questions are the ones an app gets in ``next_questions``), shows the running
differential, asks ``next_questions[0]`` with rich prompts, and adds the answers to the
case ("don't know" as null). When no question is left, the full assessment is shown;
``--transcript`` saves the questions, the answers and the final assessment as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.prompt import Prompt
from rich.text import Text

from backclf.cli.sinks import EXIT_DATA, EXIT_NOINPUT, EXIT_OK, EXIT_USAGE, error
from backclf.cli.view import differential_bars
from backclf.contract.fields import FIELDS
from backclf.core.model import ModelFileError, ReadableModel, load_model

NOT_A_TERMINAL = (
    "backclf interview needs a person at a terminal. An app runs the same interview with "
    "`backclf predict --format json`: send the case, ask the person next_questions[0], send "
    'the case again with the answers (null for "don\'t know"), until next_questions is empty.'
)
#: More turns than any interview takes: every finding asked once.
MAX_TURNS = 64
YES, NO, DONT_KNOW = "y", "n", "?"


def run_interview(
    text: str | None, case: str | None, transcript: Path | None, model_path: Path | None
) -> int:
    """Run one interview; the exit code."""
    if sys.stdin is None or not sys.stdin.isatty():
        error(NOT_A_TERMINAL)
        return EXIT_USAGE
    try:
        findings = _starting_case(case)
        model = load_model(model_path)
    except (OSError, ValueError) as exc:
        error(str(exc))
        return EXIT_NOINPUT if isinstance(exc, ModelFileError | OSError) else EXIT_USAGE
    console = Console()
    try:
        record, turns = _interview(console, model, findings, text)
    except (KeyboardInterrupt, EOFError):
        console.print("\n[dim]Interview stopped.[/]")
        return 130
    if "error" in record:
        error(record["error"])
        return EXIT_DATA
    from backclf.cli.view import render

    render(record, console)
    if transcript is not None:
        saved = {
            "start": {"text": text, "findings": findings},
            "turns": turns,
            "assessment": record,
        }
        transcript.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
        console.print(f"[dim]Transcript saved to {transcript}[/]")
    return EXIT_OK


def _starting_case(case: str | None) -> dict[str, Any]:
    """The findings given with --case: a JSON object, or a file holding one."""
    if case is None:
        return {}
    source = case
    if not case.lstrip().startswith(("{", "[")):
        try:
            source = Path(case).read_text(encoding="utf-8")
        except OSError as exc:
            raise OSError(f"cannot read {case}: {exc.strerror or exc}") from None
    try:
        data = json.loads(source)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--case is not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ValueError("--case must be a JSON object of findings")
    return data


def _assess(model: ReadableModel, findings: dict[str, Any], text: str | None) -> dict[str, Any]:
    from backclf.cli.predict import LazyExtractor
    from backclf.io.parse import Item
    from backclf.io.score import assess_items

    record = {"findings": findings, **({"text": text} if text else {})}
    return assess_items([Item(1, record)], model, LazyExtractor())[0]


def _interview(
    console: Console, model: ReadableModel, findings: dict[str, Any], text: str | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    findings = dict(findings)
    turns: list[dict[str, Any]] = []
    record = _assess(model, findings, text)
    for _ in range(MAX_TURNS):
        if "error" in record or not record["next_questions"]:
            break
        _show_progress(console, record)
        question = record["next_questions"][0]
        answers = _ask(console, question)
        turns.append({"question": question, "answers": answers})
        findings.update(answers)
        record = _assess(model, findings, text)
    return record, turns


def _show_progress(console: Console, record: dict[str, Any]) -> None:
    console.print(differential_bars(record))
    if record["red_flags"]:
        console.print(Text(f"! {record['red_flags'][0]['message']}", style="bold red"))


def _ask(console: Console, question: dict[str, Any]) -> dict[str, Any]:
    console.print()
    console.print(Text(question["question"], style="bold"))
    console.print(Text(question["why"], style="dim"))
    if question["kind"] == "checklist":
        own = question.get("item_options") or {}
        return {
            finding: _answer(console, item, own.get(finding, question["options"]))
            for finding, item in zip(question["findings"], question["items"], strict=True)
        }
    if question["kind"] == "number":
        return {question["finding"]: _number(console, question)}
    return {question["finding"]: _answer(console, "", question["options"])}


def _answer(console: Console, prompt: str, options: list[dict[str, Any]]) -> Any:
    """One answer chosen among ``options`` (y/n/? for yes, no, don't know; else a number)."""
    values = [o["value"] for o in options]
    if values == [True, False, None]:
        choice = Prompt.ask(f"  {prompt}", choices=[YES, NO, DONT_KNOW], console=console)
        return {YES: True, NO: False, DONT_KNOW: None}[choice]
    if prompt:
        console.print(f"  {prompt}")
    for number, option in enumerate(options, start=1):
        console.print(f"    {number}. {option['label']}")
    choices = [str(n) for n in range(1, len(options) + 1)]
    return values[int(Prompt.ask("  Your answer", choices=choices, console=console)) - 1]


def _number(console: Console, question: dict[str, Any]) -> float | int | None:
    low, high = question["minimum"], question["maximum"]
    whole = FIELDS[question["finding"]].kind == "int"
    while True:
        raw = Prompt.ask(
            f"  A number from {low:g} to {high:g} (? if you don't know)", console=console
        )
        if raw.strip() == DONT_KNOW:
            return None
        try:
            value = float(raw)
        except ValueError:
            console.print("  [red]Please type a number, or ?[/]")
            continue
        if whole and not value.is_integer():
            console.print("  [red]Please type a whole number[/]")
        elif low <= value <= high:
            return int(value) if whole else value
        else:
            console.print(f"  [red]Please type a number from {low:g} to {high:g}[/]")
