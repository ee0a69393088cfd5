"""What a server is started with: the model, the limits on requests and on connections, and
which host names it answers to. Nothing here can turn the red-flag rules off.

Every limit has a safe default (the command line's ``backclf serve --help`` lists them), and the
settings travel to worker processes (``--workers``) as JSON in one environment variable.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

#: The host names a server answers to unless told otherwise: this machine's own (loopback), so
#: a web page elsewhere cannot reach it through DNS rebinding.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Settings:
    """A server's settings. Nothing here can turn the red-flag rules off."""

    model_path: Path | None = None
    #: The largest request body accepted, in bytes (a case is a few hundred bytes).
    max_body_bytes: int = 16 * 1024 * 1024
    #: The most cases in one ``POST /assess/batch``.
    max_batch: int = 10_000
    #: The most single cases assessed in one call when they arrive together (1: never
    #: together); see :mod:`backclf.serve.coalesce`.
    coalesce: int = 256
    #: Open connections held at once (per process). At the limit, a new connection takes the
    #: place of the one that has waited longest without sending a request; if every
    #: connection is busy with a request, the new one is closed.
    max_connections: int = 1024
    #: Requests handled at once (per process); more are answered 503 with Retry-After.
    max_requests: int = 512
    #: Seconds a connection may take to send a request's headers, from when it opened or its
    #: last answer was sent (a slow or silent client is closed after it).
    header_timeout: float = 10.0
    #: Seconds a request may take to send its body, once its headers are in.
    body_timeout: float = 30.0
    #: Seconds an idle connection is kept open for its next request (keep-alive).
    keep_alive_timeout: float = 5.0
    #: Host header values answered (``*.example.org`` for a domain's hosts, ``*`` for any);
    #: others get 421. The port is not compared.
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    #: Processes reading free text, apart from the one that decides, so a long text never
    #: holds up a structured case.
    text_processes: int = 1

    def __post_init__(self) -> None:
        if self.keep_alive_timeout > self.header_timeout:
            raise ValueError(
                "the keep-alive timeout must not exceed the header timeout (an idle "
                "connection is one waiting for its next request's headers)"
            )
        positive = (f.name for f in fields(self) if f.type in ("int", "float"))
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")

    def to_json(self) -> str:
        values = asdict(self)
        values["model_path"] = str(self.model_path) if self.model_path else None
        return json.dumps(values)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        values = json.loads(text)
        path = values.pop("model_path")
        values["allowed_hosts"] = tuple(values["allowed_hosts"])
        return cls(model_path=Path(path) if path else None, **values)
