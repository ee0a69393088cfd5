"""The readable view of an assessment, for people at a terminal (rich).

Everything that comes from input (ids, error messages, words from the text) is shown as
plain text through :func:`shown`: never read as rich markup, control characters escaped.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from backclf.contract.fields import FIELDS

LEVEL_STYLE = {
    "emergency_ambulance": ("bold white on red", "CALL AN AMBULANCE NOW"),
    "emergency": ("bold white on red", "GO TO AN EMERGENCY DEPARTMENT NOW"),
    "consultation_24": ("bold black on yellow", "SEE A DOCTOR WITHIN 24 HOURS"),
    "consultation": ("bold black on cyan", "BOOK A DOCTOR'S APPOINTMENT"),
    "self_care": ("bold black on green", "SELF-CARE: MANAGE AT HOME, SEE A DOCTOR IF IT WORSENS"),
}
#: Before the safety questions are answered, a level below these would only reassure.
URGENT_LEVELS = ("consultation_24", "emergency", "emergency_ambulance")
#: At these levels the likely cause is not the headline: getting care is.
GO_NOW = ("emergency", "emergency_ambulance")
NOT_SCREENED = ("bold black on yellow", "NOT SCREENED YET: ANSWER THE SAFETY QUESTIONS FIRST")


def shown(value: Any) -> Text:
    """A value from input as plain text: no markup, and characters that would move the
    cursor, change colours or reorder the line (escapes, bidi controls) shown as escapes."""
    text = str(value)
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return Text(text)


def render(record: dict[str, Any], console: Console) -> None:
    """Print one assessment (or error record) readably.

    The triage and the red flags' messages come first. When a red flag withholds the
    article's advice, they stand alone at the top, followed by why nothing else is advised.
    Before the safety questions are answered no level below 24 hours is shown (it would only
    reassure), nor any advice; at an emergency the likely cause is not the headline.
    """
    if "error" in record:
        where = Text(f"line {record['line']}", style="bold red")
        console.print(Text.assemble(where, ": ", shown(record["error"])))
        return
    title = shown(f"backclf {record['id']}" if record.get("id") is not None else "backclf")
    level = record["triage"]["level"]
    screened = record["triage"].get("screened", True)
    advice = record["advice"]
    withheld = {item["id"]: item for item in advice.get("withheld") or []}
    if not screened and level not in URGENT_LEVELS:
        parts: list[Any] = _not_screened(record)
    else:
        style, banner = LEVEL_STYLE[level]
        why = " (red flag)" if record["triage"]["overridden"] else ""
        parts = [Text(f" {banner}{why} ", style=style)]
        if not screened:
            parts.append(Text("At least this: safety questions are still open.", style="bold"))
    for message in advice["urgent"]:
        parts.append(Text(f"! {message}", style="bold red"))
    for message in advice.get("also_tell") or []:
        parts.append(Text(f"Also tell the doctor: {message}"))
    if "red_flag" in withheld:
        parts.append(Text(withheld.pop("red_flag")["reason"], style="bold"))
        parts.append(Text(""))
    parts.extend(_cause(record, level))
    if record["explanation"] and level not in GO_NOW:
        why_table = Table("finding", "value", "effect", title="Why", title_justify="left", box=None)
        for item in record["explanation"]:
            sign = "green" if item["effect"] > 0 else "red"
            why_table.add_row(
                item["finding"], shown(item["value"]), Text(f"{item['effect']:+.2f}", style=sign)
            )
        parts.append(why_table)
    if record.get("extracted") is not None:
        parts.extend(_understood(record))
    for note in record.get("notes") or []:
        parts.append(Text.assemble("Note: ", shown(note), style="yellow"))
    if advice["cause"]:
        parts.append(Text(f"What to do: {advice['cause']}"))
    for other in advice.get("also_consider") or []:
        if other["advice"]:
            parts.append(Text(f"If it is {other['name'].lower()}: {other['advice']}"))
    for note in advice.get("notes") or []:
        parts.append(
            Text.assemble((f"Note: {note['text']}", "yellow"), (f" ({note['source']})", "dim"))
        )
    for item in withheld.values():
        parts.append(Text(f"Medicines: {item['reason']}", style="yellow"))
    for line in advice["general"]:
        parts.append(Text(f"• {line}", style="dim"))
    parts.append(Text(advice["disclaimer"], style="italic"))
    console.print(Panel(Group(*parts), title=title, expand=False))


def _not_screened(record: dict[str, Any]) -> list[Any]:
    """In place of the banner while the safety questions are open and nothing urgent is
    known: no level (it would only reassure), and what is still to be asked."""
    open_ = 0
    for question in record.get("next_questions") or []:
        if question["kind"] == "checklist":
            open_ += len(question["findings"])
        elif question["expected_gain"] is None:
            open_ += 1
    return [
        Text(f" {NOT_SCREENED[1]} ", style=NOT_SCREENED[0]),
        Text(
            f"{open_} safety question(s) still open (`backclf interview` asks them); what to "
            "do depends on them, so no level is given yet.",
            style="bold",
        ),
    ]


def _cause(record: dict[str, Any], level: str) -> list[Any]:
    """The likely cause and the differential (not the headline at an emergency)."""
    cause = record["cause"]
    if level in GO_NOW:
        return [Text("Likely cause: not what matters now; get care first.", style="bold")]
    if record.get("unusual"):
        words = "Likely cause: none (the answers fit none of the article's causes well)"
    elif cause is None:
        words = "Likely cause: unsure (no cause is likely enough to name)"
    else:
        words = f"Likely cause: {cause['name']} ({cause['probability']:.0%})"
    return [Text(words, style="bold"), differential_bars(record)]


#: How a finding was read, in words ("via" of the assessment's `extracted`).
VIA = {
    "phrase": "",
    "near": "words near each other",
    "number": "a number",
    "safety_net": "red-flag safety net",
}


def _understood(record: dict[str, Any]) -> list[Any]:
    """The text part: each finding with the words behind it (the finding's own words, the
    words that set its value, how it was read), and the red-flag screens left open."""
    parts: list[Any] = []
    if record["extracted"]:
        table = Table(
            "finding",
            "value",
            "the words",
            "because of",
            title="Understood from the text",
            title_justify="left",
            box=None,
        )
        for item in record["extracted"]:
            value = str(item["value"]) + (" (unsure)" if item.get("uncertain") else "")
            how = [repr(item["cue"])] if item.get("cue") else []
            if VIA.get(item.get("via", "phrase")):
                how.append(VIA[item["via"]])
            table.add_row(item["finding"], shown(value), shown(repr(item["span"])), ", ".join(how))
        parts.append(table)
    if record.get("not_mentioned"):
        words = ", ".join(FIELDS[f].label for f in record["not_mentioned"])
        parts.append(Text(f"Not mentioned (worth asking): {words}", style="dim"))
    return parts


def differential_bars(record: dict[str, Any]) -> Table:
    """The five causes as bars, most probable first."""
    bars = Table.grid(padding=(0, 1))
    for item in record["differential"]:
        width = round(item["probability"] * 30)
        bars.add_row(item["name"], Text("█" * width, style="cyan"), f"{item['probability']:.0%}")
    return bars
