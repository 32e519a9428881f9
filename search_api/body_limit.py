"""Request bodies capped while they arrive: uploads (`POST /documents`, `POST /similar`) at the upload limit plus
the multipart framing, a collection (`POST /raccolte`, which re-imports an exported one) at `COLLECTION_BODY`,
everything else (a JSON search is a few hundred bytes) at `MAX_BODY`."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search_api.errors import error_body

MAX_BODY = 64 * 1024
COLLECTION_BODY = 4 * 2**20  # an export of 200 items with their passages and metadata snapshots
MULTIPART_OVERHEAD = 2**20
UPLOAD_ROUTES = frozenset({("POST", "/documents"), ("POST", "/similar")})


class BodyLimitMiddleware:
    """413 for a body over its route's limit: at once when Content-Length says so, else when the bytes that arrive
    pass it (the route's body parsing re-raises the HTTPException, and the one error handler answers)."""

    def __init__(self, app: ASGIApp, upload_bytes: int) -> None:
        self.app, self.upload_limit = app, upload_bytes + MULTIPART_OVERHEAD

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = (scope["method"], scope["path"])
        limit = self.upload_limit if route in UPLOAD_ROUTES else COLLECTION_BODY if route == ("POST", "/raccolte") \
            else MAX_BODY
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            response = error_body(Request(scope), 413, "file_troppo_grande",
                                  f"corpo della richiesta troppo grande (massimo {limit // 1024} KB)")
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413)
            return message

        await self.app(scope, counted, send)
