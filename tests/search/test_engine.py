"""The retrieval core on a real index with the real model: modes, Italian variants, acronyms, filters, grouping,
fusion, the result set behind facets, probes, call order, and the lexical evidence normativa relies on."""

from __future__ import annotations

import datetime as dt

import pytest

from kb.search import CommuneContext, Mode, Order, SearchEngine, SearchFilters, SearchRequest
from kb.search.fusion import fuse, group_by_document
from kb.storage.backends.base import Hit

TODAY = dt.date(2026, 11, 20)


def _search(engine: SearchEngine, query: str, mode: Mode = Mode.hybrid, limit: int = 3, **filters: object) -> list[str]:
    page = engine.search(SearchRequest(query, mode, SearchFilters(**filters), limit=limit, today=TODAY))
    return [d.doc_id for d in page.documents]


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("query, expected", [
    ("come ha fatto un piccolo comune a creare una comunità energetica?", "cer-montagna"),
    ("lampioni a led con telecontrollo", "led-pianura"),
])
def test_every_mode_finds_the_obvious_document(engine: SearchEngine, mode: Mode, query: str, expected: str) -> None:
    assert _search(engine, query, mode)[0] == expected


@pytest.mark.parametrize("query, expected", [
    ("comunita energetiche", "cer-montagna"),          # no accent, plural
    ("l'energia condivisa dell'impianto", "cer-montagna"),  # elisions
    ("PUMS", "pums-citta"),                            # acronym expanded at query time
    ("soldi per le ciclabili", "bando-ciclabili"),     # everyday words -> synonyms
])
def test_lexical_handles_italian_variants_and_acronyms(engine: SearchEngine, query: str, expected: str) -> None:
    assert _search(engine, query, Mode.lexical)[0] == expected


def test_filters_apply_to_every_document(engine: SearchEngine) -> None:
    assert _search(engine, "energia", limit=10, doc_type=["buona_pratica"], regione=["Lombardia"],
                   population_band=["fino a 1.000"]) == ["cer-montagna"]
    page = engine.search(SearchRequest("comunità energetiche", filters=SearchFilters(doc_type=["normativa"],
                                                                                     in_force=True)))
    assert [d.doc_id for d in page.documents] == ["dlgs-199"]
    assert page.documents[0].payload["in_force"] == "si"


def test_one_result_per_document_with_its_best_passages_in_full(engine: SearchEngine) -> None:
    page = engine.search(SearchRequest("comunità energetica rinnovabile fotovoltaico", limit=10))
    ids = [d.doc_id for d in page.documents]
    assert len(ids) == len(set(ids)) == page.total
    for doc in page.documents:
        assert 1 <= len(doc.passages) <= 3
        assert all(p.payload["doc_id"] == doc.doc_id and p.payload["text"] for p in doc.passages)
        assert [p.score for p in doc.passages] == sorted((p.score for p in doc.passages), reverse=True)
        assert doc.score == doc.passages[0].score
        assert all(p.snippet is not None for p in doc.passages)


def test_facets_count_exactly_the_documents_the_pages_return(engine: SearchEngine) -> None:
    first = engine.search(SearchRequest("energia comune", limit=2, today=TODAY))
    rest = engine.search(SearchRequest("energia comune", offset=2, limit=50, today=TODAY))
    returned = first.documents + rest.documents
    assert len(returned) == first.total == rest.total
    by_type = {f["value"]: f["count"] for f in first.facets["doc_type"]}
    assert sum(by_type.values()) == first.total
    for value, count in by_type.items():
        assert count == sum(1 for d in returned if d.payload["doc_type"] == value)


def test_without_passages_the_ranking_is_the_same(engine: SearchEngine) -> None:
    for mode in Mode:
        full = engine.search(SearchRequest("piste ciclabili e mobilità", mode, limit=5))
        bare = engine.search(SearchRequest("piste ciclabili e mobilità", mode, limit=5, passages=False))
        assert [(d.doc_id, d.score) for d in full.documents] == [(d.doc_id, d.score) for d in bare.documents]
        assert all(p.snippet is None for d in bare.documents for p in d.passages)


