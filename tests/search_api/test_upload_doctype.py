"""POST /documents without doc_type: accepted, the type inferred from the text (and shown with its provenance), or
the file refused with a status that says which types came close and how to declare one."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import REPO
from tests.doctype_texts import OUTSIDE, TYPED
from tests.search_api.api_fixture import hashing_api

sys.path.insert(0, str(REPO / "corpus"))
_md = importlib.import_module("_render_markdown")
_pdf = importlib.import_module("_render_pdf")

KEY = "chiave-di-prova-tipo-dedotto"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    with hashing_api(tmp_path, KEY) as client:
        yield client


def _pdf_of(text: str) -> bytes:
    return bytes(_pdf.render_pdf(_md.parse_markdown(text), {"title": "Documento", "language": "it"}))


def _submit(api: TestClient, name: str, data: bytes, **form: str) -> dict[str, object]:
    response = api.post("/documents", files={"file": (name, data)}, data=form, headers={"X-API-Key": KEY})
    assert response.status_code == 202, response.text
    assert api.app.state.services.worker.join(60)  # type: ignore[attr-defined]
    return dict(api.get(f"/documents/{response.json()['doc_id']}/status").json())


def test_a_pdf_without_doc_type_is_indexed_with_the_inferred_type(api: TestClient) -> None:
    status = _submit(api, "avviso-caldaie.pdf", _pdf_of(TYPED["bando"]))
    assert status["status"] == "indicizzato", status
    detail = api.get("/documents/avviso-caldaie").json()
    assert detail["doc_type"] == "bando" and "doc_type" in detail["metadata"]["extracted_fields"]
    assert detail["metadata"]["provenance"]["doc_type"]["origine"] == "estratto"
    facets = api.get("/search", params={"q": "caldaie pompe di calore"}).json()["facets"]["doc_type"]
    assert {"value": "bando", "count": 1, "extracted": 1} in facets
    page = api.get("/", params={"q": "caldaie pompe di calore"})
    assert 'class="estratto"' in page.text, "the page marks the type as read from the text"


def test_a_pdf_of_no_type_is_refused_with_the_way_to_declare_one(api: TestClient) -> None:
    status = _submit(api, "menu.pdf", _pdf_of(OUTSIDE["menu"]))
    assert status["status"] == "scartato" and status["code"] == "doc_type_unknown"
    assert "campo `doc_type`" in str(status["message"]) and "--doc-type" in str(status["message"])


def test_a_declared_doc_type_is_kept_and_still_validated(api: TestClient) -> None:
    status = _submit(api, "avviso.pdf", _pdf_of(TYPED["bando"]), doc_type="normativa")
    assert status["status"] == "indicizzato"
    detail = api.get("/documents/avviso").json()
    assert detail["doc_type"] == "normativa" and "doc_type" not in detail["metadata"].get("extracted_fields", [])
    wrong = api.post("/documents", files={"file": ("x.pdf", _pdf_of(TYPED["bando"]))}, data={"doc_type": "verbale"},
                     headers={"X-API-Key": KEY})
    assert wrong.status_code == 422 and wrong.json()["error"]["details"][0]["campo"] == "doc_type"
