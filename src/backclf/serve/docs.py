"""The OpenAPI document's models, generated from the pydantic contract.

The request bodies are described by models built from the contract's own ``Case`` fields
(types, ranges, enum values), each with its description (or, where the field table gives
none, its plain label), so ``/docs`` lists every finding. The server does not validate
requests with these models: bodies are read by :mod:`backclf.io` with the contract's rules and
messages, exactly as the command line reads them. Answers are the contract's
``Assessment`` and ``ErrorRecord``, and problem details (:mod:`backclf.serve.problems`).
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import models_json_schema

from backclf.contract.assessment import Assessment, ErrorRecord
from backclf.contract.conflicts import IMPLICATIONS
from backclf.contract.fields import FIELDS
from backclf.contract.findings import Case
from backclf.serve import problems

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
    """A problem with a request, as RFC 9457 problem details (``application/problem+json``):
    too large, not JSON, empty, a media type or encoding not accepted, a host not allowed,
    too many requests at once, not found."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="a URI naming the kind of problem (tag:backclf,...)")
    title: str = Field(description="the kind of problem, in words")
    status: int = Field(description="the HTTP status code")
    detail: str = Field(description="this problem, in words for a person")


class ProblemEntry(BaseModel):
    """One problem of a case."""

    field: str | None = Field(description="the field it names (null for the case as a whole)")
    fields: list[str] = Field(description="every field it names")
    code: str = Field(description="machine-readable, one of: " + ", ".join(problems.CODES))
    detail: str = Field(description="the contract's message, as the command line writes it")
    suggestion: str | None = Field(description="the name meant, where one is near ('fever')")


class CaseProblem(Problem):
    """A case that cannot be assessed: the problem details, the command line's error record
    (``id``, ``line``, ``error``: the same text as ``backclf predict`` writes) and each
    problem with its field, code and suggestion."""

    id: str | int | None = Field(description="the case's id, when it could be read")
    line: int = Field(description="always 1: a single case is line 1")
    error: str = Field(description="the command line's error text (also in detail)")
    errors: list[ProblemEntry]


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


def cross_field_description() -> str:
    """The contract's rules across fields, in words (for the request body's description)."""
    implied = "; ".join(
        f"{' and '.join(f'`{s}`' for s in rule.sources)} implies `{rule.finding}`"
        for rule in IMPLICATIONS
    )
    return (
        f"Findings read together (docs/contract.md, \"Answers that disagree\"): {implied}. "
        "A case whose answers disagree is never refused for it: the reading with the more "
        "urgent triage is used, and the assessment's `conflicts` says what was given, what was "
        "used and why. The schema cannot say all of this: the server applies it, with the same "
        "rules as `backclf predict`."
    )


def _ref(model: type) -> dict[str, str]:
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def _problem(description: str, model: type = Problem) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": _ref(model)}}}


PROBLEM_JSON = "application/problem+json"
_REFUSED = {
    "413": _problem("the body (or the batch) is over the limit"),
    "415": _problem("a media type, charset or Content-Encoding not accepted (bodies are plain "
                    "UTF-8), or a body that is not UTF-8 (UTF-16, gzip bytes)"),
    "421": _problem("the Host header names a host this server does not answer for"),
    "503": _problem("as many requests as allowed are in progress (Retry-After says when to "
                    "try again)"),
}  # fmt: skip


def assess_operation() -> dict[str, Any]:
    """``POST /assess`` for the OpenAPI document: its body, answers and problems."""
    body = case_body_schema()
    return {
        "summary": "Assess one case",
        "openapi_extra": {
            "requestBody": {
                "required": True,
                "description": cross_field_description(),
                "content": {"application/json": {"schema": body}},
            }
        },
        "responses": {
            200: {"description": "the assessment (the same bytes as `backclf predict`)",
                  "content": {"application/json": {"schema": _ref(Assessment)}}},
            400: _problem("the body is not JSON, or holds nothing", CaseProblem),
            422: _problem("the case breaks the contract: each problem with its field, a code "
                          "and a suggestion (`fevr` -> `fever`); the command line's error "
                          "record is in `id`, `line` and `error`", CaseProblem),
            **_REFUSED,
        },
    }  # fmt: skip


def batch_operation(json_lines_types: tuple[str, ...]) -> dict[str, Any]:
    """``POST /assess/batch`` for the OpenAPI document: a JSON array or JSON Lines."""
    case = case_body_schema()
    record = {"anyOf": [_ref(Assessment), _ref(ErrorRecord)]}
    lines_in = {
        "schema": {"type": "string", "description": "JSON Lines: one case per line, each a "
                   "JSON object as in `application/json` (blank lines are skipped)"},
        "x-item-schema": case,
        "example": '{"id": 1, "age": 40, "fever": true}\n{"id": 2, "saddle_numbness": true}\n',
    }  # fmt: skip
    lines_out = {
        "schema": {"type": "string", "description": "JSON Lines: one record per line, in the "
                   "input's order: an assessment, or an error record in the case's place"},
        "x-item-schema": record,
    }  # fmt: skip
    return {
        "summary": "Assess many cases: a JSON array, or JSON Lines",
        "openapi_extra": {
            "requestBody": {
                "required": True,
                "description": cross_field_description(),
                "content": {
                    "application/json": {"schema": {"type": "array", "items": case}},
                    **dict.fromkeys(json_lines_types, lines_in),
                },
            }
        },
        "responses": {
            200: {
                "description": "one record per case, in order: an assessment, or an error "
                "record in the case's place; JSON Lines in, JSON Lines out",
                "content": {
                    "application/json": {"schema": {"type": "array", "items": record}},
                    json_lines_types[0]: lines_out,
                },
            },
            400: _problem("the body holds no case"),
            **_REFUSED,
        },
    }


#: The API documentation's pages may load from this server only: Swagger UI and ReDoc come
#: from the package (fastapi-offline ships them), and ReDoc's "by Redocly" logo, the one
#: address elsewhere it reaches for, is refused by the browser. Inline script and style are
#: how FastAPI's pages start the two.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")


def docs_headers() -> dict[str, list[tuple[bytes, bytes]]]:
    """The documentation pages' own headers (for :class:`backclf.serve.policy.Policy`)."""
    return {path: [(b"content-security-policy", DOCS_POLICY.encode())] for path in DOCS_PATHS}