def test_status_words_are_read_unless_told_not_to(engine: SearchEngine) -> None:
    # the cycling call is open on TODAY (2026-10-01 .. 2027-03-31)
    read = engine.search(SearchRequest("bandi scaduti per piste ciclabili", limit=10, today=TODAY))
    assert read.interpreted == {"bando_status": ["scaduto"]}
    assert "bando-ciclabili" not in [d.doc_id for d in read.documents]
    literal = engine.search(SearchRequest("bandi scaduti per piste ciclabili", limit=10, today=TODAY,
                                          interpret=False))
    assert literal.interpreted == {} and "bando-ciclabili" in [d.doc_id for d in literal.documents]


def test_a_probe_is_ranked_like_a_question_without_itself(engine: SearchEngine) -> None:
    probe = engine.probe_document("cer-montagna")
    assert probe is not None and "energetica" in probe.keywords.split()
    page = engine.search(SearchRequest(probe, exclude_doc_id="cer-montagna", limit=10))
    assert "cer-montagna" not in [d.doc_id for d in page.documents]
    assert page.documents[0].doc_id == "dlgs-199"  # the act on energy communities
    text = engine.search(SearchRequest(engine.probe_text("comunità energetica sul tetto della scuola"), limit=1))
    assert text.documents[0].doc_id == "cer-montagna"
    with pytest.raises(ValueError, match="ibrida"):
        SearchRequest(probe, Mode.lexical)


def test_calls_by_deadline_and_comune_context(engine: SearchEngine) -> None:
    page = engine.search(SearchRequest("comune", order=Order.deadline, limit=10, today=TODAY))
    calls = [d for d in page.documents if d.payload["doc_type"] == "bando"]
    assert calls and page.documents[0].payload["doc_type"] == "bando", "the open call comes first"
    near = engine.search(SearchRequest("illuminazione e energia nei comuni", limit=10,
                                       context=CommuneContext(population=800, regione="Lombardia")))
    assert near.context_applied and all(d.boost is not None for d in near.documents)
    assert all(d.boost == 1.0 for d in near.documents if d.payload["doc_type"] in ("bando", "normativa"))


def test_lexical_scores_are_the_raw_bm25_of_each_document(engine: SearchEngine) -> None:
    page = engine.search(SearchRequest("decreto legislativo autoconsumo collettivo", limit=10))
    lexical = engine.search(SearchRequest("decreto legislativo autoconsumo collettivo", Mode.lexical, limit=10))
    assert page.lexical_scores == {d.doc_id: d.score for d in lexical.documents}


def test_fusion_weights_and_normalisation() -> None:
    lexical = [Hit("a", 12.0, {}), Hit("b", 6.0, {}), Hit("c", 0.0, {})]
    semantic = [Hit("c", 0.9, {}), Hit("b", 0.5, {}), Hit("a", 0.1, {})]
    assert [h.id for h in fuse(lexical, semantic, 1.0)] == ["a", "b", "c"]
    assert [h.id for h in fuse(lexical, semantic, 0.0)] == ["c", "b", "a"]
    mixed = {h.id: round(h.score, 3) for h in fuse(lexical, semantic, 0.8)}
    assert mixed == {"a": 0.8, "b": 0.4 + 0.2 * 0.5, "c": 0.2}
    assert [h.id for h in fuse([], semantic, 0.8)] == ["c", "b", "a"], "no lexical match: semantic alone"


def test_fusion_keeps_every_candidate_of_both_lists() -> None:
    lexical = [Hit(f"l{i}", 10.0 - i, {}) for i in range(5)]
    semantic = [Hit(f"s{i}", 0.9 - i / 10, {}) for i in range(5)]
    assert len(fuse(lexical, semantic, 0.85)) == 10


def test_grouping_keeps_only_the_newest_version_of_a_document() -> None:
    hits = [Hit("1", 0.9, {"doc_id": "d", "ingested_at": "2026-01-01"}),
            Hit("2", 0.8, {"doc_id": "d", "ingested_at": "2026-02-01"}),
            Hit("3", 0.7, {"doc_id": "d", "ingested_at": "2026-01-01"})]
    [doc] = group_by_document(hits)
    assert [c.id for c in doc.chunks] == ["2"]


def test_bad_requests_are_refused_at_once() -> None:
    for bad in ({"query": "  "}, {"query": "x", "limit": 0}, {"query": "x", "offset": -1},
                {"query": "x", "passages_per_doc": 0}):
        with pytest.raises(ValueError):
            SearchRequest(**bad)  # type: ignore[arg-type]
