"""The findings contract as a pydantic model: the typed Python API and the JSON Schema.

:class:`Case` is built from the field table (:mod:`backclf.contract.fields`) and validated by
the contract's own rules (:mod:`backclf.contract.rules`), so ``Case(age=200)`` fails with the
same message a JSON line or a CSV cell gets. It is immutable: a case cannot be changed after
it was checked. Absent (or ``None``) means "not asked / unknown", which is not ``false``.

The command line and the batch paths do not build ``Case`` objects (they check records with
:func:`~backclf.contract.rules.check_record` and go straight to columns); use
:func:`parse_case` or ``Case(...)`` from Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from backclf.contract.conflicts import resolve_codes
from backclf.contract.fields import FIELDS, FieldSpec
from backclf.contract.rules import CaseError, check_record, decode, json_kind


def _annotation(spec: FieldSpec) -> Any:
    if spec.kind == "bool":
        return bool | None
    if spec.kind == "enum":
        return Literal[spec.values] | None
    number = int if spec.kind == "int" else float
    return Annotated[number, Field(ge=spec.minimum, le=spec.maximum)] | None


class _CaseBase(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, title="Findings")

    @model_validator(mode="before")
    @classmethod
    def _contract_rules(cls, data: Any) -> Any:
        """The contract's rules, with their messages; then the derived fever."""
        return checked_values(data)

    def known(self) -> dict[str, Any]:
        """The findings that were given, in contract order."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


Case = create_model(
    "Case",
    __base__=_CaseBase,
    __doc__="One person's findings. Every field is optional; ``None`` means unknown.",
    **{
        name: (_annotation(spec), Field(None, description=spec.description or None))
        for name, spec in FIELDS.items()
    },
)


def checked_values(data: Any) -> dict[str, Any]:
    """The known findings of a case, checked by the contract's rules (raising
    :class:`CaseError`), with the findings they imply where not given (fever from a measured
    temperature). Answers that disagree are kept as given: the decision resolves them, and
    says so in the assessment's ``conflicts``."""
    if not isinstance(data, Mapping):
        raise CaseError([f"a case must be a JSON object of findings, got {json_kind(data)}"])
    codes, _ = resolve_codes(check_record(data), conflicts_too=False)
    return {name: decode(FIELDS[name], codes[name]) for name in FIELDS if name in codes}


def parse_case(data: Any) -> Case:
    """Validate one case given as a mapping; raise :class:`CaseError` listing every problem."""
    return Case.model_construct(**checked_values(data))


__all__ = ["Case", "CaseError", "parse_case"]
