"""Atom feeds of searches and call listings: read as a feed reader reads them (feedparser) and checked against the
elements RFC 4287 requires; the alert of "bandi aperti per comuni fino a 5.000 abitanti in Lombardia" gains an entry
when such a call is ingested, and only then."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import feedparser
import pytest
from fastapi.testclient import TestClient

from search_api import atom
from tests.search_api.api_fixture import hashing_api

A = "{http://www.w3.org/2005/Atom}"
KEY = "chiave-dei-feed-1234"
PUBLIC = "https://comuni.example.it/kb"
PORTAL = "https://portale.example.it"
ALERT = {"status": "aperto", "population": 5000, "regione": "Lombardia"}


def atom_feed(response: Any) -> ET.Element:
    """The feed parsed and checked as RFC 4287 asks (sections 4.1.1, 4.1.2, 4.2.7), and as feedparser reads it."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    root = ET.fromstring(response.content)
    assert root.tag == f"{A}feed"

    def one(element: ET.Element, tag: str) -> str:
        found = element.findall(f"{A}{tag}")
        assert len(found) == 1 and (found[0].text or "").strip(), (tag, found)
        return str(found[0].text)

    def moment(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

    assert one(root, "id").startswith("tag:")
    one(root, "title")
    updated = moment(one(root, "updated"))
    assert root.find(f"{A}author/{A}name") is not None, "every entry inherits the feed's author"
    self_links = [link for link in root.findall(f"{A}link") if link.get("rel") == "self"]
    assert len(self_links) == 1 and self_links[0].get("type") == atom.MEDIA_TYPE
    entries = root.findall(f"{A}entry")
    dates = []
    for entry in entries:
        assert one(entry, "id").startswith("tag:")
        one(entry, "title")
        one(entry, "summary")
        dates.append(moment(one(entry, "updated")))
        alternate = [link for link in entry.findall(f"{A}link") if link.get("rel") == "alternate"]
        assert len(alternate) == 1 and str(alternate[0].get("href")).startswith(("http://", "https://"))
    assert dates == sorted(dates, reverse=True), "newest first"
    assert updated == (max(dates) if dates else updated)
    assert [e.id for e in parsed.entries] == [one(e, "id") for e in entries]
    return root


def entry_ids(root: ET.Element) -> list[str]:
    return [str(e.findtext(f"{A}id")).rsplit("/", 1)[-1] for e in root.findall(f"{A}entry")]


# -- over the fixture corpus, with the real model --------------------------------------------------------------------
def test_a_search_feed_holds_the_search_results_newest_first(api: TestClient) -> None:
    params = {"q": "comunità energetica", "regione": "Lombardia"}
    root = atom_feed(api.get("/search/feed.atom", params=params))
    found = api.get("/search", params={**params, "page_size": 50}).json()
    assert sorted(entry_ids(root)) == sorted(r["doc_id"] for r in found["results"]) and found["total"] >= 2
    assert "Ricerca «comunità energetica» (Regione: Lombardia)" in str(root.findtext(f"{A}title"))
    same = atom_feed(api.get("/search/feed.atom", params={"regione": "lombardia", "q": "comunità energetica",
                                                          "page": 2}))
    assert same.findtext(f"{A}id") == root.findtext(f"{A}id"), "same selection, same feed"
    entry = root.find(f"{A}entry")
    assert entry is not None
    links = {link.get("rel"): str(link.get("href")) for link in entry.findall(f"{A}link")}
    doc_id = entry_ids(root)[0]
    assert links == {"alternate": f"http://localhost/documents/{doc_id}/file",
                     "related": f"http://localhost/documents/{doc_id}"}
    assert str(entry.findtext(f"{A}id")) == f"tag:localhost,2026:documenti/{doc_id}"


def test_the_call_feed_reads_like_the_listing(api: TestClient) -> None:
    root = atom_feed(api.get("/bandi/feed.atom", params={"status": "aperto", "population": 15000,
                                                         "regione": "Lombardia"}))
    listed = api.get("/bandi", params={"status": "aperto", "population": 15000, "regione": "Lombardia"}).json()
    assert entry_ids(root) == [r["doc_id"] for r in listed["results"]] == ["bando-ciclabili"]
    assert root.findtext(f"{A}title") == "Bandi aperti per comuni di 15.000 abitanti in Lombardia · Comuni sostenibili"
    summary = str(root.findtext(f"{A}entry/{A}summary"))
    assert "Bando · Regione Lombardia · ambito: Lombardia · stato: aperto (127 giorni alla scadenza)" in summary
    assert "scadenza 31/03/2027" in summary and "comuni fino a 20.000 abitanti" in summary
    assert root.findtext(f"{A}entry/{A}author/{A}name") == "Regione Lombardia"
    asked = atom_feed(api.get("/bandi/feed.atom", params={"q": "piste ciclabili"}))
    assert "bando-ciclabili" in entry_ids(asked)
    assert set(entry_ids(asked)) == {r["doc_id"] for r in api.get("/bandi", params={"q": "piste ciclabili"}
                                                                   ).json()["results"]}


def test_head_conditional_requests_cors_and_errors(api: TestClient) -> None:
    url = "/bandi/feed.atom?status=aperto"
    first = api.get(url, headers={"Origin": PORTAL})
    assert first.headers["access-control-allow-origin"] == PORTAL
    assert first.headers["cache-control"] == "no-cache" and first.headers["etag"] and first.headers["last-modified"]
    head = api.head(url)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == first.headers["etag"]
    assert head.headers["content-type"].startswith("application/atom+xml")
    unchanged = api.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert api.get(url, headers={"If-None-Match": '"altro"'}).status_code == 200
    wrong = api.get("/bandi/feed.atom", params={"beneficiary": "marziani"})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "richiesta_non_valida"
    assert api.get("/search/feed.atom").status_code == 422, "a search feed needs its question"


def test_the_openapi_document_describes_the_feeds(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    for path, parameter in (("/search/feed.atom", "q"), ("/bandi/feed.atom", "population")):
        operation = paths[path]["get"]
        assert list(operation["responses"]["200"]["content"]) == [atom.MEDIA_TYPE]
        assert parameter in {p["name"] for p in operation["parameters"]}
        assert operation["tags"] == ["feed"]


def test_the_pages_link_their_feeds(api: TestClient) -> None:
    page = api.get("/", params={"q": "comunità energetica", "regione": "Lombardia", "page": 1}).text
    href = "/search/feed.atom?q=comunit%C3%A0+energetica&amp;regione=Lombardia"
    assert f'<link rel="alternate" type="application/atom+xml" title="Feed Atom di questa ricerca" href="{href}">' \
        in page
    assert f'<a href="{href}" type="application/atom+xml">Feed Atom</a>' in page
    calls = api.get("/ui/bandi", params={"status": "aperto", "population": 5000}).text
    assert 'href="/bandi/feed.atom?status=aperto&amp;population=5000"' in calls
    assert calls.count("application/atom+xml") == 2


# -- the alert, on an index that starts empty (hashing embedder: ingestion and listing are plumbing) ---------------
@pytest.fixture
def feeds_api(tmp_path: Path) -> Iterator[TestClient]:
    with hashing_api(tmp_path, KEY, public_url=PUBLIC, cors_origins=[PORTAL]) as client:
        yield client


def _ingest(api: TestClient, doc_id: str, meta: dict[str, Any]) -> None:
    text = f"# {meta['title']}\n\n## Finalità\nContributi per l'efficienza energetica degli edifici comunali.\n"
    response = api.post("/documents", files={"file": (f"{doc_id}.md", text.encode(), "text/markdown")},
                        data={"metadata": json.dumps({"doc_id": doc_id, **meta})}, headers={"X-API-Key": KEY})
    assert response.status_code == 202, response.text
    assert api.app.state.services.worker.join(120), "ingestion did not finish"  # type: ignore[attr-defined]
    assert api.get(f"/documents/{doc_id}/status").json()["status"] == "indicizzato"


def _call(regione: str, cap: int, opening: dt.date, deadline: dt.date, title: str) -> dict[str, Any]:
    return {"doc_type": "bando", "title": title, "regione": regione, "issuer": f"Regione {regione}",
            "population_cap": cap, "beneficiaries": ["comuni"], "opening_date": opening.isoformat(),
            "deadline": deadline.isoformat()}


def test_the_alert_gains_an_entry_when_a_matching_call_is_ingested_and_only_then(feeds_api: TestClient) -> None:
    today = dt.date.today()
    opened, closes = today - dt.timedelta(days=10), today + dt.timedelta(days=60)

    def alert() -> Any:
        return feeds_api.get("/bandi/feed.atom", params=ALERT)

    empty = alert()
    assert entry_ids(atom_feed(empty)) == []
    _ingest(feeds_api, "bando-piemonte", _call("Piemonte", 5000, opened, closes, "Efficienza nei comuni piemontesi"))
    _ingest(feeds_api, "bando-lombardia-3000", _call("Lombardia", 3000, opened, closes, "Solo comuni fino a 3.000"))
    _ingest(feeds_api, "bando-lombardia-scaduto", _call("Lombardia", 5000, today - dt.timedelta(days=90),
                                                        today - dt.timedelta(days=1), "Bando chiuso ieri"))
    _ingest(feeds_api, "bando-lombardia-in-arrivo", _call("Lombardia", 5000, today + dt.timedelta(days=5), closes,
                                                          "Bando che apre tra cinque giorni"))
    _ingest(feeds_api, "pratica-lombarda", {"doc_type": "buona_pratica", "title": "Scuole efficienti",
                                            "regione": "Lombardia", "comune": "Morbegno", "popolazione": 4000})
    unchanged = alert()
    assert entry_ids(atom_feed(unchanged)) == [], "no matching call yet"
    assert unchanged.headers["etag"] == empty.headers["etag"], "a reader polling gets 304"
    assert feeds_api.get("/bandi/feed.atom", params=ALERT, headers={"If-None-Match": empty.headers["etag"]}
                         ).status_code == 304

    _ingest(feeds_api, "bando-lombardia-5000", _call("Lombardia", 5000, opened, closes,
                                                     "Efficienza energetica nei piccoli comuni lombardi"))
    gained = alert()
    root = atom_feed(gained)
    assert entry_ids(root) == ["bando-lombardia-5000"]
    assert gained.headers["etag"] != empty.headers["etag"]
    assert feeds_api.get("/bandi/feed.atom", params=ALERT, headers={"If-None-Match": empty.headers["etag"]}
                         ).status_code == 200
    entry = root.find(f"{A}entry")
    assert entry is not None
    assert entry.findtext(f"{A}id") == "tag:comuni.example.it,2026:kb/documenti/bando-lombardia-5000"
    assert entry.findtext(f"{A}title") == "Efficienza energetica nei piccoli comuni lombardi"
    links = {link.get("rel"): link.get("href") for link in entry.findall(f"{A}link")}
    assert links["alternate"] == f"{PUBLIC}/documents/bando-lombardia-5000/file", "KB_PUBLIC_URL, not the Host"
    summary = str(entry.findtext(f"{A}summary"))
    assert f"scadenza {closes.strftime('%d/%m/%Y')}" in summary and "stato: aperto (60 giorni" in summary
    first_updated = str(entry.findtext(f"{A}updated"))
    assert root.findtext(f"{A}updated") == first_updated
    self_link = next(link for link in root.findall(f"{A}link") if link.get("rel") == "self")
    assert self_link.get("href") == f"{PUBLIC}/bandi/feed.atom?population=5000&regione=Lombardia&status=aperto"

    # a replacement is the same entry, updated; another regione's call still adds nothing
    _ingest(feeds_api, "bando-lombardia-5000", _call("Lombardia", 5000, opened, closes,
                                                     "Efficienza: bando rettificato"))
    _ingest(feeds_api, "bando-veneto", _call("Veneto", 10000, opened, closes, "Efficienza nei comuni veneti"))
    replaced = atom_feed(alert()).find(f"{A}entry")
    assert replaced is not None and entry_ids(atom_feed(alert())) == ["bando-lombardia-5000"]
    assert replaced.findtext(f"{A}id") == entry.findtext(f"{A}id")
    assert replaced.findtext(f"{A}title") == "Efficienza: bando rettificato"
    assert str(replaced.findtext(f"{A}updated")) >= first_updated


def test_hostile_text_stays_text() -> None:
    """Markup is escaped and characters XML forbids are dropped: one pasted control character must not make the whole
    feed unreadable."""
    moment = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
    title = 'Bando <script>alert("x")</script> & "sportello"\x07\x1b'
    feed = atom.Feed(id="tag:example.it,2026:feed", title=title, updated=moment, authors=("Ente & C.",),
                     entries=[atom.Entry(id="tag:example.it,2026:documenti/x", title=title, updated=moment,
                                         summary="a < b\x00", links=(atom.Link("https://example.it/?a=1&b=2"),))])
    body = atom.render(feed)
    parsed = feedparser.parse(body)
    assert not parsed.bozo and parsed.entries[0].title == 'Bando <script>alert("x")</script> & "sportello"'
    root = ET.fromstring(body)
    assert root.findtext(f"{A}entry/{A}summary") == "a < b"
    assert root.find(f"{A}entry/{A}link").get("href") == "https://example.it/?a=1&b=2"  # type: ignore[union-attr]
    assert root.findtext(f"{A}updated") == "2026-11-24T09:30:00Z"
