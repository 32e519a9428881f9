"""Snippet highlighting and the "comuni come il mio" formula, on hand-made inputs."""

from __future__ import annotations

import math

import pytest

from kb.search.context import CommuneContext, area_similarity, boost_factor, size_similarity
from kb.search.highlight import Highlighter


@pytest.fixture(scope="module")
def highlighter() -> Highlighter:
    return Highlighter(max_chars=120)


def test_stemmed_variants_and_acronym_expansions_are_marked(highlighter: Highlighter) -> None:
    text = "Le comunità energetiche della valle e la comunità energetica di Borgo: l'energia condivisa cresce."
    snippet = highlighter.snippet(text, highlighter.query_stems("comunità energetica"))
    assert snippet.marked_terms == ["comunità", "energetiche", "comunità", "energetica"]
    expanded = highlighter.snippet(text, highlighter.query_stems("CER"))
    assert "energetiche" in expanded.marked_terms and "comunità" in expanded.marked_terms


def test_accents_and_elisions_do_not_hide_a_match(highlighter: Highlighter) -> None:
    snippet = highlighter.snippet("L'illuminazione pubblica a LED di un'area", highlighter.query_stems("illuminazione"))
    assert snippet.marked_terms == ["illuminazione"]
    assert highlighter.snippet("la città", highlighter.query_stems("citta")).marked_terms == ["città"]


def test_long_text_window_holds_the_densest_part_and_is_cut_at_words(highlighter: Highlighter) -> None:
    text = ("parole di contorno " * 30) + "la pista ciclabile e le piste ciclabili nuove " + ("altro testo " * 30)
    snippet = highlighter.snippet(text, highlighter.query_stems("piste ciclabili"))
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert len(snippet.text) <= 122
    assert snippet.marked_terms == ["pista", "ciclabile", "piste", "ciclabili"]
    assert all(not snippet.text[s - 1].isalnum() for s, _ in snippet.highlights if s > 0)


def test_html_is_escaped_outside_the_marks(highlighter: Highlighter) -> None:
    snippet = highlighter.snippet("<script>x</script> bici & pista", highlighter.query_stems("pista"))
    assert snippet.html == "&lt;script&gt;x&lt;/script&gt; bici &amp; <mark>pista</mark>"


def test_size_similarity_is_one_at_equal_size_half_at_ten_times_zero_at_a_hundred() -> None:
    assert size_similarity(1000, 1000) == 1.0
    assert math.isclose(size_similarity(10_000, 1000), 0.5)
    assert math.isclose(size_similarity(100, 1000), 0.5)
    assert size_similarity(100_000, 1000) == 0.0
    assert size_similarity(None, 1000) == 0.0


def test_area_similarity_by_regione_then_istat_division() -> None:
    assert area_similarity("Lombardia", "lombardia") == 1.0
    assert area_similarity("Valle d'Aosta", "Piemonte") == 0.5
    assert area_similarity("Emilia Romagna", "Veneto") == 0.5
    assert area_similarity("Sicilia", "Lombardia") == 0.0
    assert area_similarity(None, "Lombardia") == 0.0


def test_boost_applies_to_experiences_only_with_the_documented_weights() -> None:
    context = CommuneContext(population=1000, regione="Lombardia")
    practice = {"doc_type": "buona_pratica", "popolazione": 10_000, "regione": "Piemonte"}
    assert math.isclose(boost_factor(practice, context, 0.3, 0.2), 1 + 0.3 * 0.5 + 0.2 * 0.5)
    assert boost_factor({**practice, "doc_type": "normativa"}, context, 0.3, 0.2) == 1.0
    assert boost_factor(practice, CommuneContext(), 0.3, 0.2) == 1.0
    assert math.isclose(boost_factor(practice, CommuneContext(regione="Piemonte"), 0.3, 0.2), 1.2)
