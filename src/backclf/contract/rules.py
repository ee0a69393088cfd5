"""The contract's validation rules and error messages, each written once.

Every way in applies these same functions: a JSON record (:func:`check_record`), the
pydantic model (:mod:`backclf.contract.findings`), and tables (:mod:`backclf.contract.arrow`,
which runs :func:`check_value` once per distinct value of a column). Answers that disagree
with each other are not errors: :mod:`backclf.contract.conflicts` resolves them towards
safety. So the same bad value gets the same answer
and the same message whatever shape it came in.

Values are checked strictly: ``true`` is not a number and ``"40"`` is not an age. A value
becomes its column code (see :mod:`backclf.contract.columns`): 1/0 for yes/no, the index of
an enum value, the number itself; ``None`` or a not-a-number (unknown) becomes the unknown
code. Messages name values as JSON does (``null``, ``true``, ``a JSON array``).
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

from backclf.contract.fields import FIELD_NAMES, FIELDS, FieldSpec

UNKNOWN = -1
#: Error messages quote at most this many characters of a bad value.
QUOTE_LIMIT = 40


class CaseError(ValueError):
    """A case that breaks the contract. ``problems`` lists each one, naming its field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


# -- names -----------------------------------------------------------------------------------


def suggest(name: str, choices: tuple[str, ...] = FIELD_NAMES) -> str | None:
    """The nearest valid name (of a field, or of an enum value) to a misspelt or shortened
    one, if any is close: ``fevr`` -> ``fever``, ``lifting`` -> ``lifting_heavy_object``.
    A name far longer than any choice is like none of them (and difflib's time and memory grow
    with its length: a 200 MB key must not cost gigabytes)."""
    if len(name) > 2 * max(map(len, choices), default=0) + 8:
        return None
    match = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if match:
        return match[0]
    lowered = name.strip().lower().replace("-", "_").replace(" ", "_")
    if lowered in choices:
        return lowered
    starting = [c for c in choices if lowered and c.startswith(lowered)]
    return starting[0] if len(starting) == 1 else None


def quote(value: Any) -> str:
    """A short, escaped rendering of an input value for an error message, in JSON's words
    (``null``, ``true``, ``a JSON array``; never a Python type or repr such as ``NoneType``
    or ``Decimal('38.50')``): never more than ``QUOTE_LIMIT`` characters, so a huge or private
    value is not echoed whole."""
    if isinstance(value, str):
        text = repr(value[:QUOTE_LIMIT])  # repr() of a 200 MB string would copy it all
    elif value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    elif isinstance(value, numbers.Integral):  # numpy's integers too
        if int(value).bit_length() > 128:
            return "a number with more than 38 digits"
        text = str(int(value))
    elif isinstance(value, numbers.Real):
        text = _float_text(float(value))
    elif isinstance(value, decimal.Decimal):
        text = str(value) if value.is_finite() else _float_text(float(value))
    else:
        return json_kind(value)
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 3] + "..."


def _float_text(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return repr(number)


def json_kind(value: Any) -> str:
    """What a value is, in JSON's names (``null``, ``true``, ``a number``, ``a string``,
    ``a JSON array``, ``a JSON object``), or in plain words for what JSON cannot hold (a date,
    a timestamp, bytes) as tables and data frames can."""
    if value is None or isinstance(value, bool):
        return quote(value)
    if isinstance(value, numbers.Number):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a JSON object"
    if isinstance(value, list | tuple):
        return "a JSON array"
    if isinstance(value, datetime.datetime):
        return f"a timestamp ({value.isoformat()[:26]})"
    if isinstance(value, datetime.date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, datetime.time | datetime.timedelta):
        return "a time"
    if isinstance(value, bytes | bytearray | memoryview):
        return "bytes"
    return "a value JSON cannot hold"


def is_missing(value: Any) -> bool:
    """Whether a value says "unknown": ``None`` (JSON's ``null``, an empty table cell), or a
    not-a-number (how pandas, Spark and Arrow tables often mark a missing number). Every way in
    reads both alike, so the same data gives the same answer in every mode."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, decimal.Decimal) and value.is_nan()


def unknown_field(name: str) -> str:
    hint = suggest(str(name))
    tail = f"; did you mean '{hint}'?" if hint else ""
    return f"unknown finding {quote(str(name))}{tail}"


# -- one value -------------------------------------------------------------------------------


def kind_words(spec: FieldSpec) -> str:
    """What a finding must be, in words."""
    if spec.kind == "bool":
        return "true or false"
    if spec.kind == "enum":
        return "one of " + ", ".join(spec.values)
    return "a whole number" if spec.kind == "int" else "a number"


def _wrong_kind(spec: FieldSpec, value: Any) -> str:
    message = f"{spec.name}: must be {kind_words(spec)}, got {quote(value)}"
    if spec.kind == "enum" and isinstance(value, str):
        hint = suggest(value, spec.values)
        if hint:
            message += f"; did you mean '{hint}'?"
    return message


def check_value(spec: FieldSpec, value: Any) -> tuple[float | int, str | None]:
    """The column code of one value, or the problem with it (then the code is unknown). A
    missing value (:func:`is_missing`) is unknown; a decimal is a number."""
    if is_missing(value):
        return (math.nan if spec.numeric else UNKNOWN), None
    if spec.kind == "bool":
        if value is True or value is False:
            return int(value), None
        return UNKNOWN, _wrong_kind(spec, value)
    if spec.kind == "enum":
        if isinstance(value, str) and value in spec.values:
            return spec.values.index(value), None
        return UNKNOWN, _wrong_kind(spec, value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real | decimal.Decimal):
        return math.nan, _wrong_kind(spec, value)
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        number = math.inf if value > 0 else -math.inf
    if spec.kind == "int" and math.isfinite(number) and not number.is_integer():
        return math.nan, _wrong_kind(spec, value)
    if not spec.minimum <= number <= spec.maximum:
        return math.nan, (
            f"{spec.name}: must be between {spec.minimum:g} and {spec.maximum:g}, "
            f"got {quote(value)}"
        )
    return number, None


def check_id(value: Any) -> tuple[str | int | None, str | None]:
    """A case's ``id`` as echoed back (a string or an integer; a whole number written as a
    decimal, as tables write an integer column with gaps, is that integer), or the problem
    with it. A missing id is ``None``."""
    if is_missing(value):
        return None, None
    if isinstance(value, str):
        return value, None
    whole = isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real | decimal.Decimal)
        and math.isfinite(value)
        and float(value).is_integer()
    )
    if whole and not isinstance(value, bool):
        return int(value), None
    return None, f"id: must be a string or a whole number, got {quote(value)}"


def check_text(value: Any) -> tuple[str | None, str | None]:
    """A case's free text (``None`` when missing), or the problem with it."""
    if is_missing(value):
        return None, None
    if isinstance(value, str):
        return value, None
    return None, f"text: must be a string, got {json_kind(value)}"


