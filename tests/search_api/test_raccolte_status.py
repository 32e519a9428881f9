"""Items whose document is deleted or replaced after they were added stay, with a note that says so and when;
collections survive closing and reopening the app; with a read key, the collection's key still edits. Through the
API, over a real Edge index (hashing embedder: these are about bookkeeping, not retrieval)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb.models.embedders import HashingEmbedder
from kb.settings import Settings
from search_api.app import create_app
from search_api.raccolte.to_dossier import collection_ref
from tests.search_api.api_fixture import LOCAL_URL

KEY = "chiave-di-prova-raccolte-stato"
ORTO = ("# Orti urbani condivisi\n\n## Come è nato\n\n" + "Il comune ha assegnato orti urbani alle famiglie. " * 30
        + "\n\n## Risultati\n\n" + "Sono nati quaranta orti e un mercato contadino di quartiere. " * 30)
PIAZZA = "# Piazza senza auto\n\n" + "La piazza del municipio è diventata pedonale con alberi e panchine. " * 20


class Clock:
    def __init__(self) -> None:
        self.today = dt.date(2026, 11, 21)

    def __call__(self) -> dt.date:
        return self.today


def _app(root: Path, clock: Clock, **extra: Any) -> TestClient:
    settings = Settings(index_path=root / "index", files_path=root / "files", uploads_path=root / "uploads",
                        model="hashing-32", api_key=KEY, ocr_enabled=False, enrich_enabled=False,
                        rate_limit_enabled=False, **extra)
    return TestClient(create_app(settings, embedder=HashingEmbedder(), clock=clock), base_url=LOCAL_URL)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    with _app(tmp_path, clock) as client:
        yield client


def _upload(api: TestClient, doc_id: str, text: str) -> None:
    response = api.post("/documents", files={"file": (f"{doc_id}.md", text.encode())}, headers={"X-API-Key": KEY},
                        data={"doc_type": "buona_pratica", "metadata": json.dumps({"doc_id": doc_id,
                                                                                   "comune": "Valfonda"})})
    assert response.status_code == 202, response.text
    assert api.app.state.services.worker.join(60)  # type: ignore[attr-defined]
    assert api.get(f"/documents/{doc_id}/status").json()["status"] == "indicizzato"


def _collection(api: TestClient) -> tuple[str, dict[str, str]]:
    created = api.post("/raccolte", json={"title": "Spazi pubblici", "intro": "Per il convegno finale"})
    assert created.status_code == 201, created.text
    body = created.json()
    edit = {"X-Collection-Key": body["edit_key"]}
    sections = [p["section"] for p in api.get("/documents/orti-urbani").json()["passages"]]
    chosen = [0, sections.index("Risultati")]  # the first passage of each section
    assert api.post(f"/raccolte/{body['id']}/voci", json={"doc_id": "orti-urbani", "passages": chosen,
                                                           "note": "Da citare"}, headers=edit).status_code == 201
    assert api.post(f"/raccolte/{body['id']}/voci", json={"doc_id": "piazza-pedonale"},
                    headers=edit).status_code == 201
    return body["id"], edit


def _items(api: TestClient, collection_id: str) -> list[dict[str, Any]]:
    response = api.get(f"/raccolte/{collection_id}")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_a_deleted_document_stays_with_a_dated_note(api: TestClient, clock: Clock) -> None:
    _upload(api, "orti-urbani", ORTO)
    _upload(api, "piazza-pedonale", PIAZZA)
    collection_id, _ = _collection(api)
    assert [i["status"] for i in _items(api, collection_id)] == ["presente", "presente"]
    assert api.delete("/documents/piazza-pedonale", headers={"X-API-Key": KEY}).status_code == 200
    clock.today = dt.date(2026, 11, 23)
    gone = _items(api, collection_id)[1]
    assert gone["status"] == "eliminato" and gone["title"] == "Piazza senza auto"
    assert gone["status_note"] == "documento eliminato dall'archivio il 23/11/2026"
    assert gone["url"] is None and gone["metadata"]["comune"] == "Valfonda", "the snapshot stays"
    clock.today = dt.date(2026, 12, 1)
    assert _items(api, collection_id)[1]["status_note"].endswith("il 23/11/2026"), "the first day it was seen gone"
    _upload(api, "piazza-pedonale", PIAZZA)  # sent again: the same document is back
    back = _items(api, collection_id)[1]
    assert (back["status"], back["status_note"]) == ("presente", None) and back["url"]


def test_a_replaced_document_stays_as_it_was_added(api: TestClient) -> None:
    _upload(api, "orti-urbani", ORTO)
    _upload(api, "piazza-pedonale", PIAZZA)
    collection_id, _ = _collection(api)
    chosen = _items(api, collection_id)[0]["passages"]
    assert [p["section"] for p in chosen] == ["Come è nato", "Risultati"]
    _upload(api, "orti-urbani", "# Orti urbani condivisi\n\nTesto nuovo: gli orti sono diventati cento. " * 5)
    payload = api.app.state.services.collections._indexed(["orti-urbani"])["orti-urbani"]  # type: ignore[attr-defined]
    replaced_on = dt.datetime.fromisoformat(payload["ingested_at"]).date()
    item = _items(api, collection_id)[0]
    assert item["status"] == "sostituito"
    assert item["status_note"].startswith(f"sostituito da una versione più recente il {replaced_on:%d/%m/%Y}")
    assert item["passages"] == chosen and "quaranta orti" in item["passages"][1]["text"], "the passages as chosen"
    assert item["note"] == "Da citare"
    view = api.app.state.services.collections.read(collection_id, dt.date(2026, 11, 21))  # type: ignore[attr-defined]
    ref = collection_ref(view)
    assert [i.status_note is not None for i in ref.items] == [True, False]
    assert ref.items[0].passages[1].section == "Risultati" and ref.items[0].metadata_snapshot["comune"] == "Valfonda"


def test_collections_survive_closing_and_reopening_the_app(tmp_path: Path, clock: Clock) -> None:
    with _app(tmp_path, clock) as api:
        _upload(api, "orti-urbani", ORTO)
        _upload(api, "piazza-pedonale", PIAZZA)
        collection_id, edit = _collection(api)
        api.patch(f"/raccolte/{collection_id}/voci/{_items(api, collection_id)[1]['id']}", json={"position": 0},
                  headers=edit)
        before = api.get(f"/raccolte/{collection_id}").json()
    assert (tmp_path / "raccolte.sqlite3").exists(), "beside the index by default"
    with _app(tmp_path, clock) as api:
        after = api.get(f"/raccolte/{collection_id}")
        assert after.status_code == 200 and after.json() == before
        assert [i["doc_id"] for i in after.json()["items"]] == ["piazza-pedonale", "orti-urbani"]
        renamed = api.patch(f"/raccolte/{collection_id}", json={"title": "Dopo il riavvio"}, headers=edit)
        assert renamed.status_code == 200, "the edit key still opens it"


def test_with_a_read_key_the_collection_key_has_its_own_header(tmp_path: Path, clock: Clock) -> None:
    read = {"X-API-Key": "chiave-di-lettura-raccolte"}
    with _app(tmp_path, clock, read_api_key=read["X-API-Key"]) as api:
        assert api.post("/raccolte", json={"title": "Intranet"}).status_code == 401, "the read key opens creation"
        created = api.post("/raccolte", json={"title": "Intranet"}, headers=read)
        assert created.status_code == 201
        path, edit = f"/raccolte/{created.json()['id']}", {"X-Collection-Key": created.json()["edit_key"]}
        assert api.get(path).status_code == 401 and api.get(path, headers=read).status_code == 200
        assert api.patch(path, json={"title": "Senza lettura"}, headers=edit).status_code == 401
        refused = api.patch(path, json={"title": "Solo lettura"}, headers=read)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "chiave_non_valida"
        renamed = api.patch(path, json={"title": "Con entrambe"}, headers={**read, **edit})
        assert renamed.status_code == 200 and renamed.json()["title"] == "Con entrambe"
        assert api.patch(path, json={"intro": "Dal laboratorio"}, headers={"X-API-Key": KEY}).status_code == 200
