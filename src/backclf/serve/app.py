"""The HTTP application: ``POST /assess``, ``POST /assess/batch``, ``GET /health``,
``GET /version``, the OpenAPI document (``/openapi.json``) with Swagger UI (``/docs``) and
ReDoc (``/redoc``) served from the package, and the page for people (``GET /``,
:mod:`backclf.serve.page`).

The model and the free-text reader (in its own processes, :mod:`backclf.serve.reading`) are
loaded once, when the application is created. The two assessing paths are plain ASGI handlers
(:mod:`backclf.serve.handlers`); every answer passes the policy layer
(:mod:`backclf.serve.policy`: allowed hosts, requests at once, HEAD, no-store and nosniff).
Answers are the command line's records encoded the same way: a valid case gives the same bytes
as a line of ``backclf predict --format json``.

Status codes: 200 assessed (a batch is always 200 once read: a bad case is an error record in
its place); 400 a body that is not JSON, or empty; 413 a body or batch over the limits; 415 a
media type or encoding not accepted; 421 a host not allowed; 422 a single case that breaks the
contract, with the command line's message and suggestion; 503 too many requests at once.
Every error is an RFC 9457 problem (:mod:`backclf.serve.problems`).
"""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException as StarletteHTTPException

from backclf import SCHEMA_VERSION, __version__, knowledge
from backclf.contract.assessment import Assessment, ErrorRecord
from backclf.core.model import load_model
from backclf.io.parse import Item
from backclf.io.score import read_item
from backclf.serve import docs, problems
from backclf.serve.bodies import JSON_LINES_TYPES
from backclf.serve.handlers import AssessBatch, AssessOne, Service
from backclf.serve.page import add_page
from backclf.serve.policy import Front
from backclf.serve.reading import TextReader
from backclf.serve.settings import Settings

__all__ = ["SETTINGS_ENV", "Settings", "app_from_environment", "create_app"]

#: The environment variable that carries the settings to worker processes (``--workers``).
SETTINGS_ENV = "BACKCLF_SERVE_SETTINGS"
KNOWLEDGE_FILES = ("article", "findings", "red_flags", "lexicon")
PROBLEM = problems.MEDIA_TYPE


def app_from_environment() -> Front:
    """The application of a worker process (uvicorn's factory when ``--workers`` > 1)."""
    app = create_app(Settings.from_json(os.environ[SETTINGS_ENV]))
    gc.freeze()  # start-up objects (model, knowledge) leave the collector's rounds
    return app


def create_app(settings: Settings | None = None) -> Front:
    """The application (an ASGI app; its FastAPI application is ``.app``), with its model
    loaded and its text reader started (raises :class:`~backclf.core.model.ModelFileError` if
    the model file cannot be used)."""
    settings = settings or Settings()
    model = load_model(settings.model_path)
    reader = TextReader(settings.text_processes)
    text_ready = reader.start()
    try:
        service = Service(settings, model, reader)
        service.decide([read_item(Item(1, {}))], {})  # builds the knowledge and the rules once
        return _application(service, text_ready)
    except BaseException:
        reader.close()
        raise


def _application(service: Service, text_ready: bool) -> Front:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        service.reader.close()

    app = FastAPIOffline(
        title="backclf",
        version=__version__,
        summary="What is causing this sudden lower back soreness, and what should the person "
        "do now?",
        description=(
            "The likely cause of sudden lower back soreness, red flags, triage and the "
            "article's advice. The red-flag rules always apply. Information from a health "
            "article, **not a diagnosis**. Errors are RFC 9457 problem details."
        ),
        lifespan=lifespan,
        generate_unique_id_function=lambda route: route.name,  # operation ids: assess, ...
        swagger_ui_parameters={"validatorUrl": None},  # no call to an online validator
    )

    @app.exception_handler(StarletteHTTPException)
    async def _problem(request: Request, exc: StarletteHTTPException) -> Response:
        kind = problems.BY_STATUS.get(exc.status_code)
        body = (problems.problem(kind, f"{request.method} {request.url.path[:80]}") if kind
                else {"status": exc.status_code, "title": str(exc.detail)})  # fmt: skip
        return Response(problems.encode(body), exc.status_code, exc.headers, PROBLEM)

    posts = _assessing_routes(app, service)
    _information_routes(app, service, text_ready)
    add_page(app)
    app.openapi = lambda: _openapi(app)
    settings = service.settings
    return Front(app, settings.allowed_hosts, settings.max_requests, docs.docs_headers(), posts)


def _assessing_routes(app: FastAPI, service: Service) -> dict[str, Any]:
    """``POST /assess`` and ``POST /assess/batch``: documented here, answered by the plain
    ASGI handlers of :mod:`backclf.serve.handlers` (returned by path, for the front)."""

    def assess() -> None:
        """The same JSON object ``backclf predict`` reads from a line: findings at the top
        level (or inside ``findings``), an optional ``id``, and optional free ``text``."""

    def assess_batch() -> None:
        """Cases as a JSON array (``application/json``), or JSON Lines
        (``application/x-ndjson``), as ``backclf predict --input`` reads them. A case that
        cannot be assessed is an error record in its place; the others are assessed."""

    posts = {"/assess": AssessOne(service), "/assess/batch": AssessBatch(service)}
    _raw_route(app, "/assess", assess, posts["/assess"], docs.assess_operation())
    _raw_route(app, "/assess/batch", assess_batch, posts["/assess/batch"],
               docs.batch_operation(JSON_LINES_TYPES))  # fmt: skip
    return posts


def _raw_route(app: FastAPI, path: str, documented: Any, handler: Any, openapi: dict) -> None:
    app.add_api_route(path, documented, methods=["POST"], response_class=Response, **openapi)
    route = app.router.routes[-1]
    assert isinstance(route, APIRoute) and route.path == path
    route.app = handler  # no request/response objects, no dependency resolution per request


def _information_routes(app: FastAPI, service: Service, text_ready: bool) -> None:
    model = service.model
    model_info = {"kind": model.kind, "version": model.version or __version__,
                  "sha256": model.sha256}  # fmt: skip
    versions = {name: knowledge.read_yaml(f"{name}.yaml")["version"] for name in KNOWLEDGE_FILES}

    @app.get("/health", summary="Ready to assess", response_model=docs.Health)
    def health() -> dict[str, Any]:
        return {"status": "ok", "text": text_ready, "model": model_info}

    @app.get("/version", summary="Package, contract, model and knowledge versions",
             response_model=docs.VersionInfo)  # fmt: skip
    def version() -> dict[str, Any]:
        return {
            "package": __version__,
            "schema_version": SCHEMA_VERSION,
            "model": model_info,
            "knowledge": versions,
        }


def _ref(model: type) -> dict[str, str]:
    return {"$ref": docs.REF_TEMPLATE.format(model=model.__name__)}


def _content(media: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema}}}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document with the contract's models as components (built once)."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        models = (Assessment, ErrorRecord, docs.Problem, docs.CaseProblem)
        _, top = models_json_schema(
            [(m, "validation") for m in models], ref_template=docs.REF_TEMPLATE
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(top["$defs"])
        schemas.update(docs.request_components())
        app.openapi_schema = document
    return app.openapi_schema
