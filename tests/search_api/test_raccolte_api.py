"""The /raccolte API over the fixture corpus with the real model: keys on writes, the public read link, limits and
Italian 404s, passages picked from a search, the JSON round trip, and the done-when collection of 12 mixed documents
exported through the dossier route as EPUB, PDF and DOCX."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from kb.models.base import DenseEmbedder
from kb.settings import Settings
from search_api.app import create_app
from search_api.raccolte.schemas import MAX_ITEMS, MAX_PASSAGES
from tests.search_api.api_fixture import API_KEY, LOCAL_URL, TODAY

# the API corpus: 3 buone pratiche, 2 progetti, 4 atti, 3 bandi
TWELVE = ["cer-montagna", "led-pianura", "cer-sicilia", "relazione-valgrande", "pums-citta", "dlgs-199",
          "direttiva-red", "legge-lombardia-cer", "dm-incentivi-abrogato", "bando-ciclabili", "bando-in-arrivo",
          "bando-scaduto"]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
def api(api_pristine: Path, tmp_path_factory: pytest.TempPathFactory,
        real_embedder: DenseEmbedder) -> Iterator[TestClient]:
    """The API over a private copy of the corpus index (collections are written beside it)."""
    root = tmp_path_factory.mktemp("raccolte-api")
    shutil.copytree(api_pristine / "index", root / "index")
    shutil.copytree(api_pristine / "files", root / "files")
    settings = Settings(index_path=root / "index", files_path=root / "files", uploads_path=root / "uploads",
                        api_key=API_KEY, model=real_embedder.name, rate_limit_enabled=False)
    with TestClient(create_app(settings, embedder=real_embedder, clock=lambda: TODAY), base_url=LOCAL_URL) as client:
        yield client
    shutil.rmtree(root / "index", ignore_errors=True)


def _create(api: TestClient, **body: Any) -> tuple[dict[str, Any], dict[str, str]]:
    created = api.post("/raccolte", json={"title": "Comunità energetiche", **body})
    assert created.status_code == 201, created.text
    return created.json(), {"X-Collection-Key": created.json()["edit_key"]}


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json()["error"])


def test_creation_answers_the_edit_key_once(api: TestClient) -> None:
    body, _ = _create(api, intro="Esperienze per il laboratorio")
    assert body["edit_url"] == f"{LOCAL_URL}/ui/raccolte/{body['id']}#chiave={body['edit_key']}"
    assert body["page_url"] == f"{LOCAL_URL}/ui/raccolte/{body['id']}" and body["count"] == 0
    assert set(body["dossier_urls"]) == {"epub", "pdf", "docx"}
    public = api.get(f"/raccolte/{body['id']}")
    assert public.status_code == 200 and body["edit_key"] not in public.text and "edit_key" not in public.json()
    assert public.json()["intro"] == "Esperienze per il laboratorio"


def test_writes_need_the_collection_key_or_the_write_key(api: TestClient) -> None:
    body, edit = _create(api)
    _, other = _create(api, title="Un'altra")
    path = f"/raccolte/{body['id']}"
    missing = _error(api.patch(path, json={"title": "Nuovo titolo"}), 401)
    assert missing["code"] == "chiave_mancante" and "X-Collection-Key" in missing["message"]
    for wrong in (other, {"X-Collection-Key": "inventata"}, {"X-API-Key": "inventata"}):
        refused = _error(api.post(f"{path}/voci", json={"doc_id": "cer-montagna"}, headers=wrong), 403)
        assert refused == {**refused, "code": "chiave_non_valida",
                           "message": "chiave non valida per modificare questa raccolta"}
    assert api.patch(path, json={"title": "Con la chiave della raccolta"}, headers=edit).status_code == 200
    assert api.patch(path, json={"intro": "Con la chiave del servizio"},
                     headers={"X-API-Key": API_KEY}).status_code == 200
    shown = api.get(path).json()
    assert (shown["title"], shown["intro"]) == ("Con la chiave della raccolta", "Con la chiave del servizio")
    assert api.patch(path, json={"intro": ""}, headers=edit).json()["intro"] is None, "empty text clears it"
    assert _error(api.delete(path, headers=other), 403)["code"] == "chiave_non_valida"
    assert api.delete(path, headers=edit).json() == {"id": body["id"], "deleted": True}
    assert _error(api.get(path), 404)["message"] == "raccolta non trovata"


def test_not_found_is_said_in_italian(api: TestClient) -> None:
    body, edit = _create(api)
    path = f"/raccolte/{body['id']}"
    assert _error(api.get("/raccolte/inesistente-123"), 404)["message"] == "raccolta non trovata"
    assert _error(api.get("/raccolte/inesistente-123/dossier.pdf"), 404)["message"] == "raccolta non trovata"
    assert _error(api.post(f"{path}/voci", json={"doc_id": "non-esiste"}, headers=edit), 404)["message"] == \
        "documento non trovato"
    assert "passaggio non trovato nel documento cer-montagna: 999" in _error(
        api.post(f"{path}/voci", json={"doc_id": "cer-montagna", "passages": [999]}, headers=edit), 404)["message"]
    assert _error(api.patch(f"{path}/voci/987654", json={"note": "x"}, headers=edit), 404)["message"] == \
        "voce non trovata"
    assert _error(api.delete(f"{path}/voci/987654", headers=edit), 404)["message"] == "voce non trovata"
    invalid = _error(api.get("/raccolte/a"), 422)
    assert invalid["code"] == "richiesta_non_valida" and invalid["details"][0]["campo"] == "raccolta_id"
    assert _error(api.get(f"{path}/dossier.odt"), 422)["code"] == "richiesta_non_valida"


def test_limits_are_refused_in_italian(api: TestClient) -> None:
    long_title = _error(api.post("/raccolte", json={"title": "x" * 201}), 422)
    assert "title: testo troppo lungo (massimo 200 caratteri)" in long_title["message"]
    assert "campo obbligatorio" in _error(api.post("/raccolte", json={"intro": "senza titolo"}), 422)["message"]
    assert "testo troppo corto" in _error(api.post("/raccolte", json={"title": "   "}), 422)["message"]
    assert "parametro sconosciuto" in _error(api.post("/raccolte", json={"title": "x", "chiave": "y"}), 422)["message"]
    body, edit = _create(api)
    path = f"/raccolte/{body['id']}/voci"
    too_many = _error(api.post(path, json={"doc_id": "cer-montagna", "passages": list(range(MAX_PASSAGES + 1))},
                               headers=edit), 422)
    assert f"troppi valori (massimo {MAX_PASSAGES})" in too_many["message"]
    assert "massimo 2000" in _error(api.post(path, json={"doc_id": "cer-montagna", "note": "n" * 2001},
                                             headers=edit), 422)["message"]
    items = [{"doc_id": f"doc-{n}", "title": f"Documento {n}"} for n in range(MAX_ITEMS + 1)]
    full, full_edit = _create(api, items=items[:MAX_ITEMS])
    refused = _error(api.post(f"/raccolte/{full['id']}/voci", json={"doc_id": "cer-montagna"}, headers=full_edit),
                     409)
    assert refused["code"] == "raccolta_piena"
    assert refused["message"] == f"la raccolta ha già {MAX_ITEMS} voci, il massimo"
    assert _error(api.post("/raccolte", json={"title": "x", "items": items}), 422)["code"] == "richiesta_non_valida"


def test_a_passage_picked_from_a_search_is_copied_whole_with_its_page(api: TestClient) -> None:
    found = api.get("/search", params={"q": "teleriscaldamento a cippato Valgrande"}).json()["results"]
    result = next(r for r in found if r["doc_id"] == "relazione-valgrande")
    cited = result["passages"][0]["citation"]
    assert cited["page_start"] and isinstance(cited["chunk_index"], int)
    body, edit = _create(api)
    added = api.post(f"/raccolte/{body['id']}/voci", json={"doc_id": "relazione-valgrande", "note": "Vedi p. 2",
                                                          "passages": [cited["chunk_index"]]}, headers=edit)
    assert added.status_code == 201, added.text
    item = added.json()["items"][0]
    stored = next(p for p in api.get("/documents/relazione-valgrande").json()["passages"]
                  if p["chunk_index"] == cited["chunk_index"])
    passage = item["passages"][0]
    assert passage["text"] == stored["text"], "the whole passage, not the snippet"
    assert (passage["page_start"], passage["page_end"]) == (stored["page_start"], stored["page_end"])
    assert passage["url"].endswith(f"/documents/relazione-valgrande/file#page={stored['page_start']}")
    assert item["title"] == result["title"] and item["metadata"]["doc_type"] == "progetto"
    assert item["note"] == "Vedi p. 2" and item["status"] == "presente"
    # the same document again: its item gets the new passage, no second item
    again = api.post(f"/raccolte/{body['id']}/voci", json={"doc_id": "relazione-valgrande", "passages": [0]},
                     headers=edit)
    assert again.status_code == 200 and again.json()["count"] == 1
    assert again.json()["items"][0]["passages"][0]["text"] == stored["text"]
    assert len(again.json()["items"][0]["passages"]) == (1 if cited["chunk_index"] == 0 else 2)


def test_order_notes_and_removal(api: TestClient) -> None:
    body, edit = _create(api)
    path = f"/raccolte/{body['id']}"
    for doc_id in ("cer-montagna", "led-pianura", "dlgs-199"):
        api.post(f"{path}/voci", json={"doc_id": doc_id}, headers=edit)
    first = api.post(f"{path}/voci", json={"doc_id": "bando-ciclabili", "position": 0}, headers=edit).json()
    assert [i["doc_id"] for i in first["items"]] == ["bando-ciclabili", "cer-montagna", "led-pianura", "dlgs-199"]
    ids = {i["doc_id"]: i["id"] for i in first["items"]}
    moved = api.patch(f"{path}/voci/{ids['dlgs-199']}", json={"position": 1, "note": "La norma di riferimento"},
                      headers=edit).json()
    assert [(i["doc_id"], i["position"]) for i in moved["items"]][:2] == [("bando-ciclabili", 0), ("dlgs-199", 1)]
    assert moved["items"][1]["note"] == "La norma di riferimento"
    assert api.patch(f"{path}/voci/{ids['dlgs-199']}", json={"note": ""}, headers=edit).json()["items"][1]["note"] \
        is None
    removed = api.delete(f"{path}/voci/{ids['led-pianura']}", headers=edit).json()
    assert [i["doc_id"] for i in removed["items"]] == ["bando-ciclabili", "dlgs-199", "cer-montagna"]
    _, other = _create(api)
    assert _error(api.delete(f"{path}/voci/{ids['cer-montagna']}", headers=other), 403)["code"] == "chiave_non_valida"


def test_export_and_reimport(api: TestClient) -> None:
    body, edit = _create(api, intro="Da portare al convegno")
    path = f"/raccolte/{body['id']}"
    api.post(f"{path}/voci", json={"doc_id": "cer-sicilia", "passages": [0], "note": "Solidale"}, headers=edit)
    api.post(f"{path}/voci", json={"doc_id": "direttiva-red"}, headers=edit)
    exported = api.get(f"{path}/esporta")
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/json"
    assert exported.headers["content-disposition"] == 'attachment; filename="raccolta-comunita-energetiche.json"'
    data = exported.json()
    assert (data["format"], data["format_version"]) == ("kb-raccolta", 1) and "edit_key" not in exported.text
    reimported = api.post("/raccolte", content=exported.content, headers={"Content-Type": "application/json"})
    assert reimported.status_code == 201, reimported.text
    copy = reimported.json()
    assert copy["id"] != body["id"] and copy["edit_key"] != edit["X-Collection-Key"]
    original = api.get(path).json()
    for field in ("title", "intro", "count"):
        assert copy[field] == original[field]
    keep = ("doc_id", "title", "note", "passages", "metadata", "added_at", "status")
    assert [{k: i[k] for k in keep} for i in copy["items"]] == [{k: i[k] for k in keep} for i in original["items"]]
    newer = _error(api.post("/raccolte", json={**data, "format_version": 2}), 422)
    assert newer["details"][0]["campo"] == "format_version"


def test_twelve_mixed_documents_export_as_epub_pdf_and_docx(api: TestClient) -> None:
    """The done-when collection: 12 documents of the four types, some with chosen passages and notes, built through
    the API and exported through the route in each format (the files' own checks are in test_dossier*.py)."""
    body, edit = _create(api, title="Energia e mobilità nei piccoli comuni",
                         intro="Le esperienze, le norme e i bandi raccolti dal laboratorio.")
    path = f"/raccolte/{body['id']}"
    for n, doc_id in enumerate(TWELVE):
        extra = {"passages": [0], "note": f"Nota del laboratorio n. {n + 1}"} if n % 3 == 0 else {}
        assert api.post(f"{path}/voci", json={"doc_id": doc_id, **extra}, headers=edit).status_code == 201
    shown = api.get(path).json()
    assert shown["count"] == 12 and {i["metadata"]["doc_type"] for i in shown["items"]} == {
        "buona_pratica", "progetto", "normativa", "bando"}
    for fmt, media_type, magic in (("epub", "application/epub+zip", b"PK"), ("pdf", "application/pdf", b"%PDF-"),
                                   ("docx", DOCX, b"PK")):
        response = api.get(shown["dossier_urls"][fmt].removeprefix(LOCAL_URL))
        assert response.status_code == 200, (fmt, response.text[:300])
        assert response.headers["content-type"] == media_type
        assert response.headers["content-disposition"].startswith("attachment; filename=")
        assert response.headers["content-disposition"].endswith(f'.{fmt}"')
        assert response.content.startswith(magic) and len(response.content) > 10_000, (fmt, len(response.content))
        if fmt == "pdf":
            text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
        else:
            archive = zipfile.ZipFile(io.BytesIO(response.content))
            names = [n for n in archive.namelist() if n.endswith((".xhtml", "document.xml"))]
            text = " ".join(archive.read(n).decode() for n in names)
        assert "Nota del laboratorio n. 10" in " ".join(text.split()), fmt  # the last note: every item is there
