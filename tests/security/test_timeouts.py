"""Slow clients cannot hold connections: `kb serve`'s uvicorn configuration closes a connection whose headers do not
arrive in time or whose body stalls, with a 408, while slow-but-steady uploads and idle keep-alive still work.
A real server on a loopback port, with short timeouts; the assertions are about what happens, the waits generous."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from kb.settings import Settings
from search_api.server import TimedHttpProtocol, server_config

TIMEOUT = 0.6  # header deadline and body pause of the server under test
GIVE_UP = 8.0  # a connection still open after this long was not timed out


async def echo_length(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Reads the whole body, answers its length."""
    if scope["type"] != "http":
        return
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size, more = size + len(message.get("body", b"")), message.get("more_body", False)
    body = str(size).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(header_timeout_s=TIMEOUT, body_timeout_s=TIMEOUT, keep_alive_s=30)
    running = uvicorn.Server(server_config(echo_length, settings, "127.0.0.1", port))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield "127.0.0.1", port
    running.should_exit = True
    thread.join(10)


def _connect(address: tuple[str, int]) -> socket.socket:
    sock = socket.create_connection(address, timeout=GIVE_UP)
    sock.settimeout(GIVE_UP)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; a socket.timeout here means it never closed."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_a_connection_that_sends_nothing_is_closed_with_408(server: tuple[str, int]) -> None:
    with _connect(server) as sock:
        started = time.monotonic()
        answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert "richiesta_scaduta" in answer.decode()
    assert time.monotonic() - started < GIVE_UP


def test_headers_trickled_a_byte_at_a_time_are_cut_off(server: tuple[str, int]) -> None:
    request = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
    with _connect(server) as sock:
        sent = 0
        try:
            for byte in request:  # each pause is shorter than the timeout: only a deadline stops this
                sock.sendall(bytes([byte]))
                sent += 1
                time.sleep(TIMEOUT / 4)
        except OSError:
            pass  # closed by the server while we were still sending
        answer = _read_until_closed(sock)
    assert sent < len(request), "the server waited for the whole trickle"
    assert answer.startswith(b"HTTP/1.1 408")


def test_a_stalled_body_is_cut_off(server: tuple[str, int]) -> None:
    with _connect(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
        answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408")


def test_a_slow_but_steady_body_and_an_idle_keep_alive_are_served(server: tuple[str, int]) -> None:
    with _connect(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 40\r\n\r\n")
        for _ in range(8):  # 8 pauses of half the timeout: twice the timeout in all
            time.sleep(TIMEOUT / 2)
            sock.sendall(b"x" * 5)
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200") and first.endswith(b"40")
        time.sleep(TIMEOUT * 2)  # idle between requests: the keep-alive timeout's business, not the header's
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        second = sock.recv(65536)
    assert second.startswith(b"HTTP/1.1 200") and second.endswith(b"0")


def test_kb_serve_uses_the_configured_timeouts() -> None:
    config = server_config(echo_length, Settings(header_timeout_s=7, body_timeout_s=45, keep_alive_s=80))
    assert isinstance(config.http, type) and issubclass(config.http, TimedHttpProtocol)
    assert (config.http.header_timeout, config.http.body_timeout, config.timeout_keep_alive) == (7, 45, 80)
