"""``backclf predict`` read straight off the command line in its common forms, without
building the Typer command (issue 27 item 6).

An app that runs ``backclf predict --age 40 --no-fever --format json`` once per case pays
for the program's start every time; Typer and the pydantic adapters of the command's ~50
options took ~50 ms of a ~0.2 s start. The forms read here are exactly the ones whose values
Typer would pass on unchanged: a finding flag (``--fever`` / ``--no-fever``, ``--trigger
VALUE``, ``--age 40``, ``--temperature-c 38.5``), ``--input``/``-i``, ``--output``/``-o``,
``--format json|pretty``, ``--text``, ``--model`` and ``--lean``, each at most once, every
value a separate word that does not start with ``-``, numbers plain decimals. Anything else
(help, ``--option=value``, a value Typer would convert or refuse, an option given twice, an
unknown word) is left to Typer, which reads and words it as before: this module never
reports an error itself.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from backclf.contract.fields import FIELDS

#: Plain decimals only: what Typer's int and float options read to the same number.
_WHOLE = re.compile(r"0|[1-9][0-9]{0,17}")
_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?")

_VALUED = {
    "--input": "input_path",
    "-i": "input_path",
    "--output": "output",
    "-o": "output",
    "--format": "fmt",
    "--text": "text",
    "--model": "model_path",
}
_FLAGS: dict[str, tuple[str, Any]] = {}  # --fever: ("fever", True), --age: ("age", None)
for _name, _spec in FIELDS.items():
    _dashed = "--" + _name.replace("_", "-")
    if _spec.kind == "bool":
        _FLAGS[_dashed] = (_name, True)
        _FLAGS["--no-" + _dashed[2:]] = (_name, False)
    else:
        _FLAGS[_dashed] = (_name, None)


def quick_predict(argv: list[str]) -> dict[str, Any] | None:
    """The arguments of :func:`backclf.cli.predict.run_predict` for ``argv`` (the words after
    the program's name) when it is ``predict`` in one of the common forms, else ``None``."""
    if not argv or argv[0] != "predict":
        return None
    options: dict[str, Any] = {
        "input_path": None,
        "output": None,
        "fmt": None,
        "text": None,
        "model_path": None,
        "lean": False,
    }
    given: dict[str, Any] = {}
    seen: set[str] = set()
    words = iter(argv[1:])
    for word in words:
        if word == "--lean":
            key = "lean"
            value: Any = True
        elif word in _VALUED:
            key = _VALUED[word]
            value = next(words, None)
            if not value or value.startswith("-"):
                return None
            if key == "fmt" and value not in ("json", "pretty"):
                return None
            if key in ("output", "model_path"):
                value = Path(value)
        elif word in _FLAGS:
            key, value = _FLAGS[word]
            if value is None:  # an enum or a number: its value follows
                value = _finding_value(key, next(words, None))
                if value is None:
                    return None
        else:
            return None
        if key in seen:
            return None
        seen.add(key)
        if key in FIELDS:
            given[key] = value
        else:
            options[key] = value
    options["flags"] = {name: given[name] for name in FIELDS if name in given}
    return options


def _finding_value(name: str, word: str | None) -> Any:
    """The value Typer passes for ``--<name> word``, or ``None`` where it might differ."""
    if not word or word.startswith("-"):
        return None
    kind = FIELDS[name].kind
    if kind == "enum":
        return word
    if kind == "int":
        return int(word) if _WHOLE.fullmatch(word) else None
    return float(word) if _DECIMAL.fullmatch(word) else None