def decode(spec: FieldSpec, code: float | int) -> Any:
    """The contract value of one column code (``None`` for unknown)."""
    if spec.numeric:
        if code != code:  # NaN
            return None
        return int(code) if spec.kind == "int" else float(code)
    if code == UNKNOWN:
        return None
    return bool(code) if spec.kind == "bool" else spec.values[int(code)]


# -- one record ------------------------------------------------------------------------------


def check_record(data: Mapping[str, Any]) -> dict[str, float | int]:
    """The codes of a case's known findings, given as ``{finding: value}``; raises
    :class:`CaseError` listing every problem (unknown names first, then each field in contract
    order). Answers that disagree with each other are not a problem: they are resolved
    towards safety when the case is decided (:mod:`backclf.contract.conflicts`)."""
    problems = [unknown_field(k) for k in data if k not in FIELDS]
    codes: dict[str, float | int] = {}
    for name in _in_contract_order(data):
        value = data[name]
        if value is None or (not isinstance(value, bool | int | str) and is_missing(value)):
            continue  # (the common kinds are told apart before the call: it is per value)
        code, problem = check_value(FIELDS[name], value)
        if problem is None:
            codes[name] = code
        else:
            problems.append(problem)
    if problems:
        raise CaseError(problems)
    return codes


def _in_contract_order(names: Iterable[str]) -> list[str]:
    known = [n for n in names if n in FIELDS]
    if len(known) > 1:
        known.sort(key=_POSITION.__getitem__)
    return known


_POSITION = {name: i for i, name in enumerate(FIELD_NAMES)}


# -- the common case, quickly ------------------------------------------------------------------


def _plain_table() -> dict[str, tuple[int, dict[str, int] | None, float, float, bool]]:
    """Per finding: its kind (0 yes/no, 1 enum, 2 number), an enum's codes, and a number's
    bounds and whether it must be whole."""
    table = {}
    for name, spec in FIELDS.items():
        if spec.kind == "bool":
            table[name] = (0, None, 0.0, 0.0, False)
        elif spec.kind == "enum":
            table[name] = (1, {v: i for i, v in enumerate(spec.values)}, 0.0, 0.0, False)
        else:
            table[name] = (2, None, spec.minimum, spec.maximum, spec.kind == "int")
    return table


_PLAIN = _plain_table()


def plain_codes(
    findings: Mapping[str, Any], skip: str | None = None
) -> tuple[dict[str, float | int], tuple[str, ...]] | None:
    """The codes :func:`check_record` gives, and the findings given as ``null`` ("don't
    know"), for a record whose every key (but ``skip``) is a finding and every value ``null``
    or a valid value of its finding's JSON kind: ``true``/``false``, one of an enum's strings,
    a number in range (whole where it must be). ``None`` for any other record: the general
    path (:func:`check_record`) then says what is wrong. It is that path's result, found with
    one table look-up per value (a batch of JSON Lines is mostly such records)."""
    codes: dict[str, float | int] = {}
    dont_know: list[str] = []
    for name, value in findings.items():
        plain = _PLAIN.get(name)
        if plain is None:
            if name == skip:
                continue
            return None
        if value is None:
            dont_know.append(name)
            continue
        kind = plain[0]
        if kind == 0:  # true or false (never 1 or 0: those are not JSON's booleans)
            if value is True:
                codes[name] = 1
            elif value is False:
                codes[name] = 0
            else:
                return None
        elif kind == 1:
            code = plain[1].get(value) if type(value) is str else None  # type: ignore[union-attr]
            if code is None:
                return None
            codes[name] = code
        else:
            t = type(value)
            if not ((t is int or t is float) and plain[2] <= value <= plain[3]):
                return None
            if plain[4] and t is float and not value.is_integer():
                return None
            codes[name] = float(value)
    return codes, tuple(dont_know)
