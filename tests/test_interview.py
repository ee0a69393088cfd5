"""Interviews end to end: an app driving `backclf predict --format json` with the
assessments' next_questions, and a person at `backclf interview` (a scripted terminal)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time

import pytest

from backclf.core.decide import assess

# Whole cases a person could give; an interview starts from their age and sex.
LIFTING = {
    "age": 41,
    "sex": "male",
    "onset": "sudden",
    "days_since_onset": 0,
    "trigger": "lifting_heavy_object",
    "pain_side": "central",
    "spasm": True,
    "fever": False,
    "frequent_urination": False,
    "saddle_numbness": False,
    "leg_weakness": False,
}
KIDNEY = {
    "age": 27,
    "sex": "female",
    "pregnant": False,
    "trigger": "none",
    "pain_side": "one_side",
    "fever": True,
    "chills": True,
    "frequent_urination": True,
    "painful_urination": True,
    "flank_tenderness": True,
    "nausea_or_vomiting": True,
}
NUMB = {**LIFTING, "saddle_numbness": True}


def answers_from(case: dict, question: dict) -> dict:
    """What a person whose findings are ``case`` answers ("don't know": null)."""
    findings = question["findings"] if question["kind"] == "checklist" else [question["finding"]]
    return {finding: case.get(finding) for finding in findings}


def run_app(case: dict, process: subprocess.Popen) -> tuple[dict, list[dict]]:
    """An app's interview over one open stream: send the case, answer next_questions[0]."""
    told = {"age": case["age"], "sex": case["sex"]}
    asked: list[dict] = []
    for _ in range(40):
        process.stdin.write(json.dumps({"id": "me", **told}) + "\n")
        process.stdin.flush()
        record = json.loads(process.stdout.readline())
        if not record["next_questions"]:
            return record, asked
        question = record["next_questions"][0]
        asked.append(question)
        told.update(answers_from(case, question))
    raise AssertionError("the interview did not end")


