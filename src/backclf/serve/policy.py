"""The server's front: what every HTTP answer obeys, in one ASGI layer in front of FastAPI,
and the two assessing paths answered straight from it.

- **Host allow-list.** A request whose ``Host`` is not an allowed name gets 421: loopback names
  only by default, so a web page elsewhere cannot reach a server on this machine through DNS
  rebinding. ``*.example.org`` allows a domain's hosts; ``*`` allows any.
- **Requests at once.** Beyond ``max_requests`` in progress, a request gets 503 with
  ``Retry-After: 1`` at once, rather than a wait without end.
- **HEAD wherever GET works**: answered as GET, without the body.
- **Headers on every answer**: ``Cache-Control: no-store`` (answers are health information:
  no cache keeps them; a route may set its own, as the page does) and
  ``X-Content-Type-Options: nosniff``; ``path_headers`` adds a path's own (the API
  documentation's content security policy: nothing but this server, so Swagger UI and ReDoc
  never reach for a CDN, a font or a logo elsewhere).

- **The assessing paths**: ``POST /assess`` and ``POST /assess/batch`` go straight to their
  handlers (:mod:`backclf.serve.handlers`); everything else (the documents, the page,
  ``/health``, errors such as 404 and 405) goes to the FastAPI application, which also
  documents the two. FastAPI's own layers (error and exception middleware, telemetry, body
  limit, router) cost about 0.1-0.3 ms a request on this machine: as much as a whole answer of
  the framework's floor.

Errors are problem details (:mod:`backclf.serve.problems`).
"""

from __future__ import annotations

from typing import Any

from backclf.serve import problems

Scope = dict[str, Any]
NO_STORE = (b"cache-control", b"no-store")
NOSNIFF = (b"x-content-type-options", b"nosniff")


def host_name(host: bytes) -> str:
    """The name of a Host header value, without its port (``[::1]:80`` -> ``::1``)."""
    text = host.decode("latin-1").strip().lower()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


def host_allowed(name: str, allowed: tuple[str, ...]) -> bool:
    for pattern in allowed:
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


class Front:
    """The ASGI application the server runs: the host allow-list, the cap on requests at once,
    HEAD as GET, the headers every answer carries, and ``posts`` (path to handler) answered
    without going through ``app``."""

    def __init__(
        self,
        app: Any,
        allowed_hosts: tuple[str, ...],
        max_requests: int,
        path_headers: dict[str, list[tuple[bytes, bytes]]] | None = None,
        posts: dict[str, Any] | None = None,
    ) -> None:
        self.app = app
        self.posts = posts or {}
        self.allowed_hosts = tuple(h.lower() for h in allowed_hosts)
        self.max_requests = max_requests
        self.path_headers = path_headers or {}
        self.in_progress = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((v for k, v in scope["headers"] if k == b"host"), b"")
        name = host_name(host)
        if not host_allowed(name, self.allowed_hosts):
            detail = (f"Host {name[:60]!r} is not one this server answers for; start it with "
                      "--allowed-host to add one")  # fmt: skip
            await send_problem(send, problems.problem(problems.HOST_NOT_ALLOWED, detail))
            return
        if self.in_progress >= self.max_requests:
            detail = f"{self.max_requests} requests are in progress; try again shortly"
            await send_problem(send, problems.problem(problems.BUSY, detail),
                               [(b"retry-after", b"1")])  # fmt: skip
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        extra = self.path_headers.get(scope["path"], ())

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                names = {name for name, _ in headers}
                if b"cache-control" not in names:
                    headers.append(NO_STORE)
                if b"x-content-type-options" not in names:
                    headers.append(NOSNIFF)
                headers.extend(extra)
                message = {**message, "headers": headers}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        handler = self.posts.get(scope["path"]) if scope["method"] == "POST" else None
        self.in_progress += 1
        try:
            await (handler or self.app)(scope, receive, send_with_headers)
        finally:
            self.in_progress -= 1


async def send_problem(send: Any, body: dict[str, Any],
                       headers: list[tuple[bytes, bytes]] | None = None) -> None:  # fmt: skip
    """Answer with a problem object (with the headers every answer carries)."""
    content = problems.encode(body)
    await send({
        "type": "http.response.start",
        "status": body["status"],
        "headers": [
            (b"content-type", problems.MEDIA_TYPE.encode()),
            (b"content-length", str(len(content)).encode()),
            NO_STORE, NOSNIFF, *(headers or ()),
        ],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": content})
