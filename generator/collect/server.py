"""Run the service under uvicorn, every limit set explicitly (limits.py).

uvicorn has no timeout for a request's line and headers: a client that connects and then sends
a byte now and then would hold a connection, and a place under `limit_concurrency`, forever
(3,000 such connections starved the old receiver). `HeaderTimeoutProtocol` closes a connection
whose request line and headers have not arrived within `Limits.header_seconds` of its opening, or,
on a kept-alive connection, of the next request's first byte (an idle kept-alive connection is
closed by uvicorn's keep-alive timeout). A slow body is the application's (`Limits.body_seconds`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import time
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.supervisors import Multiprocess

from .settings import Settings

FACTORY = "generator.collect.app:from_environment"


class UtcFormatter(logging.Formatter):
    converter = time.gmtime


# Applied by uvicorn in this process and in each worker it starts (which inherit no logging).
LOGGING: dict[str, Any] = {
    "version": 1, "disable_existing_loggers": False,
    "formatters": {"utc": {"()": UtcFormatter, "format": "[%(asctime)s] %(message)s",
                           "datefmt": "%Y-%m-%dT%H:%M:%SZ"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "utc", "stream": "ext://sys.stderr"}},
    "loggers": {"examsite": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
                "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False}},
}


@functools.cache
def _header_seconds() -> float:
    """This process's header timeout, from the same environment the application reads."""
    return Settings.from_environ(os.environ).limits.header_seconds


class HeaderTimeoutProtocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._timed_cycle: Any = None
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(_header_seconds(), self._headers_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and self.cycle is not self._timed_cycle:
            self._timed_cycle = self.cycle  # a whole request line and headers arrived
            self._disarm()
        elif self._header_timer is None and (self.cycle is None or self.cycle.response_complete):
            # The first bytes of the next request on a kept-alive connection (until then, the
            # keep-alive timeout governs the idle connection).
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def listen(host: str, port: int, backlog: int) -> socket.socket:
    """The listening socket, bound here so a port in use is a clear error and port 0 works."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)  # the worker processes accept on it
    return sock


def serve(settings: Settings, sock: socket.socket, workers: int) -> None:
    """Serve on `sock` until interrupted. The application (in each worker process) reads
    `settings` back from the environment, as under any other server."""
    os.environ.update(settings.environ())
    limits = settings.limits
    config = uvicorn.Config(
        FACTORY, factory=True, workers=workers, http=HeaderTimeoutProtocol, loop="asyncio", lifespan="on",
        limit_concurrency=limits.concurrency, backlog=limits.backlog,
        timeout_keep_alive=max(1, int(limits.keep_alive_seconds)),
        h11_max_incomplete_event_size=limits.header_bytes,
        timeout_graceful_shutdown=10,
        access_log=False,  # request lines hold the callback token; the app logs what matters
        log_config=LOGGING, server_header=False, proxy_headers=False)
    try:
        if workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
