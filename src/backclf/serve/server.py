"""Run the application under uvicorn: one process, or ``workers`` processes sharing a port.

The address is taken first: a busy port or a host that is not this machine's is one
``backclf: error:`` line and its exit code before anything loads. Then the model is loaded
(and checked) before the port is opened, so a bad ``--model`` is a clear error and exit code
66, not a server that fails its first request. Connections are bounded
(:mod:`backclf.serve.limits`). On SIGINT or SIGTERM uvicorn stops accepting connections, lets
requests in progress finish (up to ``grace_seconds``), and the command exits 0.
"""

from __future__ import annotations

import errno
import gc
import ipaddress
import os
import resource
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from uvicorn.supervisors import Multiprocess

from backclf.core.model import ModelFileError, load_model
from backclf.serve.app import SETTINGS_ENV, Settings, create_app
from backclf.serve.limits import BoundedProtocol, ConnectionLimits
from backclf.serve.reading import ReaderStopped

EXIT_OK, EXIT_NOINPUT, EXIT_SOFTWARE = 0, 66, 70
#: sysexits: EX_NOHOST, the host is not an address of this machine (or has no address);
#: EX_TEMPFAIL, the port is in use (try again, or another port); EX_NOPERM, the port needs
#: privileges this user does not have.
EXIT_NOHOST, EXIT_PORT_IN_USE, EXIT_NOPERM = 68, 75, 77
#: File descriptors kept beyond the connections (the listening socket, the model, logs).
SPARE_FILES = 64


class CannotListen(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def run(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    access_log: bool = False,
    grace_seconds: float = 30.0,
) -> int:
    """Serve until interrupted; the exit code."""
    try:
        sock = bind(host, port)
    except CannotListen as exc:
        print(f"backclf: error: {exc}", file=sys.stderr)
        return exc.code
    with sock:
        try:
            app = create_app(settings) if workers == 1 else load_model(settings.model_path)
        except ModelFileError as exc:
            print(f"backclf: error: {exc}", file=sys.stderr)
            return EXIT_NOINPUT
        except ReaderStopped as exc:
            print(f"backclf: error: {exc}", file=sys.stderr)
            return EXIT_SOFTWARE
        gc.freeze()  # start-up objects (model, knowledge) leave the collector's rounds
        _allow_connections(settings.max_connections)
        if not _loopback(host):
            print(
                f"backclf: warning: listening on {host}: the server has no authentication or "
                "TLS; put it behind a reverse proxy that adds them (and name the proxy's host "
                "with --allowed-host)",
                file=sys.stderr,
            )
        shown = f"[{host}]" if ":" in host else host
        print(f"backclf: serving on http://{shown}:{sock.getsockname()[1]} "
              "(Ctrl-C to stop; API docs at /docs)", file=sys.stderr, flush=True)  # fmt: skip
        config = _config(settings, app if workers == 1 else None, workers, access_log,
                         grace_seconds)  # fmt: skip
        with _stop_signals_end_the_run():
            if workers == 1:
                uvicorn.Server(config).run(sockets=[sock])
            else:
                del app  # the model is good; each worker process builds its own application
                os.environ[SETTINGS_ENV] = settings.to_json()
                Multiprocess(config, sockets=[sock]).run()
    return EXIT_OK


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (not yet listening); :class:`CannotListen` says why
    not, with the command's exit code."""
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise CannotListen(f"cannot listen on {host[:80]}: {_reason(exc)} (not a name or an "
                           "address of this machine)", EXIT_NOHOST) from None  # fmt: skip
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        where = f"{host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            raise CannotListen(f"port {port} is in use ({where}); stop what holds it or choose "
                               "another with --port", EXIT_PORT_IN_USE) from None  # fmt: skip
        if exc.errno == errno.EACCES:
            raise CannotListen(
                f"not allowed to listen on {where} (ports below 1024 need "
                "privileges); choose another with --port",
                EXIT_NOPERM,
            ) from None
        raise CannotListen(f"cannot listen on {where}: {_reason(exc)} (is it an address of this "
                           "machine?)", EXIT_NOHOST) from None  # fmt: skip
    sock.set_inheritable(True)
    return sock


def _reason(exc: OSError | UnicodeError) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def _config(settings: Settings, app: object, workers: int, access_log: bool,
            grace_seconds: float) -> uvicorn.Config:  # fmt: skip
    config = uvicorn.Config(
        app if app is not None else "backclf.serve.app:app_from_environment",
        factory=app is None,
        workers=workers,
        http=BoundedProtocol,
        timeout_keep_alive=settings.keep_alive_timeout,  # type: ignore[arg-type]
        timeout_graceful_shutdown=grace_seconds,  # type: ignore[arg-type]
        access_log=access_log,
        log_level="info" if access_log else "warning",
        server_header=False,
        backlog=min(2048, settings.max_connections),
    )
    config.backclf_limits = ConnectionLimits(  # type: ignore[attr-defined]
        settings.max_connections, settings.header_timeout, settings.body_timeout
    )
    return config


def _allow_connections(connections: int) -> None:
    """Raise this process's open-file limit, if it must and may, to hold ``connections``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        if new < wanted:
            print(f"backclf: warning: the open-file limit ({hard}) holds about "
                  f"{new - SPARE_FILES} connections, fewer than --max-connections "
                  f"({connections})", file=sys.stderr)  # fmt: skip


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
