"""Submissions, deletion, auth and limits, on a private copy of the fixture index."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from search_api.uploads import IngestWorker
from tests.search_api.api_fixture import API_KEY

KEY = {"X-API-Key": API_KEY}
PRACTICE = ("# Compostiera di comunità a Fontanelle\n\n## Azioni\nIl comune di Fontanelle ha installato una "
            "compostiera elettromeccanica di comunità che tratta l'umido di 300 famiglie e delle mense scolastiche.\n")
META = {"doc_type": "buona_pratica", "comune": "Fontanelle", "regione": "Veneto", "popolazione": 5800,
        "themes": ["economia-circolare-rifiuti"], "sdg": [11, 12]}


def _upload(api: TestClient, name: str = "compostiera.md", data: bytes = PRACTICE.encode(),
            meta: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Any:
    return api.post("/documents", files={"file": (name, data, "text/markdown")},
                    data={"metadata": json.dumps(META if meta is None else meta)},
                    headers=KEY if headers is None else headers)


def _wait(api: TestClient) -> None:
    assert api.app.state.services.worker.join(120), "ingestion did not finish"  # type: ignore[attr-defined]


def test_submit_index_search_and_delete(writable_api: TestClient) -> None:
    accepted = _upload(writable_api)
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["doc_id"] == "compostiera" and body["status"] in ("in_coda", "in_elaborazione", "indicizzato")
    _wait(writable_api)
    status = writable_api.get("/documents/compostiera/status").json()
    assert status["status"] == "indicizzato" and status["chunks"] >= 1 and status["finished_at"]
    found = writable_api.get("/search", params={"q": "compostiera di comunità", "comune": "Fontanelle"}).json()
    assert [r["doc_id"] for r in found["results"]] == ["compostiera"]
    assert found["results"][0]["metadata"]["popolazione"] == 5800
    original = writable_api.get("/documents/compostiera/file")
    assert original.content == PRACTICE.encode() and original.headers["content-security-policy"] == "sandbox"
    deleted = writable_api.delete("/documents/compostiera", headers=KEY)
    assert deleted.status_code == 200 and deleted.json()["deleted_chunks"] == status["chunks"]
    assert writable_api.get("/documents/compostiera").status_code == 404
    assert writable_api.get("/documents/compostiera/file").status_code == 404
    assert writable_api.delete("/documents/compostiera", headers=KEY).status_code == 404


def test_same_file_name_never_overwrites_another_document(writable_api: TestClient) -> None:
    first = _upload(writable_api, name="cer-montagna.md").json()
    assert first["doc_id"].startswith("cer-montagna-") and first["doc_id"] != "cer-montagna"
    _wait(writable_api)
    assert writable_api.get("/documents/cer-montagna").json()["metadata"]["comune"] == "Valfonda"


def test_explicit_doc_id_replaces_that_document(writable_api: TestClient) -> None:
    meta = {**META, "doc_id": "cer-montagna", "title": "Nuova versione"}
    assert _upload(writable_api, meta=meta).json()["doc_id"] == "cer-montagna"
    _wait(writable_api)
    assert writable_api.get("/documents/cer-montagna").json()["title"] == "Nuova versione"


def test_rejected_files_get_a_final_status_with_the_reason(writable_api: TestClient) -> None:
    pdf = b"%PDF-1.7\n" + b"rotto" * 100
    response = writable_api.post("/documents", files={"file": ("rotto.pdf", pdf, "application/pdf")},
                                 data={"doc_type": "progetto"}, headers=KEY)
    assert response.status_code == 202
    _wait(writable_api)
    status = writable_api.get(f"/documents/{response.json()['doc_id']}/status").json()
    assert status["status"] == "scartato" and status["code"] and status["message"]


@pytest.mark.parametrize("method", ["post", "delete"])
def test_writes_need_the_key(writable_api: TestClient, method: str) -> None:
    def call(headers: dict[str, str]) -> Any:
        if method == "post":
            return _upload(writable_api, headers=headers)
        return writable_api.delete("/documents/cer-montagna", headers=headers)

    missing = call({})
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "chiave_mancante"
    wrong = call({"X-API-Key": "sbagliata"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "chiave_non_valida"
    assert writable_api.get("/documents/cer-montagna").status_code == 200, "nothing was deleted"


def test_limits_size_type_and_metadata(writable_api: TestClient) -> None:
    services = writable_api.app.state.services  # type: ignore[attr-defined]
    services.settings.max_upload_mb = 1
    big = _upload(writable_api, data=b"a" * (2**20 + 10))
    assert big.status_code == 413 and big.json()["error"]["code"] == "file_troppo_grande"
    exe = _upload(writable_api, name="programma.exe", data=b"MZ\x90\x00")
    assert exe.status_code == 415 and "formato non supportato" in exe.json()["error"]["message"]
    fake_pdf = writable_api.post("/documents", files={"file": ("finto.pdf", b"non sono un pdf", "application/pdf")},
                                 data={"doc_type": "progetto"}, headers=KEY)
    assert fake_pdf.status_code == 415
    bad_meta = _upload(writable_api, meta={**META, "sdg": [20]})
    assert bad_meta.status_code == 422 and "SDG" in bad_meta.json()["error"]["message"]
    bad_type = writable_api.post("/documents", files={"file": ("x.pdf", b"%PDF-1.4 x", "application/pdf")},
                                 data={"doc_type": "verbale"}, headers=KEY)  # none at all: inferred from the text
    assert bad_type.status_code == 422 and bad_type.json()["error"]["details"][0]["campo"] == "doc_type"
    not_json = writable_api.post("/documents", files={"file": ("x.md", b"# x\n\ntesto", "text/markdown")},
                                 data={"metadata": "{rotto"}, headers=KEY)
    assert not_json.status_code == 422 and not_json.json()["error"]["code"] == "metadati_non_validi"
    empty = _upload(writable_api, data=b"   ")
    assert empty.status_code == 422
    assert services.worker.pending() == 0, "nothing rejected was queued"


def test_queued_uploads_survive_a_restart(writable_api: TestClient) -> None:
    services = writable_api.app.state.services  # type: ignore[attr-defined]
    services.worker.stop()  # the process "dies" with a job spooled and not run
    queued = services.worker.submit("da-riprendere", "da-riprendere.md", PRACTICE.encode(), dict(META))
    assert queued.status == "in_coda"
    restarted = IngestWorker(services.ingest.ingest_bytes, services.settings.uploads_path)
    restarted.start()
    try:
        assert restarted.join(120)
    finally:
        restarted.stop()
    assert writable_api.get("/documents/da-riprendere/status").json()["status"] == "indicizzato"
    assert writable_api.get("/documents/da-riprendere").status_code == 200
    assert not any(services.settings.uploads_path.joinpath("queue").iterdir()), "the spool is emptied"
