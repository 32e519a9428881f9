"""What `GET /documents/{id}/status` says is what the index holds: an unchanged re-upload counts the document's
chunks, and a refused replacement says that the previous version stays indexed (and it does)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.search_api.api_fixture import hashing_api

KEY = "chiave-di-prova-stato-invii"
DOC = "orti-urbani"
PRACTICE = ("# Orti urbani condivisi\n\n" + "Il comune ha assegnato orti urbani alle famiglie del quartiere. " * 40
            ).encode()
BROKEN_PDF = b"%PDF-1.7\n" + b"\x00garbage" * 200


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    with hashing_api(tmp_path, KEY) as client:
        yield client


def _submit(api: TestClient, name: str, data: bytes, doc_id: str = DOC) -> dict[str, Any]:
    response = api.post("/documents", files={"file": (name, data)}, headers={"X-API-Key": KEY},
                        data={"doc_type": "buona_pratica", "metadata": json.dumps({"doc_id": doc_id})})
    assert response.status_code == 202, response.text
    assert api.app.state.services.worker.join(30)  # type: ignore[attr-defined]
    status = api.get(f"/documents/{doc_id}/status")
    assert status.status_code == 200
    return dict(status.json())


def _indexed_chunks(api: TestClient, doc_id: str = DOC) -> int:
    return int(api.get(f"/documents/{doc_id}").json()["chunks"])


def test_an_unchanged_re_upload_counts_the_documents_chunks(api: TestClient) -> None:
    first = _submit(api, "orti.md", PRACTICE)
    assert first["status"] == "indicizzato" and first["chunks"] > 1
    again = _submit(api, "orti.md", PRACTICE)
    assert again["status"] == "invariato"
    assert again["chunks"] == first["chunks"] == _indexed_chunks(api)  # answered chunks: 0 before


def test_a_refused_replacement_says_the_previous_version_stays(api: TestClient) -> None:
    first = _submit(api, "orti.md", PRACTICE)
    refused = _submit(api, "orti.pdf", BROKEN_PDF)
    assert refused["status"] == "scartato" and refused["code"] == "corrupt_file"
    today = dt.datetime.now(dt.UTC).date()
    assert refused["kept_version"] == today.isoformat()
    assert refused["chunks"] == first["chunks"] == _indexed_chunks(api)
    assert "sostituzione scartata" in refused["message"]
    assert f"resta in archivio la versione del {today:%d/%m/%Y} ({first['chunks']} frammenti)" in refused["message"]
    # and it is true: the old version is what search and the file route serve
    found = api.get("/search", params={"q": "orti urbani famiglie quartiere", "mode": "lexical"}).json()
    assert DOC in [r["doc_id"] for r in found["results"]]
    assert api.get(f"/documents/{DOC}/file").content == PRACTICE


def test_a_refused_first_upload_keeps_nothing(api: TestClient) -> None:
    refused = _submit(api, "nuovo.pdf", BROKEN_PDF, doc_id="nuovo-progetto")
    assert refused["status"] == "scartato"
    assert refused["chunks"] == 0 and refused["kept_version"] is None
    assert "sostituzione" not in refused["message"]
