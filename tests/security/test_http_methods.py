"""HTTP method semantics on the real routes: a 405 names what the path serves (`Allow`), and HEAD answers wherever
GET does, with the GET's headers and no body."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

# the web pages are outside the OpenAPI document: their paths and methods, as the UI router declares them
UI_PATHS = {"/": {"GET"}, "/ui/bandi": {"GET"}, "/ui/normativa": {"GET"}, "/ui/simili/{doc_id}": {"GET"},
            "/ui/invia": {"GET"}, "/ui/raccolte": {"GET"}, "/ui/raccolte/{raccolta_id}": {"GET"}}
UNUSED = ("PUT", "PATCH", "DELETE", "POST")


def _declared(client: TestClient) -> dict[str, set[str]]:
    """Every path with the methods it serves: the OpenAPI document's and the pages'."""
    paths = {path: {m.upper() for m in ops} for path, ops in client.get("/openapi.json").json()["paths"].items()}
    return {**paths, **UI_PATHS, "/openapi.json": {"GET"}, "/docs": {"GET"}, "/redoc": {"GET"}}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "cer-montagna", path)


def test_every_405_names_the_methods_its_path_serves(client: TestClient) -> None:
    checked = 0
    for path, methods in _declared(client).items():
        expected = methods | ({"HEAD"} if "GET" in methods else set())
        for method in (m for m in UNUSED if m not in methods):
            response = client.request(method, _concrete(path))
            assert response.status_code == 405, (method, path)
            assert response.json()["error"]["code"] == "metodo_non_consentito"
            allow = {m.strip() for m in response.headers["allow"].split(",")}
            assert allow == expected, (method, path, response.headers["allow"])
            checked += 1
    assert checked >= 30  # every route of the service, not a sample


@pytest.mark.parametrize("path", ["/health", "/ready", "/", "/search?q=energia", "/documents/cer-montagna",
                                  "/documents/cer-montagna/file", "/static/app.js", "/ui/bandi"])
def test_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    get, head = client.get(path), client.head(path)
    assert get.status_code == head.status_code == 200, path
    assert head.content == b""
    for name in ("content-type", "content-security-policy", "x-content-type-options"):
        assert head.headers.get(name) == get.headers.get(name), (path, name)
    if "content-length" in get.headers and "/search" not in path:  # search timings differ between the two
        assert head.headers["content-length"] == get.headers["content-length"]


def test_head_on_a_missing_document_is_a_404_without_a_body(client: TestClient) -> None:
    response = client.head("/documents/non-esiste")
    assert response.status_code == 404
    assert response.content == b""
