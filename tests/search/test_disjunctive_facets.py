"""Disjunctive facets, checked value by value against filtered searches: for every facet F and every value v the
corpus has, F's count of v equals the total of the same search with every other filter and F=v in place of F's own
filter (0 when v is not listed). On Qdrant Edge and on qdrant-client's local stand-in, in every mode.

A generated corpus of 30 documents (90 passages, fewer than the engine's 100 candidates, so no list is cut) and the
hashing embedder: the facets are plumbing, not ranking.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kb.models.embedders import HashingEmbedder
from kb.search import Mode, SearchEngine, SearchFilters, SearchRequest
from kb.search.facets import FACET_FIELDS
from kb.storage.backends.base import ChunkPoint, SparseVec
from kb.storage.backends.edge import EdgeBackend
from kb.storage.backends.server import ServerBackend
from kb.storage.filters import BandoStatus
from kb.storage.schema import chunk_point_id, encode_flag, population_band
from kb.text.analysis import Bm25SparseEncoder
from tests.conftest import make_backend

TODAY = dt.date(2026, 11, 24)
WORDS = ("comunità energetica fotovoltaico scuola pista ciclabile illuminazione led rifiuti riuso acqua verde alberi "
         "bando contributo decreto cittadini partecipazione municipio pompa calore").split()
PLACES = {"Lombardia": {"Sondrio": ["Valgrande", "Morbegno"], "Brescia": ["Pianura"]},
          "Veneto": {"Belluno": ["Feltre"], "Padova": ["Piove"]},
          "Piemonte": {"Cuneo": ["Alba", "Bra"]}, "Sicilia": {"Catania": ["Marinella"]}}
TYPES = ("buona_pratica", "progetto", "normativa", "bando")


def _document(rng: random.Random, d: int, version: str, ingested: dt.datetime) -> dict[str, Any]:
    regione = rng.choice(sorted(PLACES))
    provincia = rng.choice(sorted(PLACES[regione]))
    population = rng.choice([450, 3200, 4800, 18000, 95000])
    meta: dict[str, Any] = {
        "doc_id": f"doc-{d:02d}", "doc_type": TYPES[d % 4], "title": f"Documento {d}", "regione": regione,
        "provincia": provincia, "comune": rng.choice(PLACES[regione][provincia]), "popolazione": population,
        "population_band": population_band(population), "sdg": sorted(rng.sample(range(1, 9), 2)),
        "themes": sorted(rng.sample(["energia-cer", "mobilita", "acqua", "rifiuti"], rng.randint(1, 2))),
        "year": 2019 + d % 6, "version": version, "ingested_at": ingested.isoformat(),
        "extracted_fields": ["regione"] if d % 5 == 0 else [],
    }
    if meta["doc_type"] == "normativa":
        meta |= {"level": rng.choice(["UE", "nazionale", "regionale"]), "in_force": encode_flag(d % 3 != 0)}
    if meta["doc_type"] == "bando":
        opening = TODAY + dt.timedelta(days=rng.randint(-200, 60))
        meta |= {"opening_date": opening.isoformat(),
                 "deadline": (opening + dt.timedelta(days=rng.randint(20, 150))).isoformat()}
    return meta


def corpus() -> list[ChunkPoint]:
    rng = random.Random(22)
    embedder, encoder = HashingEmbedder(32), Bm25SparseEncoder()
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    points = []
    for d in range(30):
        meta = _document(rng, d, "v1", start + dt.timedelta(days=d))
        for c in range(3):
            text = " ".join(rng.choices(WORDS, k=20))
            idx, val = encoder.encode_document(text)
            points.append(ChunkPoint(chunk_point_id(meta["doc_id"], meta["version"], c),
                                     {**meta, "chunk_index": c, "text": text},
                                     embedder.embed_passages([text])[0], SparseVec(idx, val)))
    return points


@pytest.fixture(scope="module", params=["edge", "server"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchEngine]:
    backend: EdgeBackend | ServerBackend = make_backend(request.param, tmp_path_factory.mktemp("facets"), 32)
    backend.upsert(corpus())
    yield SearchEngine(backend, HashingEmbedder(32), candidates=100)
    backend.close()


def _values(facet: str) -> list[Any]:
    """Every value the corpus can have in `facet`."""
    field = FACET_FIELDS[facet]
    seen: set[Any] = set()
    for point in corpus():
        value = point.payload.get(field)
        if field == "in_force" and value is not None:
            value = value == "si"
        seen.update(value if isinstance(value, list) else [] if value is None else [value])
    if facet == "bando_status":
        return [s.value for s in BandoStatus]
    return sorted(seen, key=str)


def _with_value(filters: SearchFilters, facet: str, value: Any) -> SearchFilters:
    """`filters` with F=value in place of F's own filter: what checking only `value` in the facet asks."""
    update: dict[str, Any] = {"year_from": value, "year_to": value} if facet == "year" else {
        facet: value if facet == "in_force" else [value]}
    return SearchFilters.model_validate({**filters.model_dump(), **update})


