"""A small typed client for ``backclf serve`` (the Python standard library and the contract's
models; no FastAPI, no generated code).

Cases go to the server exactly as given (a mapping), never through a generated request model:
a client generated from ``/openapi.json`` (openapi-python-client, for one) drops a key its
model does not declare, so a misspelt ``saddle_numbnes`` would vanish and the case be assessed
without it. Here the server sees every key, and an unknown finding comes back as a
:class:`ProblemError` with the field, a code and the suggestion, the same words as
``backclf predict``. Answers are the contract's models (:class:`Assessment`,
:class:`ErrorRecord`), read leniently about keys a newer server may add.

    with Client("http://127.0.0.1:8000") as backclf:
        assessment = backclf.assess({"age": 40, "saddle_numbness": True})
        assessment.triage.level          # 'emergency'
        backclf.assess({"fevr": True})   # ProblemError: ... did you mean 'fever'?
        records = backclf.assess_batch(cases)   # one per case, in order (JSON Lines)
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from backclf.contract.assessment import Assessment, ErrorRecord

JSON = "application/json"
JSON_LINES = "application/x-ndjson"
#: Connection failures after which a request is sent once more (assessing is a pure
#: function of the case, so sending it again is safe).
_RETRIED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class ProblemError(Exception):
    """An error answer (RFC 9457 problem details): ``status``, ``problem`` (the whole object)
    and, for a case that breaks the contract, ``errors`` (each with ``field``, ``code``,
    ``detail`` and ``suggestion``)."""

    def __init__(self, status: int, problem: dict[str, Any]):
        self.status = status
        self.problem = problem
        self.errors: list[dict[str, Any]] = problem.get("errors", [])
        super().__init__(problem.get("detail") or problem.get("title") or f"HTTP {status}")


class Client:
    """One keep-alive connection to a server at ``base_url``."""

    def __init__(self, base_url: str = "http://127.0.0.1:8000", timeout: float = 60.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"base_url must be http://host[:port], got {base_url!r}")
        self._host, self._port = parts.hostname, parts.port or 80
        self._timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def assess(self, case: Mapping[str, Any]) -> Assessment:
        """The assessment of one case: findings (flat, or inside ``findings``), optionally
        ``id`` and ``text``. Raises :class:`ProblemError` if the case cannot be assessed."""
        body = _json(case).encode()
        return Assessment.model_validate_json(self._post("/assess", body, JSON), extra="allow")

    def assess_batch(self, cases: Iterable[Mapping[str, Any]]) -> list[Assessment | ErrorRecord]:
        """One record per case, in order: an assessment, or an error record in the case's
        place (sent as JSON Lines)."""
        body = "".join(_json(case) + "\n" for case in cases).encode()
        answer = self._post("/assess/batch", body, JSON_LINES)
        return [_record(line) for line in answer.splitlines() if line]

    def health(self) -> dict[str, Any]:
        return json.loads(self._request("GET", "/health", None, None))

    def version(self) -> dict[str, Any]:
        return json.loads(self._request("GET", "/version", None, None))

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _post(self, path: str, body: bytes, media: str) -> bytes:
        return self._request("POST", path, body, media)

    def _request(self, method: str, path: str, body: bytes | None, media: str | None) -> bytes:
        headers = {"Content-Type": media} if media else {}
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(
                    self._host, self._port, timeout=self._timeout
                )
            try:
                self._connection.request(method, path, body, headers)
                response = self._connection.getresponse()
                data = response.read()
                break
            except _RETRIED:
                self.close()  # the server closed an idle connection: open another, once
                if attempt == 2:
                    raise
        if response.status >= 400:
            try:
                problem = json.loads(data)
            except ValueError:
                problem = {"status": response.status, "detail": data[:200].decode("latin-1")}
            raise ProblemError(response.status, problem)
        return data


def _json(case: Mapping[str, Any]) -> str:
    """A case as JSON, every key kept (NaN is not JSON: a ValueError here)."""
    return json.dumps(dict(case), allow_nan=False, ensure_ascii=False)


def _record(line: bytes) -> Assessment | ErrorRecord:
    data = json.loads(line)
    model = ErrorRecord if "error" in data else Assessment
    return model.model_validate(data, extra="allow")
