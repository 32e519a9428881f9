"""Rate limits: per key or address, on searches and uploads, 429 in Italian with Retry-After through the one handler."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from kb.settings import Settings
from tests.search_api.api_fixture import API_KEY, LOCAL_URL
from tests.security.conftest import READ_KEY, MakeClient

SEARCHES: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/search", {"params": {"q": "energia"}}),
    ("POST", "/search", {"json": {"q": "energia"}}),
    ("GET", "/bandi", {}),
    ("GET", "/normativa/overview", {"params": {"topic": "energia"}}),
    ("GET", "/documents/cer-montagna/similar", {}),
    ("POST", "/similar", {"data": {"text": "comunità energetica sul tetto della scuola"}}),
    ("GET", "/", {"params": {"q": "energia"}}),
    ("GET", "/ui/bandi", {}),
]


def _upload(client: TestClient, name: str, key: str = API_KEY) -> Any:
    return client.post("/documents", files={"file": (name, f"# {name}\n\nOrto sociale del comune.\n".encode(),
                                                     "text/markdown")},
                       data={"doc_type": "buona_pratica"}, headers={"X-API-Key": key})


def _assert_limited(response: Any, what: str, window: int) -> None:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "troppe_richieste" and what in error["message"] and "riprovare tra" in error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    assert 1 <= int(response.headers["retry-after"]) <= window
    assert response.headers["x-content-type-options"] == "nosniff", "through the app, with its headers"


@pytest.mark.parametrize(("method", "path", "kwargs"), SEARCHES)
def test_every_search_route_counts_against_the_search_budget(make_client: MakeClient, method: str, path: str,
                                                             kwargs: dict[str, Any]) -> None:
    client = make_client(rate_limit_enabled=True, rate_limit_search="3/minute")
    for _ in range(3):
        assert client.request(method, path, **kwargs).status_code == 200
    _assert_limited(client.request(method, path, **kwargs), "ricerche", 60)
    assert client.get("/documents/cer-montagna").status_code == 200, "reading a card is not a search"
    assert client.get("/health").status_code == 200


def test_search_routes_share_one_budget_per_address(make_client: MakeClient) -> None:
    client = make_client(rate_limit_enabled=True, rate_limit_search="4/minute")
    for method, path, kwargs in SEARCHES[:4]:
        assert client.request(method, path, **kwargs).status_code == 200
    _assert_limited(client.get("/search", params={"q": "acqua"}), "ricerche", 60)
    other = TestClient(client.app, client=("10.0.0.2", 40000), base_url=LOCAL_URL)
    assert other.get("/search", params={"q": "acqua"}).status_code == 200, "another address has its own budget"
    assert client.get("/").status_code == 200, "the empty search page runs no search"


def test_a_valid_key_has_its_own_budget_and_a_made_up_one_does_not(make_client: MakeClient) -> None:
    client = make_client(rate_limit_enabled=True, rate_limit_search="2/minute", read_api_key=READ_KEY)
    read = {"X-API-Key": READ_KEY}
    for _ in range(2):
        assert client.get("/search", params={"q": "energia"}, headers=read).status_code == 200
    _assert_limited(client.get("/search", params={"q": "energia"}, headers=read), "ricerche", 60)
    # the write key is another caller; made-up keys are counted on the address (and refused)
    assert client.get("/search", params={"q": "energia"}, headers={"X-API-Key": API_KEY}).status_code == 200
    for attempt in range(2):
        refused = client.get("/search", params={"q": "energia"}, headers={"X-API-Key": f"inventata-{attempt}"})
        assert refused.status_code == 403
    _assert_limited(client.get("/search", params={"q": "energia"}, headers={"X-API-Key": "inventata-9"}),
                    "ricerche", 60)


def test_uploads_and_similar_with_a_file_share_the_upload_budget(make_client: MakeClient) -> None:
    client = make_client(rate_limit_enabled=True, rate_limit_upload="2/hour")
    assert _upload(client, "orto-uno.md").status_code == 202
    with_file = client.post("/similar", files={"file": ("progetto.md", b"# Progetto\n\nComunita energetica.\n",
                                                        "text/markdown")}, headers={"X-API-Key": API_KEY})
    assert with_file.status_code == 200
    _assert_limited(_upload(client, "orto-due.md"), "invii di documenti", 3600)
    assert "2 ogni ora" in _upload(client, "orto-tre.md").json()["error"]["message"]
    assert client.post("/similar", data={"text": "comunità energetica"}).status_code == 200, "a text is a search"
    assert client.get("/search", params={"q": "orto"}).status_code == 200, "searches have their own budget"


def test_key_guessing_on_writes_is_limited_too(make_client: MakeClient) -> None:
    client = make_client(rate_limit_enabled=True, rate_limit_upload="3/hour")
    for attempt in range(3):
        assert _upload(client, "orto.md", key=f"tentativo-{attempt}").status_code == 403
    _assert_limited(_upload(client, "orto.md", key="tentativo-3"), "invii", 3600)
    assert _upload(client, "orto.md").status_code == 202, "the right key is its own caller"


def test_guessing_the_write_key_on_deletions_is_limited(make_client: MakeClient) -> None:
    client = make_client(rate_limit_enabled=True, rate_limit_search="3/minute")
    for attempt in range(3):
        assert client.delete("/documents/cer-montagna", headers={"X-API-Key": f"tentativo-{attempt}"}).status_code \
            == 403
    _assert_limited(client.delete("/documents/cer-montagna", headers={"X-API-Key": "tentativo-3"}), "ricerche", 60)
    assert client.delete("/documents/cer-montagna", headers={"X-API-Key": API_KEY}).status_code == 200, \
        "the right key still writes: deletions themselves are not limited"


def test_limits_can_be_turned_off(make_client: MakeClient) -> None:
    client = make_client(rate_limit_enabled=False, rate_limit_search="1/minute")
    assert all(client.get("/search", params={"q": "energia"}).status_code == 200 for _ in range(4))


@pytest.mark.parametrize("value", ["molte", "0/minute", "", "10/fortnight"])
def test_bad_limits_are_refused_at_start(value: str) -> None:
    with pytest.raises(ValidationError, match="KB_RATE_LIMIT_SEARCH: limite non valido"):
        Settings(rate_limit_search=value)
    assert Settings(rate_limit_upload="5 per 2 minutes").rate_limit_upload == "5 per 2 minutes"