def _page(engine: SearchEngine, query: str, mode: Mode, filters: SearchFilters) -> Any:
    return engine.search(SearchRequest(query, mode, filters, limit=1, passages=False, today=TODAY))


def _assert_disjunctive(engine: SearchEngine, query: str, mode: Mode, filters: SearchFilters) -> None:
    page = _page(engine, query, mode, filters)
    for facet in FACET_FIELDS:
        counts = {item["value"]: item["count"] for item in page.facets[facet]}
        for value in _values(facet):
            total = _page(engine, query, mode, _with_value(filters, facet, value)).total
            assert counts.get(value, 0) == total, (facet, value, counts)


CASES = [
    SearchFilters(),
    SearchFilters(regione=["Lombardia"]),
    SearchFilters(regione=["Lombardia", "Veneto"], doc_type=["buona_pratica", "progetto"]),
    SearchFilters(sdg=[3, 7], theme=["acqua"], year_from=2021),
    SearchFilters(bando_status=[BandoStatus.aperto], population_band=["1.001-5.000", "fino a 1.000"]),
    SearchFilters(level=["UE", "nazionale"], in_force=True),
    SearchFilters(provincia=["Sondrio"], comune=["Valgrande"], year_from=2020, year_to=2022),
]


@pytest.mark.parametrize("filters", CASES, ids=lambda f: ",".join(f.model_dump(exclude_defaults=True)) or "none")
def test_counts_equal_filtered_totals_value_by_value(engine: SearchEngine, filters: SearchFilters) -> None:
    _assert_disjunctive(engine, "comunità energetica fotovoltaico scuola", Mode.hybrid, filters)


@pytest.mark.parametrize("mode", [Mode.lexical, Mode.semantic])
def test_every_mode_counts_its_own_result_set(engine: SearchEngine, mode: Mode) -> None:
    # lexical: only the documents with one of the words; semantic: every document the filters admit
    _assert_disjunctive(engine, "pista ciclabile", mode, CASES[2])


def test_statuses_read_in_the_question_are_the_status_facets_filter(engine: SearchEngine) -> None:
    page = _page(engine, "bandi aperti per la pista ciclabile", Mode.hybrid, SearchFilters(regione=["Veneto"]))
    assert page.interpreted == {"bando_status": ["aperto"]}
    assert {item["value"] for item in page.facets["bando_status"]} > {"aperto"}, "the other statuses stay listed"
    _assert_disjunctive(engine, "bandi aperti per la pista ciclabile", Mode.hybrid, SearchFilters(regione=["Veneto"]))


def test_checking_a_regione_keeps_the_others_and_it_stays_listed(engine: SearchEngine) -> None:
    query = "acqua verde alberi"
    everything = {i["value"]: i["count"] for i in _page(engine, query, Mode.hybrid, SearchFilters()).facets["regione"]}
    checked = _page(engine, query, Mode.hybrid, SearchFilters(regione=["lombardia"]))  # any spelling
    assert {i["value"]: i["count"] for i in checked.facets["regione"]} == everything
    assert checked.total == everything["Lombardia"]
    other_types = {i["value"]: i["count"] for i in checked.facets["doc_type"]}
    assert sum(other_types.values()) == checked.total, "the other facets count the filtered set"
    nowhere = _page(engine, query, Mode.hybrid, SearchFilters(regione=["Sicilia"], comune=["Valgrande"]))
    assert nowhere.total == 0
    assert {"value": "Valgrande", "count": 0, "extracted": 0} in nowhere.facets["comune"], "a checked value stays"


def test_a_cut_list_never_overstates_a_count(tmp_path: Path) -> None:
    """With few candidates the lists are cut: a count (the value's documents among the wider search's) can then be
    below the narrowed search's total (which fetches its own best passages), never above it."""
    backend = make_backend("edge", tmp_path, 32)
    try:
        backend.upsert(corpus())
        small = SearchEngine(backend, HashingEmbedder(32), candidates=10)
        filters = SearchFilters(regione=["Lombardia"])
        page = _page(small, "comunità energetica", Mode.hybrid, filters)
        below = 0
        for item in page.facets["regione"]:
            total = _page(small, "comunità energetica", Mode.hybrid, _with_value(filters, "regione", item["value"]))
            assert item["count"] <= total.total
            below += item["count"] < total.total
        assert below, "the lists are really cut here"
    finally:
        backend.close()
