"""Documents, similar documents, funding calls and normative overviews over the fixture index."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient


def _get(api: TestClient, url: str, **params: Any) -> Any:
    response = api.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_bandi_by_deadline_with_status_and_counts(api: TestClient) -> None:
    body = _get(api, "/bandi")
    assert body["today"] == "2026-11-24"
    assert [(r["doc_id"], r["status"]) for r in body["results"]] == [
        ("bando-ciclabili", "aperto"), ("bando-in-arrivo", "in_arrivo"), ("bando-scaduto", "scaduto")]
    assert body["results"][0]["days_left"] == 127
    assert body["counts"] == {"aperto": 1, "in_arrivo": 1, "scaduto": 1}
    assert body["results"][0]["file_url"].endswith("/documents/bando-ciclabili/file")


def test_bandi_per_il_mio_comune_apply_population_cap_and_regione(api: TestClient) -> None:
    small_veneto = {r["doc_id"] for r in _get(api, "/bandi", population=3000, regione="Veneto")["results"]}
    assert small_veneto == {"bando-in-arrivo", "bando-scaduto"}, "Lombardy's call is not for Veneto; national is"
    large_veneto = {r["doc_id"] for r in _get(api, "/bandi", population=10_000, regione="Veneto")["results"]}
    assert large_veneto == {"bando-scaduto"}, "the Veneto call is capped at 5,000 inhabitants"
    open_lombardy = _get(api, "/bandi", status="aperto", population=15_000, regione="Lombardia", beneficiary="comuni")
    assert [r["doc_id"] for r in open_lombardy["results"]] == ["bando-ciclabili"]
    assert _get(api, "/bandi", beneficiary="imprese")["results"] == []


def test_bandi_with_a_topic_rank_by_relevance_and_cite(api: TestClient) -> None:
    body = _get(api, "/bandi", q="piste ciclabili")
    assert body["results"][0]["doc_id"] == "bando-ciclabili"
    assert body["results"][0]["passages"] and body["results"][0]["score"] is not None


def test_bandi_reject_unknown_beneficiaries_in_italian(api: TestClient) -> None:
    response = api.get("/bandi", params={"beneficiary": "astronauti"})
    assert response.status_code == 422
    assert "beneficiari sconosciuti" in response.json()["error"]["message"]


def test_normativa_overview_groups_by_level_with_references_and_citations(api: TestClient) -> None:
    body = _get(api, "/normativa/overview", topic="comunità energetiche rinnovabili")
    levels = [g["level"] for g in body["levels"]]
    assert levels == ["UE", "nazionale", "regionale"]
    acts = {a["doc_id"]: a for g in body["levels"] for a in g["acts"]}
    assert acts["direttiva-red"]["reference"] == "Direttiva (UE) 2018/2001"
    assert acts["direttiva-red"]["act_date"] == "2018-12-11" and acts["direttiva-red"]["in_force"] is True
    assert acts["dm-incentivi-abrogato"]["in_force"] is False
    assert all(a["passages"] and a["passages"][0]["citation"]["doc_id"] == a["doc_id"] for a in acts.values())
    national = next(g for g in body["levels"] if g["level"] == "nazionale")["acts"]
    assert [a["act_date"] for a in national] == sorted((a["act_date"] for a in national), reverse=True)
    assert body["total"] == len(acts)


def test_normativa_overview_filters_in_force_and_regione(api: TestClient) -> None:
    body = _get(api, "/normativa/overview", topic="comunità energetiche rinnovabili", in_force="true", regione="Veneto")
    ids = {a["doc_id"] for g in body["levels"] for a in g["acts"]}
    assert "dm-incentivi-abrogato" not in ids and "legge-lombardia-cer" not in ids
    assert "direttiva-red" in ids


def test_normativa_overview_exports_markdown_and_csv(api: TestClient) -> None:
    topic = "comunità energetiche rinnovabili"
    markdown = api.get("/normativa/overview", params={"topic": topic, "format": "markdown"})
    assert markdown.status_code == 200 and markdown.headers["content-type"].startswith("text/markdown")
    text = markdown.text
    assert text.startswith("# Quadro normativo: comunità energetiche")
    assert text.index("## Unione europea") < text.index("## Nazionale") < text.index("## Regionale")
    assert "### Direttiva (UE) 2018/2001" in text and "Stato: abrogato" in text and "> " in text
    exported = api.get("/normativa/overview", params={"topic": topic, "format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert {r["livello"] for r in rows} == {"Unione europea", "Nazionale", "Regionale"}
    red = [r for r in rows if r["riferimento"] == "Direttiva (UE) 2018/2001"]
    assert red and red[0]["stato"] == "in vigore" and red[0]["data"] == "2018-12-11" and red[0]["estratto"]


def test_document_detail_has_metadata_passages_and_links(api: TestClient) -> None:
    body = _get(api, "/documents/relazione-valgrande")
    assert body["doc_type"] == "progetto" and body["metadata"]["comune"] == "Valgrande"
    assert body["metadata"]["illustrativo"] is True
    assert "source_path" not in body["metadata"] and "file_path" not in body["metadata"]
    assert body["pages"] >= 3 and "Interventi" in body["sections"]
    assert [p["chunk_index"] for p in body["passages"]] == list(range(body["chunks"]))
    assert body["similar_url"].endswith("/documents/relazione-valgrande/similar")
    bando = _get(api, "/documents/bando-ciclabili")
    assert bando["bando_status"] == "aperto"


def test_unknown_or_malformed_document_ids(api: TestClient) -> None:
    missing = api.get("/documents/non-esiste")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "non_trovato"
    assert api.get("/documents/non-esiste/file").status_code == 404
    assert api.get("/documents/non-esiste/similar").status_code == 404
    bad = api.get("/documents/Maiuscole!")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "richiesta_non_valida"


def test_similar_documents_exclude_the_document_and_find_its_topic(api: TestClient) -> None:
    body = _get(api, "/documents/cer-montagna/similar", limit=5)
    ids = [r["doc_id"] for r in body["results"]]
    assert "cer-montagna" not in ids
    assert ids[0] in {"cer-sicilia", "bando-in-arrivo", "legge-lombardia-cer", "dlgs-199", "direttiva-red"}
    assert "comunità" in body["keywords"].lower() or "energetica" in body["keywords"].lower()


def test_similar_project_text_gives_experiences_and_open_eligible_calls(api: TestClient) -> None:
    text = ("Il nostro comune vuole ridurre il traffico privato con nuove corsie ciclabili, zone 30 e un trasporto "
            "pubblico locale più frequente, e collegare le frazioni alla stazione con piste ciclabili.")
    response = api.post("/similar", data={"text": text, "population": 8000, "regione": "Lombardia"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {r["doc_type"] for r in body["esperienze"]} <= {"buona_pratica", "progetto"}
    assert body["esperienze"][0]["doc_id"] == "pums-citta"
    assert [r["doc_id"] for r in body["bandi"]] == ["bando-ciclabili"]
    assert all(r["bando_status"] == "aperto" for r in body["bandi"])
    too_big = api.post("/similar", data={"text": text, "population": 50_000, "regione": "Lombardia"})
    assert too_big.json()["bandi"] == [], "the call is capped at 20,000 inhabitants"


def test_similar_project_file_and_bad_inputs(api: TestClient) -> None:
    project = "# Progetto\n\nComunità energetica con impianti fotovoltaici sulle scuole e aiuto alle famiglie.\n"
    response = api.post("/similar", files={"file": ("progetto.md", project.encode(), "text/markdown")})
    assert response.status_code == 200, response.text
    assert response.json()["esperienze"][0]["doc_id"] in {"cer-sicilia", "cer-montagna"}
    empty = api.post("/similar", data={"text": "  "})
    assert empty.status_code == 422 and "testo del progetto" in empty.json()["error"]["message"]
    exe = api.post("/similar", files={"file": ("virus.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert exe.status_code == 415 and exe.json()["error"]["code"] == "tipo_non_supportato"


@pytest.mark.parametrize("name", ["..", ".", "x/..", "../../etc/passwd", "è" * 190 + ".md", "a\\b.md", "progetto.m d"])
def test_similar_takes_any_file_name_as_a_name(api: TestClient, name: str) -> None:
    """Issue 19, item 8: odd names answered 500; the name is sanitised as uploads do, never used as a path."""
    project = "Comunità energetica con impianti fotovoltaici sulle scuole e aiuto alle famiglie."
    response = api.post("/similar", files={"file": (name, project.encode(), "text/plain")})
    assert response.status_code in (200, 415), response.text
    if response.status_code == 415:  # no usable extension: said so in Italian
        assert response.json()["error"]["code"] == "tipo_non_supportato"
