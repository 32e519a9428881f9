"""HTTP method semantics the framework leaves out: HEAD on every GET route, and a true `Allow` header on 405.

RFC 9110 asks a server that answers GET to answer HEAD with the same headers and no body (uptime monitors and
proxies probe `/health` and `/` that way). FastAPI registers `@router.get` routes for GET only, and declaring HEAD
on each would duplicate every operation in the OpenAPI document, so HEAD is served here, once, as a GET whose
body is not sent. A 405 must list the methods the path serves; FastAPI's included routers expose none to
Starlette, so they are collected here from the routers themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGetMiddleware:
    """A HEAD request is routed, authorised, limited and answered as the GET it stands for; only the body is
    dropped (Content-Length stays the GET's, as RFC 9110 allows)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


def _leaf_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's include_router() wrapper
        if included is not None:
            yield from _leaf_routes(included.routes)
        else:
            yield route


def allowed_methods(app: Any, scope: Scope) -> str:
    """Every method some route serves on this path (a path such as /documents/{id} has one route per method);
    HEAD wherever GET is served."""
    methods: set[str] = set()
    for route in _leaf_routes(app.router.routes):
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))
