"""The Host header cannot steer links: a foreign host is refused, and with KB_PUBLIC_URL every link the API returns
(results, citations, exports, the page redirect) starts with the configured address."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from kb.settings import Settings
from tests.security.conftest import MakeClient

EVIL = {"host": "evil.example"}
PUBLIC = "https://ricerca.comuni.example.it/kb"
# the answers that carry absolute links, with what they are
LINKED = [("/search", {"q": "comunità energetica"}), ("/documents/cer-montagna", {}),
          ("/documents/cer-montagna/similar", {}), ("/bandi", {}),
          ("/normativa/overview", {"topic": "comunità energetiche", "format": "markdown"}),
          ("/normativa/overview", {"topic": "comunità energetiche", "format": "csv"}),
          ("/normativa/overview", {"topic": "comunità energetiche"}), ("/", {"q": "comunità energetica"})]
LINK = re.compile(r"https?://[^\s\"'<>)\]]+")


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "", "a b"])
def test_a_foreign_host_is_refused_in_italian(client: TestClient, host: str) -> None:
    response = client.get("/search", params={"q": "energia"}, headers={"host": host})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "host_non_valido"
    assert "evil" not in response.text


def test_the_page_redirect_never_points_elsewhere(client: TestClient) -> None:
    refused = client.get("/documents/cer-montagna/file", params={"page": 2}, headers=EVIL, follow_redirects=False)
    assert refused.status_code == 400 and "location" not in refused.headers
    ok = client.get("/documents/cer-montagna/file", params={"page": 2}, follow_redirects=False)
    assert ok.status_code == 307 and ok.headers["location"] == "http://localhost/documents/cer-montagna/file#page=2"


@pytest.mark.parametrize(("path", "params"), LINKED)
def test_with_a_public_url_every_link_starts_with_it(make_client: MakeClient, path: str,
                                                     params: dict[str, str]) -> None:
    client = make_client(public_url=PUBLIC, allowed_hosts=["localhost", "evil.example"])
    response = client.get(path, params=params, headers=EVIL)  # even when the host were allowed
    assert response.status_code == 200, response.text
    links = [u for u in LINK.findall(response.text) if "/documents/" in u]
    assert links, (path, "no link to check")
    assert all(u.startswith(PUBLIC + "/documents/") for u in links), [u for u in links if PUBLIC not in u][:3]
    assert "evil.example" not in response.text


def test_the_page_redirect_uses_the_public_url(make_client: MakeClient) -> None:
    client = make_client(public_url=PUBLIC)
    response = client.get("/documents/cer-montagna/file", params={"page": 3}, follow_redirects=False)
    assert response.headers["location"] == f"{PUBLIC}/documents/cer-montagna/file#page=3"


def test_the_allow_list_admits_its_hosts_and_subdomains(make_client: MakeClient) -> None:
    client = make_client(allowed_hosts=["ricerca.example.it", "*.comuni.example.it"])
    for host, status in [("ricerca.example.it", 200), ("RICERCA.example.it:443", 200), ("a.comuni.example.it", 200),
                         ("localhost", 400), ("comuni.example.it.evil.example", 400)]:
        assert client.get("/health", headers={"host": host}).status_code == status, host


def test_by_default_the_public_urls_host_and_loopback_are_accepted() -> None:
    settings = Settings(public_url=PUBLIC + "/")
    assert settings.public_url == PUBLIC
    assert "ricerca.comuni.example.it" in settings.trusted_hosts and "localhost" in settings.trusted_hosts
    assert "evil.example" not in settings.trusted_hosts


@pytest.mark.parametrize("url", ["ftp://x.it", "ricerca.example.it", "https://x.it/?a=1", "https:///path"])
def test_a_malformed_public_url_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="KB_PUBLIC_URL"):
        Settings(public_url=url)
