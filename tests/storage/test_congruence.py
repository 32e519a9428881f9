"""One suite, two backends: the same writes, filters and queries on Qdrant Edge and on a Qdrant server must give
the same results (ids, order, scores, counts, facets).

The server side is qdrant-client's `:memory:` stand-in by default. With `KB_QDRANT_URL` set (and
`KB_QDRANT_API_KEY` if the server wants one) the suite also runs against that real server, in collections of its
own that it deletes afterwards: `KB_QDRANT_URL=http://localhost:6333 pytest -m server tests/storage`.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from qdrant_client import models

from kb.models.embedders import HashingEmbedder
from kb.storage.backends.base import ChunkPoint, SparseVec
from kb.storage.backends.edge import EdgeBackend
from kb.storage.backends.server import ServerBackend
from kb.storage.filters import BandoStatus, SearchFilters
from kb.storage.schema import DENSE_VECTOR, SPARSE_VECTOR, chunk_point_id, encode_flag, population_band
from kb.text.analysis import Bm25SparseEncoder
from tests.conftest import make_backend

TODAY = dt.date(2026, 11, 24)
WORDS = ("comunità energetica fotovoltaico scuola pista ciclabile illuminazione led rifiuti riuso acqua "
         "verde alberi bando contributo normativa decreto cittadini partecipazione municipio pompa calore").split()
REGIONS = ("Lombardia", "Veneto", "Piemonte", "Toscana")
TYPES = ("buona_pratica", "progetto", "normativa", "bando")
SERVER_URL = os.environ.get("KB_QDRANT_URL")
SERVERS = [
    pytest.param(":memory:", id="memory"),
    pytest.param(SERVER_URL, id="server", marks=[
        pytest.mark.server, pytest.mark.skipif(not SERVER_URL, reason="KB_QDRANT_URL non impostata")]),
]


@pytest.fixture(scope="module", params=SERVERS)
def server_url(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def open_server(url: str, dim: int) -> Iterator[ServerBackend]:
    """A fresh collection on `url`; on a real server it is deleted afterwards."""
    backend = ServerBackend(url, f"kb_congruence_{uuid.uuid4().hex[:12]}", os.environ.get("KB_QDRANT_API_KEY"))
    backend.ensure_collection(dim)
    try:
        yield backend
    finally:
        if url != ":memory:":
            backend.client.delete_collection(backend.collection)
        backend.close()


def _corpus() -> list[ChunkPoint]:
    rng = random.Random(7)
    embedder, encoder = HashingEmbedder(32), Bm25SparseEncoder()
    points = []
    for d in range(24):
        doc_type = TYPES[d % 4]
        population = rng.choice([450, 3200, 18000, 95000, 1_300_000])
        opening = TODAY + dt.timedelta(days=rng.randint(-200, 60))
        meta = {"doc_id": f"doc-{d:02d}", "doc_type": doc_type, "title": f"Documento {d}",
                "regione": REGIONS[d % 4], "sdg": sorted(rng.sample(range(1, 18), 3)), "year": 2018 + d % 8,
                "themes": [rng.choice(["energia-cer", "mobilita", "acqua"])], "popolazione": population,
                "population_band": population_band(population), "version": "v1"}
        if doc_type == "normativa":
            meta |= {"level": rng.choice(["UE", "nazionale", "regionale"]), "in_force": encode_flag(d % 3 != 0)}
        if doc_type == "bando":
            meta |= {"opening_date": opening.isoformat(),
                     "deadline": (opening + dt.timedelta(days=rng.randint(20, 150))).isoformat(),
                     "population_cap": rng.choice([None, 5000, 20000])}
        for c in range(3):
            text = " ".join(rng.choices(WORDS, k=25))
            idx, val = encoder.encode_document(text)
            points.append(ChunkPoint(chunk_point_id(meta["doc_id"], "v1", c), {**meta, "chunk_index": c, "text": text},
                                     embedder.embed_passages([text])[0], SparseVec(idx, val)))
    return points


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory,
         server_url: str) -> Iterator[tuple[EdgeBackend | ServerBackend, ...]]:
    tmp: Path = tmp_path_factory.mktemp("congruence")
    edge = make_backend("edge", tmp, 32)
    corpus = _corpus()
    with open_server(server_url, 32) as server:
        for backend in (edge, server):
            backend.upsert(corpus[:40])
            backend.upsert(corpus[40:])
        yield edge, server
    edge.close()


FILTERS = [
    SearchFilters(),
    SearchFilters(doc_type=["buona_pratica", "progetto"]),
    SearchFilters(sdg=[7, 13], regione=["Lombardia"]),
    SearchFilters(population_band=["fino a 1.000", "1.001-5.000"], year_from=2020, year_to=2023),
    SearchFilters(doc_type=["normativa"], level=["UE", "nazionale"], in_force=True),
    SearchFilters(bando_status=[BandoStatus.aperto]),
    SearchFilters(bando_status=[BandoStatus.scaduto, BandoStatus.in_arrivo]),
    SearchFilters(doc_type=["bando"], population=4000),
    SearchFilters(theme=["acqua"], regione=["Veneto", "Toscana"]),
]
QUERIES = ["comunità energetiche fotovoltaico", "pista ciclabile scuola", "bando contributo riuso", "decreto"]


def _ids(hits: list) -> list[tuple[str, float]]:
    return [(h.id, round(h.score, 4)) for h in hits]


def assert_same_ranking(a: list, b: list) -> None:
    """Same scores in the same order, and the same ids at every score level; ties may come in any order, and at
    the cut-off level either engine may keep a different member of a tie."""
    assert [s for _, s in _ids(a)] == [s for _, s in _ids(b)]
    if not a:
        return
    cutoff = round(a[-1].score, 4)
    above_a = {i for i, s in _ids(a) if s > cutoff}
    above_b = {i for i, s in _ids(b) if s > cutoff}
    assert above_a == above_b


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: str(f.model_dump(exclude_defaults=True)))
def test_counts_and_facets_agree(pair: tuple, flt: SearchFilters) -> None:
    edge, server = pair
    qf = flt.to_qdrant(TODAY)
    assert edge.count(qf) == server.count(qf)
    for key in ("doc_type", "regione", "sdg", "population_band"):
        assert sorted(edge.facet(key, qf, 50)) == sorted(server.facet(key, qf, 50))


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: str(f.model_dump(exclude_defaults=True)))
def test_sparse_and_dense_queries_agree(pair: tuple, query: str, flt: SearchFilters) -> None:
    edge, server = pair
    qf = flt.to_qdrant(TODAY)
    idx, val = Bm25SparseEncoder().encode_query(query)
    sparse_e = edge.query(SPARSE_VECTOR, SparseVec(idx, val), qf, 10)
    assert_same_ranking(sparse_e, server.query(SPARSE_VECTOR, SparseVec(idx, val), qf, 10))
    vector = HashingEmbedder(32).embed_query(query)
    assert_same_ranking(edge.query(DENSE_VECTOR, vector, qf, 10), server.query(DENSE_VECTOR, vector, qf, 10))
    expected = edge.count(qf)
    assert len(sparse_e) <= min(10, expected)


def test_filters_really_apply(pair: tuple) -> None:
    edge, _ = pair
    qf = SearchFilters(doc_type=["bando"], bando_status=[BandoStatus.aperto], population=4000).to_qdrant(TODAY)
    hits, _ = edge.scroll(qf, 100)
    assert hits, "the fixture corpus has open calls for small comuni"
    for hit in hits:
        p = hit.payload
        assert p["doc_type"] == "bando"
        assert p["opening_date"] <= TODAY.isoformat() <= p["deadline"]
        assert p.get("population_cap") is None or p["population_cap"] >= 4000


def test_edge_refuses_boolean_matches_instead_of_missing_them(pair: tuple) -> None:
    edge, _ = pair
    with pytest.raises(ValueError, match="booleani"):
        edge.count(models.Filter(must=[models.FieldCondition(key="in_force", match=models.MatchValue(value=True))]))


def test_scroll_retrieve_and_delete_agree(tmp_path: Path, server_url: str) -> None:
    corpus = _corpus()
    edge = make_backend("edge", tmp_path, 32)
    try:
        with open_server(server_url, 32) as server:
            for backend in (edge, server):
                backend.upsert(corpus)
                backend.delete_where(models.Filter(must=[
                    models.FieldCondition(key="doc_id", match=models.MatchAny(any=["doc-01", "doc-02"]))]))
                backend.delete_ids([corpus[-1].id])
            assert edge.count() == server.count() == len(corpus) - 7
            ids_e = sorted(h.id for h in edge.scroll(None, 1000)[0])
            assert ids_e == sorted(h.id for h in server.scroll(None, 1000)[0])
            some = ids_e[:5]
            assert [h.payload for h in edge.retrieve(some)] == [h.payload for h in server.retrieve(some)]
            dense_e = edge.retrieve(some[:1], with_dense=True)[0].dense
            dense_s = server.retrieve(some[:1], with_dense=True)[0].dense
            assert dense_e == pytest.approx(dense_s, abs=1e-6)
    finally:
        edge.close()


def test_edge_reopens_with_same_content(tmp_path: Path) -> None:
    corpus = _corpus()
    edge = make_backend("edge", tmp_path, 32)
    edge.upsert(corpus)
    edge.close()
    reopened = EdgeBackend(tmp_path / "index")
    reopened.ensure_collection(None)
    try:
        assert reopened.count() == len(corpus)
    finally:
        reopened.close()
