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
    """
    if "error" in record:
        where = Text(f"line {record['line']}", style="bold red")
        console.print(Text.assemble(where, ": ", shown(record["error"])))
        return
    style, banner = LEVEL_STYLE[record["triage"]["level"]]
    why = " (red flag)" if record["triage"]["overridden"] else ""
    title = shown(f"backclf {record['id']}" if record.get("id") is not None else "backclf")
    advice = record["advice"]
    withheld = {item["id"]: item for item in advice.get("withheld") or []}
    parts: list[Any] = [Text(f" {banner}{why} ", style=style)]
    for message in advice["urgent"]:
        parts.append(Text(f"! {message}", style="bold red"))
    if "red_flag" in withheld:
        parts.append(Text(withheld.pop("red_flag")["reason"], style="bold"))
        parts.append(Text(""))
    cause = record["cause"]
    if cause is None:
        parts.append(Text("Likely cause: unsure (no cause is likely enough to name)", style="bold"))
    else:
        parts.append(
            Text(f"Likely cause: {cause['name']} ({cause['probability']:.0%})", style="bold")
        )
    parts.append(differential_bars(record))
    if record["explanation"]:
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
