"""Keys checked before an upload's body is read.

FastAPI parses a request's form before it solves the route's dependencies, so the key dependencies of
`POST /documents` and `POST /similar` would run only after a 50 MB body had been received, spooled and parsed. This
middleware runs the same dependency functions (same answers, same rate-limit counting of refused attempts) on the
headers alone, and answers a refusal before reading a byte of the body; the route's own dependency then passes.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from search_api.deps import require_read_key, require_write_key
from search_api.errors import ApiError, error_body
from search_api.ratelimit import API_KEY_HEADER
from search_api.services import Services

KeyCheck = Callable[[Request, Services, str | None], None]
# the routes whose body is an upload, with the key each needs (the read key only when the service has one)
GATED: dict[tuple[str, str], KeyCheck] = {("POST", "/documents"): require_write_key,
                                          ("POST", "/similar"): require_read_key}


class KeyGateMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        check = GATED.get((scope.get("method", ""), scope.get("path", ""))) if scope["type"] == "http" else None
        services: Services | None = getattr(scope["app"].state, "services", None) if check else None
        if check is not None and services is not None:
            request = Request(scope)
            try:
                check(request, services, request.headers.get(API_KEY_HEADER))
            except ApiError as exc:
                # the caller's body stays unread: close the connection rather than drain it
                headers = {**(exc.headers or {}), "Connection": "close"}
                response = error_body(request, exc.status, exc.code, exc.message, exc.details, headers)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
