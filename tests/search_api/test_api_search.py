"""/search over a real Edge index of the fixture corpus, with the real model."""

from __future__ import annotations

import io
import math
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from kb.search.intent import call_statuses
from kb.storage.schema import population_band
from kb.text.analysis import ItalianAnalyzer
from tests.report_pdf import render_report

CER_QUERY = "come ha fatto un piccolo comune a creare una comunità energetica?"


def _search(api: TestClient, **params: Any) -> dict[str, Any]:
    response = api.get("/search", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _all_results(api: TestClient, **params: Any) -> list[dict[str, Any]]:
    first = _search(api, **params, page_size=50)
    assert first["total"] <= 50, "fixture corpus fits in one page"
    return list(first["results"])


def test_results_are_documents_with_marked_snippets_of_stemmed_variants(api: TestClient) -> None:
    body = _search(api, q=CER_QUERY)
    ids = [r["doc_id"] for r in body["results"]]
    assert len(ids) == len(set(ids)), "one result per document"
    assert ids[0] in {"cer-montagna", "cer-sicilia"}
    stems = set(ItalianAnalyzer().terms(CER_QUERY))
    marked = [p["text"][s:e] for p in body["results"][0]["passages"] for s, e in p["highlights"]]
    assert marked and all(ItalianAnalyzer().terms(m)[0] in stems for m in marked)
    assert any(m.lower() in ("comunità", "energetica", "energetiche") for m in marked)
    first_html = body["results"][0]["passages"][0]["html"]
    assert "<mark>" in first_html and "<script" not in first_html


FILTER_CASES: list[dict[str, Any]] = [
    {"doc_type": "buona_pratica", "regione": "Lombardia"},
    {"sdg": [1, 4], "year_from": 2024},
    {"level": "nazionale", "in_force": "false"},
    {"level": ["UE", "regionale"], "in_force": "true"},
    {"bando_status": "aperto"},
    {"bando_status": ["in_arrivo", "scaduto"], "theme": "finanziamenti"},
    {"population_band": "fino a 1.000"},
    {"provincia": "Sondrio", "year_to": 2024},
    {"comune": ["Marinella", "Borgoretto"]},
]


def _satisfies(result: dict[str, Any], case: dict[str, Any]) -> bool:
    meta = result["metadata"]

    def many(value: Any) -> list[Any]:
        return value if isinstance(value, list) else [value]

    checks = {
        "doc_type": lambda v: result["doc_type"] in many(v),
        "regione": lambda v: meta.get("regione") in many(v),
        "provincia": lambda v: meta.get("provincia") in many(v),
        "comune": lambda v: meta.get("comune") in many(v),
        "sdg": lambda v: bool(set(meta.get("sdg", [])) & set(many(v))),
        "theme": lambda v: bool(set(meta.get("themes", [])) & set(many(v))),
        "year_from": lambda v: meta.get("year") is not None and meta["year"] >= v,
        "year_to": lambda v: meta.get("year") is not None and meta["year"] <= v,
        "level": lambda v: meta.get("level") in many(v),
        "in_force": lambda v: meta.get("in_force") is (v == "true"),
        "bando_status": lambda v: result["bando_status"] in many(v),
        "population_band": lambda v: population_band(meta.get("popolazione")) in many(v),
    }
    return all(checks[key](value) for key, value in case.items())


@pytest.mark.parametrize("mode", ["hybrid", "lexical", "semantic"])
@pytest.mark.parametrize("case", FILTER_CASES, ids=lambda c: "&".join(c))
def test_every_hit_satisfies_every_filter(api: TestClient, case: dict[str, Any], mode: str) -> None:
    results = _all_results(api, q="energia comune bando progetto", mode=mode, **case)
    assert results or mode == "lexical", f"the fixture has documents for {case}"
    for result in results:
        assert _satisfies(result, case), (case, result["doc_id"], result["metadata"])


def test_filters_really_narrow_to_the_expected_documents(api: TestClient) -> None:
    ids = {r["doc_id"] for r in _all_results(api, q="energia", mode="semantic", doc_type="normativa")}
    assert ids == {"dlgs-199", "direttiva-red", "legge-lombardia-cer", "dm-incentivi-abrogato"}
    ids = {r["doc_id"] for r in _all_results(api, q="energia", mode="semantic", level="nazionale", in_force="false")}
    assert ids == {"dm-incentivi-abrogato"}


def test_facet_counts_equal_the_matching_documents(api: TestClient) -> None:
    body = _search(api, q="comunità energetica", page_size=50)
    results = body["results"]
    assert body["total"] == len(results)
    facets = body["facets"]
    assert sum(v["count"] for v in facets["doc_type"]) == body["total"]
    for value in facets["doc_type"]:
        assert value["count"] == sum(r["doc_type"] == value["value"] for r in results)
    for value in facets["regione"]:
        assert value["count"] == sum(r["metadata"].get("regione") == value["value"] for r in results)
    for value in facets["sdg"]:
        assert value["count"] == sum(value["value"] in r["metadata"].get("sdg", []) for r in results)
    for value in facets["bando_status"]:
        assert value["count"] == sum(r["bando_status"] == value["value"] for r in results)


def test_facets_are_computed_over_the_filtered_set(api: TestClient) -> None:
    body = _search(api, q="comunità energetica", regione="Lombardia", page_size=50)
    assert sum(v["count"] for v in body["facets"]["doc_type"]) == body["total"]
    # disjunctive: the regione facet is counted without its own filter (tests/search/test_disjunctive_facets.py)
    assert body["facets"]["regione"] == _search(api, q="comunità energetica")["facets"]["regione"]
    assert next(v["count"] for v in body["facets"]["regione"] if v["value"] == "Lombardia") == body["total"]


def test_pagination_is_stable_and_disjoint(api: TestClient) -> None:
    whole = [r["doc_id"] for r in _search(api, q="energia rinnovabile", page_size=6)["results"]]
    page1 = [r["doc_id"] for r in _search(api, q="energia rinnovabile", page_size=3, page=1)["results"]]
    page2 = [r["doc_id"] for r in _search(api, q="energia rinnovabile", page_size=3, page=2)["results"]]
    assert page1 + page2 == whole
    assert page1 == [r["doc_id"] for r in _search(api, q="energia rinnovabile", page_size=3)["results"]]
    beyond = _search(api, q="energia rinnovabile", page=50)
    assert beyond["results"] == [] and beyond["total"] > 0


def test_post_search_answers_like_get(api: TestClient) -> None:
    got = _search(api, q="piste ciclabili", doc_type=["bando", "progetto"])
    posted = api.post("/search", json={"q": "piste ciclabili", "doc_type": ["bando", "progetto"]})
    assert posted.status_code == 200
    assert [r["doc_id"] for r in posted.json()["results"]] == [r["doc_id"] for r in got["results"]]


def test_citations_point_at_the_page_that_holds_the_passage(api: TestClient) -> None:
    result = _search(api, q="centrale a cippato di legno", mode="lexical")["results"][0]
    assert result["doc_id"] == "relazione-valgrande"
    reader = PdfReader(io.BytesIO(render_report()))
    assert len(reader.pages) >= 3
    page_of = next(n for n, page in enumerate(reader.pages, 1) if "cippato" in (page.extract_text() or ""))
    best = result["passages"][0]
    assert "cippato" in best["text"]
    citation = best["citation"]
    assert citation["page_start"] <= page_of <= citation["page_end"]
    assert citation["source"] == "relazione-valgrande.pdf"
    assert citation["url"].endswith(f"/documents/relazione-valgrande/file#page={citation['page_start']}")
    opened = api.get("/documents/relazione-valgrande/file", params={"page": page_of}, follow_redirects=False)
    assert opened.status_code == 307
    assert opened.headers["location"].endswith(f"/documents/relazione-valgrande/file#page={page_of}")
    original = api.get("/documents/relazione-valgrande/file")
    assert original.status_code == 200 and original.headers["content-type"] == "application/pdf"
    assert original.content == render_report() or original.content.startswith(b"%PDF-")


def test_comuni_come_il_mio_lifts_experiences_of_similar_size_and_area(api: TestClient) -> None:
    query = "comunità energetica rinnovabile con impianti fotovoltaici"

    def order(**context: Any) -> list[str]:
        results = _search(api, q=query, doc_type="buona_pratica", **context)["results"]
        return [r["doc_id"] for r in results if r["doc_id"] in ("cer-montagna", "cer-sicilia")]

    assert order() == ["cer-sicilia", "cer-montagna"], "close relevance without a context"
    assert order(context_population=800, context_regione="Lombardia") == ["cer-montagna", "cer-sicilia"]
    assert order(context_population=3000, context_regione="Sicilia") == ["cer-sicilia", "cer-montagna"]
    body = _search(api, q=query, context_population=800, context_regione="Lombardia")
    assert body["context_applied"] is True
    boosts = {r["doc_id"]: r["boost"] for r in body["results"]}
    assert boosts["cer-montagna"] == pytest.approx(1 + 0.3 * (1 - abs(math.log10(780 / 800)) / 2) + 0.2)
    assert boosts["cer-sicilia"] == pytest.approx(1 + 0.3 * (1 - abs(math.log10(3200 / 800)) / 2))
    assert boosts["dlgs-199"] == 1.0, "normative texts are not experiences"


def test_bando_status_comes_from_the_injected_date(api: TestClient) -> None:
    results = _all_results(api, q="bando", doc_type="bando")
    status = {r["doc_id"]: r["bando_status"] for r in results}
    assert status == {"bando-ciclabili": "aperto", "bando-scaduto": "scaduto", "bando-in-arrivo": "in_arrivo"}
    assert all(r["bando_status"] is None for r in _all_results(api, q="energia", doc_type="normativa"))


@pytest.mark.parametrize(("query", "expected"), [
    ("bandi aperti per piste ciclabili", ["aperto"]),
    ("Avvisi in arrivo per le CER", ["in_arrivo"]),
    ("contributi attivi per il fotovoltaico", ["aperto"]),
    ("bandi scaduti sulle scuole", ["scaduto"]),
    ("porte aperte al municipio", []),
    ("bandi per piste ciclabili", []),
])
def test_call_status_words_in_the_question(query: str, expected: list[str]) -> None:
    assert [s.value for s in call_statuses(query)] == expected


def test_bandi_aperti_in_the_question_leaves_out_other_calls_only(api: TestClient) -> None:
    body = _search(api, q="bandi aperti per piste ciclabili e comunità energetiche", page_size=50)
    assert body["interpreted"] == {"bando_status": ["aperto"]}
    calls = {r["doc_id"]: r["bando_status"] for r in body["results"] if r["doc_type"] == "bando"}
    assert calls == {"bando-ciclabili": "aperto"}
    assert {r["doc_type"] for r in body["results"]} > {"bando"}, "experiences and rules stay"
    literal = _search(api, q="bandi aperti per piste ciclabili e comunità energetiche", page_size=50,
                      interpret="false")
    assert literal["interpreted"] == {}
    assert {r["bando_status"] for r in literal["results"] if r["doc_type"] == "bando"} >= {"scaduto", "in_arrivo"}
    explicit = _search(api, q="bandi aperti per piste ciclabili", bando_status="scaduto")
    assert explicit["interpreted"] == {} and [r["doc_id"] for r in explicit["results"]] == ["bando-scaduto"]
