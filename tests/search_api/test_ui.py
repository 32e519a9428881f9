"""The Italian web pages, rendered by the app over the fixture index (HTML checked as text)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def _html(api: TestClient, url: str, **params: object) -> str:
    response = api.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def test_landing_page_is_italian_with_examples(api: TestClient) -> None:
    page = _html(api, "/")
    assert '<html lang="it">' in page and 'for="q"' in page
    assert "Esempi di domande" in page and "/?q=bandi+aperti+per+piste+ciclabili" in page
    assert api.get("/static/style.css").status_code == 200


def test_query_in_the_url_renders_results_facets_snippets_and_citations(api: TestClient) -> None:
    page = _html(api, "/", q="comunità energetica")
    assert re.search(r"\d+ documenti trovati", page)
    assert "<mark>" in page and "Buona pratica" in page
    assert 'name="doc_type" value="buona_pratica"' in page and "Energia pulita e accessibile" in page
    assert "/documents/cer-montagna/file" in page and "/ui/simili/cer-montagna" in page
    assert 'value="comunità energetica"' in page, "the box keeps the query"


def test_a_checked_facet_narrows_and_stays_checked(api: TestClient) -> None:
    page = _html(api, "/", q="comunità energetica", doc_type="normativa")
    assert 'name="doc_type" value="normativa" checked' in page
    assert "Buona pratica</p>" not in page and "cer-montagna/file" not in page
    counted = re.search(r"(\d+) document[oi] trovat", page)
    assert counted and f"Normativa <span class=\"conteggio\">({counted.group(1)})" in page


def test_a_place_typed_in_any_spelling_checks_its_facet(api: TestClient) -> None:
    page = _html(api, "/", q="comunità energetica", regione=" LOMBARDIA ")
    assert 'name="regione" value="Lombardia" checked' in page  # the box it filters by, in the facets' spelling
    assert 'name="regione" value="Veneto" checked' not in page


def test_empty_state_and_invalid_input(api: TestClient) -> None:
    page = _html(api, "/", q="zzzxqy", mode="lexical")
    assert "Nessun documento corrisponde" in page
    bad = _html(api, "/", q="energia", page="0")
    assert 'role="alert"' in bad and "page: deve essere almeno 1" in bad


def test_bandi_view_shows_status_and_days_left(api: TestClient) -> None:
    page = _html(api, "/ui/bandi")
    assert "stato-aperto" in page and "127 giorni" in page and "Scaduto" in page
    assert "comuni fino a 20.000 abitanti" in page


def test_normativa_view_groups_by_level_with_exports(api: TestClient) -> None:
    page = _html(api, "/ui/normativa", topic="comunità energetiche rinnovabili")
    assert page.index("Unione europea") < page.index("Nazionale") < page.index("Regionale")
    assert "format=markdown" in page and "format=csv" in page and "abrogato" in page


def test_similar_and_submission_pages(api: TestClient) -> None:
    similar = _html(api, "/ui/simili/cer-montagna")
    assert "Documenti simili" in similar and "/documents/cer-montagna/file" not in similar
    form = _html(api, "/ui/invia")
    assert 'id="modulo-invio"' in form and 'type="password"' in form
    assert '<option value="" selected>Dedotto dal testo</option>' in form, "the type may be left to the text"
