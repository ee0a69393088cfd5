"""The OpenAPI document's models, generated from the pydantic contract.

The request bodies are described by models built from the contract's own ``Case`` fields
(types, ranges, enum values), each with its description (or, where the field table gives
none, its plain label), so ``/docs`` lists every finding. The server does not validate
requests with these models: bodies are read by :mod:`backclf.io` with the contract's rules and
messages, exactly as the command line reads them. Responses are the contract's
``Assessment`` and ``ErrorRecord``.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import models_json_schema

from backclf.contract.fields import FIELDS
from backclf.contract.findings import Case

REF_TEMPLATE = "#/components/schemas/{model}"

_ID = (
    str | int | None,
    Field(None, description="your reference for the case, returned with its assessment"),
)
_TEXT = (
    str | None,
    Field(
        None,
        description="the person's own words, read into findings (needs the text extra); "
        "findings given explicitly win over the text",
    ),
)


def _described_fields() -> dict[str, Any]:
    fields = {}
    for name, info in Case.model_fields.items():
        spec = FIELDS[name]
        described = copy.copy(info)
        described.title = spec.label
        described.description = spec.description or spec.label
        fields[name] = (info.annotation, described)
    return fields


_FORBID = ConfigDict(extra="forbid")

Findings = create_model(
    "Findings",
    __config__=_FORBID,
    __doc__="One person's findings. Every finding is optional; absent or null means unknown "
    "(not false). An unknown name is an error with a suggestion.",
    **_described_fields(),
)

CaseRequest = create_model(
    "CaseRequest",
    __config__=_FORBID,
    __doc__="One case: its findings at the top level, with an optional id and text.",
    id=_ID,
    text=_TEXT,
    **_described_fields(),
)

CaseEnvelope = create_model(
    "CaseEnvelope",
    __config__=_FORBID,
    __doc__="One case with its findings inside 'findings'.",
    id=_ID,
    text=_TEXT,
    findings=(Findings | None, Field(None, description="the case's findings")),
)


class Problem(BaseModel):
    """Why a request as a whole could not be served (too large, empty, not found)."""

    model_config = _FORBID
    error: str


class ModelVersion(BaseModel):
    kind: str
    version: str
    sha256: str = Field(description="SHA-256 of the model file")


class VersionInfo(BaseModel):
    package: str = Field(description="the backclf version")
    schema_version: str = Field(description="the assessment contract's version")
    model: ModelVersion
    knowledge: dict[str, int] = Field(description="the version of each knowledge file")


class Health(BaseModel):
    status: Literal["ok"]
    text: bool = Field(description="whether free text can be read (the text extra)")
    model: ModelVersion


def case_body_schema() -> dict[str, Any]:
    return {"anyOf": [{"$ref": REF_TEMPLATE.format(model=m.__name__)} for m in _CASE_MODELS]}


_CASE_MODELS = (CaseRequest, CaseEnvelope)


def request_components() -> dict[str, Any]:
    """The component schemas of the request bodies (and the models they refer to)."""
    _, top = models_json_schema(
        [(model, "validation") for model in _CASE_MODELS], ref_template=REF_TEMPLATE
    )
    return top["$defs"]
