"""``backclf interview``: a person at a terminal answers the questions backclf asks.

Each turn assesses the case so far through the same path as ``backclf predict --format
json`` (so the questions are the ones an app gets in ``next_questions``), shows the running
differential, asks ``next_questions[0]`` with rich prompts, and adds the answers to the
case ("don't know" as null). When no question is left, the full assessment is shown;
``--transcript`` saves the questions, the answers and the final assessment as JSON. It never
ends silent: an answer that cannot be assessed is asked again (after the last assessment's
urgent advice), and the transcript is written however the interview ends.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
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
    """Run one interview; the exit code. It never ends silent: the transcript (when asked
    for) is written whatever the ending, an answer that cannot be assessed is asked again
    after the last assessment's urgent advice, and a start that cannot be assessed says
    why."""
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
    session = Session(dict(findings), text, transcript)
    try:
        record = _interview(console, model, session)
    except (KeyboardInterrupt, EOFError):
        console.print("\n[dim]Interview stopped.[/]")
        session.save(console, session.last, stopped=True)
        return 130
    if "error" in record:  # the starting case itself could not be assessed
        error(f"the starting case could not be assessed: {record['error']}")
        session.save(console, record)
        return EXIT_DATA
    from backclf.cli.view import render

    render(record, console)
    session.save(console, record)
    return EXIT_OK


@dataclass
class Session:
    """An interview so far: the findings answered, each turn, the last assessment."""

    findings: dict[str, Any]
    text: str | None
    transcript: Path | None
    start: dict[str, Any] = field(default_factory=dict)
    turns: list[dict[str, Any]] = field(default_factory=list)
    last: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.start = {"text": self.text, "findings": dict(self.findings)}

    def save(self, console: Console, record: dict[str, Any] | None, stopped: bool = False):
        """Write the transcript (if one was asked for): the start, the turns, the last
        assessment (or the error record), and whether the interview was stopped."""
        if self.transcript is None:
            return
        saved = {"start": self.start, "turns": self.turns, "assessment": record}
        if stopped:
            saved["stopped"] = True
        self.transcript.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
        console.print(f"[dim]Transcript saved to {self.transcript}[/]")


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
    console: Console,
    model: ReadableModel,
    session: Session,
    assess: Callable[..., dict[str, Any]] | None = None,
    ask: Callable[[Console, dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Ask until no question is left; the final assessment (or the starting case's error
    record). An answer whose case cannot be assessed is not kept: the last assessment's
    urgent advice is shown again, the transcript written, and the same question asked
    again."""
    assess = assess or _assess
    ask = ask or _ask
    record = assess(model, session.findings, session.text)
    if "error" in record:
        return record
    session.last = record
    for _ in range(MAX_TURNS):
        if not record["next_questions"]:
            break
        _show_progress(console, record)
        question = record["next_questions"][0]
        answers = ask(console, question)
        turn: dict[str, Any] = {"question": question, "answers": answers}
        session.turns.append(turn)
        trial = {**session.findings, **answers}
        answered = assess(model, trial, session.text)
        if "error" in answered:
            turn["error"] = answered["error"]
            _show_problem(console, record, answered["error"])
            session.save(console, record)
            continue  # the same question again
        session.findings, record = trial, answered
        session.last = record
    return record


def _show_problem(console: Console, record: dict[str, Any], problem: str) -> None:
    """An answer could not be assessed: say so, then what the last assessment said."""
    console.print(Text(f"That answer could not be used: {problem}", style="bold red"))
    level = record["triage"]["level"].replace("_", " ")
    console.print(Text(f"So far: {level}.", style="bold"))
    for message in record["advice"]["urgent"]:
        console.print(Text(f"! {message}", style="bold red"))
    console.print("[dim]Please answer the question again.[/]")


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
