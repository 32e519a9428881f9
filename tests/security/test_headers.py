"""Security headers on every answer, a Content-Security-Policy the web pages actually satisfy, and CORS that answers
only the allowed portal."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from search_api.security import API_CSP, HEADERS, UI_CSP
from tests.search_api.api_fixture import API_KEY, LOCAL_URL
from tests.security.conftest import PORTAL, MakeClient

PAGES = ["/", "/?q=comunit%C3%A0+energetica", "/?q=x&page=0", "/ui/bandi", "/ui/bandi?status=aperto",
         "/ui/normativa?topic=comunit%C3%A0+energetiche", "/ui/simili/cer-montagna", "/ui/invia", "/ui/raccolte"]
ANSWERS: list[tuple[str, str, dict[str, Any], int]] = [
    ("GET", "/search", {"params": {"q": "energia"}}, 200),
    ("POST", "/search", {"json": {"q": "energia"}}, 200),
    ("GET", "/search", {"params": {"q": "x" * 501}}, 422),
    ("GET", "/bandi", {}, 200),
    ("GET", "/normativa/overview", {"params": {"topic": "energia", "format": "csv"}}, 200),
    ("GET", "/normativa/overview", {"params": {"topic": "energia", "format": "markdown"}}, 200),
    ("GET", "/documents/cer-montagna", {}, 200),
    ("GET", "/documents/cer-montagna/similar", {}, 200),
    ("GET", "/documents/cer-montagna/status", {}, 200),
    ("GET", "/documents/non-esiste", {}, 404),
    ("POST", "/similar", {"data": {"text": "comunità energetica"}}, 200),
    ("DELETE", "/documents/cer-montagna", {}, 401),
    ("PUT", "/search", {}, 405),
    ("GET", "/non-esiste", {}, 404),
    ("GET", "/health", {}, 200),
    ("GET", "/ready", {}, 200),
    ("GET", "/metrics", {}, 200),
    ("GET", "/openapi.json", {}, 200),
    ("GET", "/static/kb-search.js", {}, 200),
    ("GET", "/static/style.css", {}, 200),
]


def _assert_generic(response: Any) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), ANSWERS)
def test_every_answer_carries_the_security_headers(client: TestClient, method: str, path: str,
                                                   kwargs: dict[str, Any], status: int) -> None:
    response = client.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    _assert_generic(response)
    assert response.headers["content-security-policy"] == API_CSP, "nothing runs from an API answer"


def test_the_original_file_keeps_its_sandbox(client: TestClient) -> None:
    original = client.get("/documents/cer-montagna/file")
    assert original.status_code == 200 and original.headers["content-security-policy"] == "sandbox"
    assert original.headers["x-frame-options"] == "DENY" and original.headers["x-content-type-options"] == "nosniff"
    redirect = client.get("/documents/cer-montagna/file?page=2", follow_redirects=False)
    assert redirect.status_code == 307
    _assert_generic(redirect)


def test_errors_outside_the_routes_carry_them_too(make_client: MakeClient, monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client(rate_limit_enabled=True, rate_limit_search="1/minute")
    client.get("/search", params={"q": "energia"})
    _assert_generic(client.get("/search", params={"q": "energia"}))  # 429
    too_big = client.post("/search", content=b'{"q": "' + b"a" * 70_000 + b'"}',
                          headers={"content-type": "application/json"})
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "file_troppo_grande"
    _assert_generic(too_big)
    monkeypatch.setattr(client.app.state.services.backend, "count", lambda *a, **k: 1 / 0)  # type: ignore[attr-defined]
    crashed = TestClient(client.app, raise_server_exceptions=False, base_url=LOCAL_URL).get("/ready")
    assert crashed.status_code == 500 and crashed.json()["error"]["code"] == "errore_interno"
    _assert_generic(crashed)


def test_the_docs_page_may_load_its_cdn_but_not_be_framed(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200 and docs.headers["content-security-policy"] == "frame-ancestors 'none'"
    _assert_generic(docs)


class _PageAudit(HTMLParser):
    """What a strict CSP (`'self'`, nothing inline) would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"inline handler {name} on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if name in ("href", "src", "action") and value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL on <{tag}>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            self._in_script = True
            src = values.get("src") or ""
            self.scripts.append(src)
            if not src.startswith("/") or src.startswith("//"):
                self.problems.append(f"script not from the service: {src!r}")
        if tag == "link" and values.get("rel") == "stylesheet" and not str(values.get("href", "")).startswith("/"):
            self.problems.append(f"style sheet not from the service: {values.get('href')!r}")
        if tag == "form" and str(values.get("action", "/")).startswith(("http:", "https:", "//")):
            self.problems.append(f"form posting elsewhere: {values.get('action')!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("inline script")


@pytest.mark.parametrize("path", PAGES)
def test_the_pages_have_a_strict_csp_they_satisfy(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == UI_CSP
    _assert_generic(page)
    audit = _PageAudit()
    audit.feed(page.text)
    assert audit.scripts == ["/static/app.js"] and not audit.problems, audit.problems
    assert "'unsafe-inline'" not in UI_CSP and "'unsafe-eval'" not in UI_CSP


def test_the_widget_script_can_be_loaded_by_another_origin(client: TestClient) -> None:
    script = client.get("/static/kb-search.js", headers={"Origin": "https://qualsiasi.example.org"})
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "cross-origin-resource-policy" not in script.headers, "a portal includes it with a plain <script>"


def test_cors_answers_the_allowed_portal_only(client: TestClient) -> None:
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-api-key"}
    allowed = client.options("/search", headers={"Origin": PORTAL, **preflight})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == PORTAL
    assert "x-api-key" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in allowed.headers, "no cookies across origins"
    for origin in ("https://altro.example.com", "https://portale.example.it.evil.com", "null"):
        refused = client.options("/search", headers={"Origin": origin, **preflight})
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers, origin
        simple = client.get("/search", params={"q": "energia"}, headers={"Origin": origin})
        assert simple.status_code == 200 and "access-control-allow-origin" not in simple.headers, origin
    writes = client.options("/documents", headers={"Origin": PORTAL, "Access-Control-Request-Method": "PUT"})
    assert writes.status_code == 400, "only GET, POST and DELETE"


def test_without_an_allow_list_no_origin_gets_cors_headers(make_client: MakeClient) -> None:
    client = make_client()
    answer = client.get("/search", params={"q": "energia"}, headers={"Origin": PORTAL})
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers
    preflight = client.options("/documents", headers={"Origin": PORTAL, "Access-Control-Request-Method": "DELETE",
                                                       "Access-Control-Request-Headers": "x-api-key"})
    assert "access-control-allow-origin" not in preflight.headers
    assert client.delete("/documents/cer-montagna", headers={"X-API-Key": API_KEY}).status_code == 200
