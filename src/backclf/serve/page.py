"""``GET /``: the page for people, a small static front end to ``POST /assess``.

Three files shipped inside the package (``static/``: HTML, CSS, JavaScript; no framework, no
address outside this server, so it works with no network). The page keeps the case in the
browser and sends all of it with every answer: the server stores nothing. It renders only
what ``POST /assess`` and ``GET /health`` answer; every decision (red flags, triage, cause,
advice, the next question) is the API's. The files are read once, when the application is
created, and served with a content security policy that allows nothing but this server.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.responses import Response

#: The page's files and their media types; nothing else is served from ``static/``.
FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
}
#: Only this server: no inline script or style, no other origin, not framed.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def add_page(app: FastAPI) -> None:
    """Serve the page at ``/`` and its assets at ``/app.css`` and ``/app.js``."""
    static = files("backclf.serve") / "static"
    contents = {name: (static / name).read_bytes() for name in FILES}

    def route(name: str):
        def serve_file() -> Response:
            return Response(contents[name], media_type=FILES[name], headers=SECURITY_HEADERS)

        serve_file.__name__ = f"page_{name.replace('.', '_')}"
        return serve_file

    app.get("/", include_in_schema=False)(route("index.html"))
    for name in FILES:
        if name != "index.html":
            app.get(f"/{name}", include_in_schema=False)(route(name))

    @app.get("/favicon.ico", include_in_schema=False)
    def no_icon() -> Response:
        return Response(status_code=204)
