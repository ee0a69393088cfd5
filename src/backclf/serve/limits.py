"""Bounds on connections: how many are held, and how long a client may take to send.

uvicorn closes a connection left idle after an answer (its keep-alive timeout), but not one
that sends its request slowly, a byte at a time, or never sends anything: 500 half-sent
requests were still held after 20 s. :class:`BoundedProtocol` is uvicorn's own HTTP protocol
with a watch over every connection of the process:

- a connection must send a request's headers within ``header_timeout`` seconds of opening or
  of its last answer, and the request's body within ``body_timeout`` seconds of its headers;
  a slow or silent client is closed (checked every ``tick`` seconds, so a close comes at most
  that much late);
- at most ``max_connections`` are held: a new one takes the place of the connection that has
  waited longest for a request (idle, or sending its headers slowly), so a flood of slow
  clients cannot keep others out; if every connection is busy with a request, the new one is
  closed at once.

A request being answered has no time limit here (the decision path is bounded by the body and
batch limits). The watch reads uvicorn's per-connection state (``cycle``, ``more_body``,
``response_complete``: the same names in its h11 and httptools protocols);
``tests/test_serve_limits.py`` pins the behaviour against a real server.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

WAITING, BODY, ANSWERING = "waiting", "body", "answering"


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int
    header_timeout: float
    body_timeout: float

    @property
    def tick(self) -> float:
        return min(0.25, self.header_timeout / 4, self.body_timeout / 4)


class _Watch:
    """One connection's phase and since when (``time.monotonic``)."""

    __slots__ = ("cycle", "phase", "since")

    def __init__(self, now: float) -> None:
        self.cycle: Any = None
        self.phase = WAITING
        self.since = now


class Watchman:
    """Every connection of one server process, and the timer that closes the late ones."""

    def __init__(self, limits: ConnectionLimits, loop: asyncio.AbstractEventLoop) -> None:
        self.limits = limits
        self.loop = loop
        self.watched: dict[BoundedProtocol, _Watch] = {}
        self._timer: asyncio.TimerHandle | None = None

    def admit(self, connection: BoundedProtocol) -> bool:
        """Watch a new connection; ``False`` if it must be closed (every place is busy)."""
        if len(self.watched) >= self.limits.max_connections and not self._evict_one():
            return False
        self.watched[connection] = _Watch(time.monotonic())
        if self._timer is None:
            self._timer = self.loop.call_later(self.limits.tick, self._sweep)
        return True

    def forget(self, connection: BoundedProtocol) -> None:
        self.watched.pop(connection, None)

    def _evict_one(self) -> bool:
        self._update(time.monotonic())
        waiting = [(w.since, id(c), c) for c, w in self.watched.items() if w.phase == WAITING]
        if not waiting:
            return False
        _, _, oldest = min(waiting)
        self._close(oldest)
        return True

    def _close(self, connection: BoundedProtocol) -> None:
        self.watched.pop(connection, None)
        connection.transport.close()

    def _update(self, now: float) -> None:
        for connection, watch in self.watched.items():
            cycle = connection.cycle
            phase = _phase(cycle)
            if cycle is not watch.cycle or phase != watch.phase:
                watch.cycle, watch.phase, watch.since = cycle, phase, now

    def _sweep(self) -> None:
        now = time.monotonic()
        self._update(now)
        limit = {WAITING: self.limits.header_timeout, BODY: self.limits.body_timeout}
        late = [
            connection
            for connection, watch in self.watched.items()
            if watch.phase in limit and now - watch.since > limit[watch.phase]
        ]
        for connection in late:
            self._close(connection)
        self._timer = self.loop.call_later(self.limits.tick, self._sweep) if self.watched else None


def _phase(cycle: Any) -> str:
    if cycle is None or cycle.response_complete:
        return WAITING
    return BODY if cycle.more_body else ANSWERING


#: One watchman per event loop (a server process has one loop).
_WATCHMEN: dict[asyncio.AbstractEventLoop, Watchman] = {}


class BoundedProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol (httptools where installed, else h11), watched. Its limits come
    from the uvicorn config's ``backclf_limits`` attribute (set by :mod:`backclf.serve.server`;
    it travels with the config to worker processes)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        watchman = _WATCHMEN.get(self.loop)
        if watchman is None:
            watchman = _WATCHMEN[self.loop] = Watchman(self.config.backclf_limits, self.loop)
        if not watchman.admit(self):
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        watchman = _WATCHMEN.get(self.loop)
        if watchman is not None:
            watchman.forget(self)
        super().connection_lost(exc)