@pytest.mark.slow
def test_an_app_interviews_through_one_predict_stream(model):
    process = subprocess.Popen(
        [sys.executable, "-m", "backclf", "predict", "--format", "json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lifting, lifting_asked = run_app(LIFTING, process)
        kidney, kidney_asked = run_app(KIDNEY, process)
        numb, numb_asked = run_app(NUMB, process)
    finally:
        process.stdin.close()
        process.wait(timeout=60)
    assert process.returncode == 0

    # The safety checklist first, each time; nothing asked twice.
    for asked in (lifting_asked, kidney_asked, numb_asked):
        assert asked[0]["kind"] == "checklist"
        single = [q["finding"] for q in asked[1:]]
        assert len(single) == len(set(single)) and not set(single) & set(asked[0]["findings"])
    assert lifting["cause"]["id"] == "excessive_loading" == assess(LIFTING).cause.id
    assert lifting["triage"]["level"] == "self_care"
    assert kidney["cause"]["id"] == "pyelonephritis"
    assert kidney["triage"] == {"level": "consultation_24", "overridden": True, "screened": True}
    # A red flag in the checklist: go now, no more questions.
    assert numb_asked == numb_asked[:1]
    assert numb["triage"]["level"] == "emergency"
    assert numb["red_flags"][0]["id"] == "cauda_equina"
    for record, case in ((lifting, LIFTING), (kidney, KIDNEY)):
        assert len(record["next_questions"]) == 0
        assert record["triage"]["level"] == assess(case).triage.level


def test_interview_without_a_terminal_points_apps_to_predict():
    result = subprocess.run(
        [sys.executable, "-m", "backclf", "interview"],
        input="",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "predict --format json" in result.stderr and "next_questions" in result.stderr
    assert "Traceback" not in result.stderr


class Terminal:
    """A program at the end of a pseudo-terminal, driven by a script."""

    def __init__(self, args: list[str]):
        import pty

        self.master, slave = pty.openpty()
        env = {**os.environ, "COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"}
        self.process = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
        )
        os.close(slave)
        self.screen = ""

    def read_until(self, *endings: str, timeout: float = 60) -> str:
        """Everything printed until the output ends with one of ``endings``."""
        start, seen = time.monotonic(), len(self.screen)
        while time.monotonic() - start < timeout:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 4096).decode("utf-8", errors="replace")
                except OSError:  # the program ended
                    break
                if not chunk:
                    break
                self.screen += chunk
                if self.screen.rstrip().endswith(endings):
                    return self.screen[seen:]
            elif self.process.poll() is not None:
                break
        return self.screen[seen:]

    def type(self, text: str) -> None:
        os.write(self.master, (text + "\n").encode())


@pytest.mark.slow
def test_interview_at_a_scripted_terminal(tmp_path):
    transcript = tmp_path / "interview.json"
    terminal = Terminal(
        [
            sys.executable,
            "-m",
            "backclf",
            "interview",
            "--case",
            json.dumps({"age": 41, "sex": "male"}),
            "--transcript",
            str(transcript),
        ]
    )
    prompts = 0
    while terminal.process.poll() is None and prompts < 80:
        shown = terminal.read_until("]:", "):")
        if terminal.process.poll() is not None or not shown.strip():
            break
        prompts += 1
        if "[y/n/?]" in shown.splitlines()[-1]:
            terminal.type("n")  # no red flag
        elif "Your answer" in shown.splitlines()[-1]:
            lines = shown.splitlines()
            lifting = [line for line in lines if "Lifting something heavy" in line]
            terminal.type(lifting[0].split(".")[0].strip() if lifting else "1")
        else:
            terminal.type("?")
    terminal.read_until("not a diagnosis", timeout=60)
    assert terminal.process.wait(timeout=60) == 0
    saved = json.loads(transcript.read_text())
    first = saved["turns"][0]
    assert first["question"]["kind"] == "checklist"
    assert set(first["answers"]) == set(first["question"]["findings"])
    assert all(v is False or v == "none" for v in first["answers"].values())
    assert len(saved["turns"]) >= 2 and saved["assessment"]["next_questions"] == []
    assert "GO TO" not in terminal.screen and "SELF-CARE" in terminal.screen
    assert "Likely cause" in terminal.screen and "not a diagnosis" in terminal.screen


def test_a_starting_case_is_a_json_object_or_its_file(tmp_path):
    from backclf.cli.interview import _starting_case

    (tmp_path / "case.json").write_text('{"age": 30}')
    assert _starting_case('{"sex": "female"}') == {"sex": "female"}
    assert _starting_case(str(tmp_path / "case.json")) == {"age": 30}
    with pytest.raises(OSError, match="cannot read"):
        _starting_case(str(tmp_path / "missing.json"))
    with pytest.raises(ValueError, match="JSON object"):
        _starting_case("[1, 2]")


# -- issue 29, item 5: an interview never ends silent ------------------------------------------


def scripted(answers: list[dict]):
    """An ``ask`` that gives these answers in turn, and records what it was asked."""
    asked: list[dict] = []

    def ask(console, question):
        asked.append(question)
        if len(asked) <= len(answers):
            return answers[len(asked) - 1]
        findings = (
            question["findings"] if question["kind"] == "checklist" else [question["finding"]]
        )
        return dict.fromkeys(findings)  # then "don't know" to everything

    return ask, asked


def quiet_console():
    import io

    from rich.console import Console

    return Console(file=io.StringIO(), width=100)


def test_an_answer_that_cannot_be_assessed_is_asked_again_after_the_urgent_advice(tmp_path):
    """Issue 29: the interview exited 65 on an error record, with no assessment, no urgent
    message and no transcript. Here the assessment of one answer fails (a stand-in for any
    error record); the last assessment's urgent advice is shown, the transcript written,
    and the same question asked again."""
    from backclf.cli.interview import Session, _assess, _interview
    from backclf.core.model import load_model

    def failing_once(model, findings, text):
        if findings.get("fever") is True and not failing_once.failed:
            failing_once.failed = True
            return {"id": None, "line": 1, "error": "fever: a stand-in problem"}
        return _assess(model, findings, text)

    failing_once.failed = False
    transcript = tmp_path / "t.json"
    session = Session({"age": 41, "sex": "male", "history_of_cancer": True}, None, transcript)
    console = quiet_console()
    before = _assess(load_model(), session.findings, None)
    assert before["triage"]["level"] == "consultation_24" and before["advice"]["urgent"]
    first = before["next_questions"][0]
    yes_fever = {f: (f == "fever") or None for f in first["findings"]}
    ask, asked = scripted([yes_fever, yes_fever])
    record = _interview(console, load_model(), session, assess=failing_once, ask=ask)
    screen = console.file.getvalue()
    assert "That answer could not be used: fever: a stand-in problem" in screen
    assert "So far: consultation 24." in screen
    assert f"! {before['advice']['urgent'][0]}" in " ".join(screen.split())
    assert asked[0] == asked[1]  # the same question, asked again
    saved = json.loads(transcript.read_text())  # written at the error
    assert saved["turns"][0]["error"] == "fever: a stand-in problem"
    assert saved["assessment"] == before
    assert record["triage"]["level"] == "consultation_24" and session.findings["fever"] is True


def test_no_to_one_leg_and_yes_to_both_legs_goes_on_as_an_emergency(tmp_path):
    """Issue 29: the checklist's "weakness in a leg: no" then "in both legs: yes" broke a
    cross-field rule; the interview exited 65 and lost the other red flags answered."""
    from backclf.cli.interview import Session, _interview
    from backclf.core.model import load_model

    session = Session({"age": 41, "sex": "male"}, None, None)

    def answer(console, question):
        findings = (
            question["findings"] if question["kind"] == "checklist" else [question["finding"]]
        )
        chosen = {"leg_weakness": False, "bilateral_leg_weakness": True, "major_trauma": True}
        return {f: chosen.get(f) for f in findings}

    record = _interview(quiet_console(), load_model(), session, ask=answer)
    assert "error" not in record
    assert record["triage"]["level"] == "emergency"
    fired = {f["id"] for f in record["red_flags"]}
    assert {"bilateral_leg_weakness", "major_trauma"} <= fired
    assert [c["finding"] for c in record["conflicts"]] == ["leg_weakness"]


def test_a_start_that_cannot_be_assessed_says_why_and_keeps_the_transcript(tmp_path):
    from backclf.cli.interview import Session, _interview
    from backclf.core.model import load_model

    session = Session({"age": 400}, None, tmp_path / "t.json")
    record = _interview(quiet_console(), load_model(), session, ask=lambda c, q: {})
    assert record["error"] == "age: must be between 1 and 120, got 400"
    session.save(quiet_console(), record)
    assert json.loads((tmp_path / "t.json").read_text())["assessment"] == record
