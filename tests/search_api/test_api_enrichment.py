"""Extracted metadata through the API and the UI: provenance, facet marks, links between acts and documents."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.search_api.api_fixture import API_KEY

BARE_CALL = """# Contributi per gli studi di fattibilità delle comunità energetiche

Il bando della Regione Lombardia finanzia gli studi di fattibilità delle comunità energetiche rinnovabili dei
comuni lombardi fino a 3.000 abitanti, in attuazione della L.R. 2/2022 e della Direttiva (UE) 2018/2001.

La dotazione complessiva è di 1,5 milioni di euro. Le domande si presentano dalle ore 10:00 del 1° dicembre 2026
ed entro le ore 12:00 del 26 febbraio 2027.
"""


def _submit(api: TestClient) -> str:
    accepted = api.post("/documents", files={"file": ("studi-cer.md", BARE_CALL.encode(), "text/markdown")},
                        data={"metadata": json.dumps({"doc_type": "bando"})}, headers={"X-API-Key": API_KEY})
    assert accepted.status_code == 202, accepted.text
    assert api.app.state.services.worker.join(120)  # type: ignore[attr-defined]
    doc_id = str(accepted.json()["doc_id"])
    assert api.get(f"/documents/{doc_id}/status").json()["status"] == "indicizzato"
    return doc_id


def test_extracted_values_carry_their_origin_and_link_to_cited_acts(writable_api: TestClient) -> None:
    doc_id = _submit(writable_api)
    card = writable_api.get(f"/documents/{doc_id}").json()
    meta = card["metadata"]
    assert (meta["opening_date"], meta["deadline"], meta["budget"], meta["population_cap"], meta["regione"]) == (
        "2026-12-01", "2027-02-26", 1_500_000, 3000, "Lombardia")
    assert meta["provenance"]["deadline"]["origine"] == "estratto" and meta["provenance"]["deadline"]["fonte"]
    assert "deadline" in meta["extracted_fields"] and card["bando_status"] == "in_arrivo"  # today: 2026-11-24
    linked = {a["reference"]: a["doc_id"] for a in card["cited_acts"]}
    assert linked == {"L.R. 2/2022": "legge-lombardia-cer", "Direttiva (UE) 2018/2001": "direttiva-red"}
    assert all(a["url"].endswith(f"/documents/{a['doc_id']}") for a in card["cited_acts"])
    law = writable_api.get("/documents/legge-lombardia-cer").json()
    assert doc_id in [d["doc_id"] for d in law["cited_by"]]


def test_facets_count_extracted_values_and_the_page_marks_them(writable_api: TestClient) -> None:
    doc_id = _submit(writable_api)
    body = writable_api.get("/search", params={"q": "studi di fattibilità comunità energetiche",
                                               "doc_type": "bando"}).json()
    assert doc_id in [r["doc_id"] for r in body["results"]]
    lombardia = next(v for v in body["facets"]["regione"] if v["value"] == "Lombardia")
    assert 1 <= lombardia["extracted"] <= lombardia["count"]
    assert all(v["extracted"] == 0 for v in body["facets"]["doc_type"])  # the type is always declared
    filtered = writable_api.get("/search", params={"q": "comunità energetiche", "regione": "Lombardia",
                                                   "doc_type": "bando"}).json()
    assert doc_id in [r["doc_id"] for r in filtered["results"]]  # an extracted value filters like a declared one
    page = writable_api.get("/", params={"q": "studi di fattibilità comunità energetiche", "doc_type": "bando"})
    assert page.status_code == 200
    assert 'class="estratto"' in page.text and "estratto automaticamente dal testo" in page.text
    assert "di cui 1 estratto dal testo" in page.text
