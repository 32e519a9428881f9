"""Keys checked before an upload's body is read.

FastAPI parses a request's form before it solves the route's dependencies, so the key dependencies of
`POST /documents` and `POST /similar` would run only after a 50 MB body had been received, spooled and parsed. This
middleware runs the same dependency functions (same answers, same rate-limit counting of refused attempts) on the
headers alone, and answers a refusal before reading a byte of the body; the route's own dependency then passes.
A refused upload also counts against the upload budget, as it did when the route's limit ran before its key check:
guessing the write key costs what uploading does.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from search_api.deps import require_read_key, require_write_key
from search_api.errors import ApiError, error_body
from search_api.ratelimit import API_KEY_HEADER, Budget
from search_api.services import Services

KeyCheck = Callable[[Request, Services, str | None], None]
# the routes whose body is an upload: the key each needs (the read key only when the service has one), and the
# budget a refusal also counts against (the key checks count refusals against the search budget themselves)
GATED: dict[tuple[str, str], tuple[KeyCheck, Budget | None]] = {
    ("POST", "/documents"): (require_write_key, Budget.upload),
    ("POST", "/similar"): (require_read_key, None),
}


class KeyGateMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gate = GATED.get((scope.get("method", ""), scope.get("path", ""))) if scope["type"] == "http" else None
        services: Services | None = getattr(scope["app"].state, "services", None) if gate else None
        if gate is not None and services is not None:
            request, (check, budget) = Request(scope), gate
            try:
                try:
                    check(request, services, request.headers.get(API_KEY_HEADER))
                except ApiError:
                    if budget is not None:
                        services.limiter.check(budget, request)  # 429 once the budget is spent
                    raise
            except ApiError as exc:
                # the caller's body stays unread: close the connection rather than drain it
                headers = {**(exc.headers or {}), "Connection": "close"}
                response = error_body(request, exc.status, exc.code, exc.message, exc.details, headers)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
