"""Which Host the service answers, and the base of the links it returns.

Links (`url`, `file_url`, citations, exports, the 307 of `/documents/{id}/file?page=N`) must never be built from
a Host header an attacker chose: with `KB_PUBLIC_URL` they start with it whatever the request says, and requests
naming a host outside the allow-list (`Settings.trusted_hosts`) are refused by Starlette's trusted-host
middleware before any route runs, so a request's own base URL is only used when its host is one of ours.
"""

from __future__ import annotations

from starlette._utils import parse_host_header
from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from search_api.errors import error_body


class TrustedHosts(TrustedHostMiddleware):
    """Starlette's middleware, answering a refused host with the API's Italian error instead of plain text (no
    `www.` redirect: it would send the caller to a host nobody configured)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allow_any or scope["type"] != "http" or self._allowed(Headers(scope=scope).get("host")):
            await super().__call__(scope, receive, send)
            return
        response = error_body(Request(scope), 400, "host_non_valido",
                              "intestazione Host non accettata da questo servizio (KB_ALLOWED_HOSTS, KB_PUBLIC_URL)")
        await response(scope, receive, send)

    def _allowed(self, header: str | None) -> bool:
        parsed = parse_host_header(header)
        if parsed is None:
            return False
        host = parsed.host.lower()
        return any(host == p or (p.startswith("*.") and host.endswith(p[1:])) for p in self.allowed_hosts)


def base_url(public_url: str | None, request: Request) -> str:
    """The configured public address, else the request's own (its host already checked by TrustedHosts)."""
    return public_url or str(request.base_url).rstrip("/")
