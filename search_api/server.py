"""How `kb serve` runs the app: uvicorn with read timeouts it does not have by itself.

uvicorn times out only idle keep-alive connections, after a response. A connection that sends its headers a byte
at a time, never finishes them, or stops in the middle of an upload body holds a socket and its buffers for ever
(40 such connections stayed open past 50 s in the outside review). The protocol here adds two deadlines:
the request line and headers must arrive within `KB_HEADER_TIMEOUT_S` of the request's first byte (of the
connection, for a first request), and an unfinished body may pause at most `KB_BODY_TIMEOUT_S` between two reads.
Past either, the client gets 408 (if nothing was answered yet) and the connection is closed. Behind a reverse proxy
the same limits belong in the proxy too (README, Deployment).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from kb.settings import Settings

_TIMEOUT_BODY = json.dumps({"error": {"code": "richiesta_scaduta", "message": "richiesta non ricevuta in tempo: "
                                      "la connessione è stata chiusa", "details": [], "request_id": None}},
                           ensure_ascii=False).encode()
_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
                     b"content-length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n\r\n" + _TIMEOUT_BODY)


class TimedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header deadline and a body idle timeout (class attributes, set by
    `timed_protocol`)."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    _read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout)  # a connection that never sends a byte is not idle keep-alive: it is late

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._read_timer is None:  # the next request on a kept-alive connection: from its first byte
            self._arm(self.header_timeout)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        if not self.parser.should_upgrade():
            self._arm(self.body_timeout)  # cancelled by on_message_complete when the body is whole (or empty)

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self._arm(self.body_timeout)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _expired(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:  # the app has not consumed what arrived: the client is not the slow one
            self._arm(self.body_timeout)
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_TIMEOUT_RESPONSE)
        if self.cycle is not None:
            self.cycle.keep_alive = False
        self.transport.close()


def timed_protocol(header_timeout: float, body_timeout: float) -> type[TimedHttpProtocol]:
    return type("TimedHttpProtocol", (TimedHttpProtocol,), {"header_timeout": header_timeout,
                                                             "body_timeout": body_timeout})


def server_config(app: Any, settings: Settings, host: str | None = None, port: int | None = None) -> uvicorn.Config:
    """The one uvicorn configuration `kb serve` uses (tests start a server from it)."""
    return uvicorn.Config(app, host=host or settings.host, port=port or settings.port, log_config=None,
                          access_log=False, timeout_keep_alive=settings.keep_alive_s,
                          http=timed_protocol(settings.header_timeout_s, settings.body_timeout_s))
