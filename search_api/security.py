"""Security headers on every response, and the Content-Security-Policy of the web pages.

The web pages load only their own files: one script (`/static/app.js`, no inline code or handlers), one style
sheet (no `style` attributes), forms posting to the service itself. So their policy allows `'self'` and nothing
inline. Other responses (JSON, CSV, Markdown, files) get a policy that lets nothing run; the original files keep the
stricter `sandbox` their route sets. The portal widget (`/static/kb-search.js`) runs in the portal's page, under the
portal's policy, and is fetched cross-origin as a plain script: no `Cross-Origin-Resource-Policy` here.
Swagger UI (`/docs`) and ReDoc load their code from a CDN with inline bootstrapping: they only get
`frame-ancestors` and the generic headers.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

UI_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
          "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
DOCS_CSP = "frame-ancestors 'none'"
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
                          "microphone=(), payment=(), usb=()",
}

# for answers sent outside the middleware (the 500 handler runs in Starlette's outermost layer)
API_RESPONSE_HEADERS = {**HEADERS, "content-security-policy": API_CSP}


class SecurityHeadersMiddleware:
    """Adds the headers a response does not set itself (a route's own CSP wins)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._fixed = [(k.encode(), v.encode()) for k, v in HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = (DOCS_CSP if scope.get("path") in DOCS_PATHS else API_CSP).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self._fixed if k not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", csp))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

