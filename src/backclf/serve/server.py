"""Run the application under uvicorn: one process, or ``workers`` processes sharing a port.

The model is loaded (and checked) before the port is opened, so a bad ``--model`` is a clear
error and exit code 66, not a server that fails its first request. On SIGINT or SIGTERM
uvicorn stops accepting connections, lets requests in progress finish (up to
``grace_seconds``), and the command exits 0.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from backclf.core.model import ModelFileError, load_model
from backclf.serve.app import SETTINGS_ENV, Settings, create_app

EXIT_OK, EXIT_NOINPUT = 0, 66



def run(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    access_log: bool = True,
    grace_seconds: float = 30.0,
) -> int:
    """Serve until interrupted; the exit code."""
    try:
        app = create_app(settings) if workers == 1 else load_model(settings.model_path)
    except ModelFileError as exc:
        print(f"backclf: error: {exc}", file=sys.stderr)
        return EXIT_NOINPUT
    if not _loopback(host):
        print(
            f"backclf: warning: listening on {host}: the server has no authentication or TLS; "
            "put it behind a reverse proxy that adds them",
            file=sys.stderr,
        )
    options = {
        "host": host,
        "port": port,
        "access_log": access_log,
        "timeout_graceful_shutdown": grace_seconds,
        "log_level": "info",
        "server_header": False,
    }
    with _stop_signals_end_the_run():
        if workers == 1:
            uvicorn.run(app, **options)
        else:
            del app  # the model is good; each worker process builds its own application
            os.environ[SETTINGS_ENV] = settings.to_json()
            uvicorn.run(
                "backclf.serve.app:app_from_environment", factory=True, workers=workers, **options
            )
    return EXIT_OK


@contextmanager
def _stop_signals_end_the_run() -> Iterator[None]:
    """uvicorn handles SIGINT and SIGTERM itself (a graceful shutdown), then raises the signal
    again for the handler it found. Ours takes note, so the command ends with exit code 0,
    not a KeyboardInterrupt or death by signal: the stop was asked for and went as planned."""
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in handled}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
