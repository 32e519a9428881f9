"""Filter translation (kb/storage/filters.py): any valid set of search filters becomes a Qdrant filter that the Edge
backend accepts, and the documents it selects are exactly those the filters describe.

The reference is written here from the filters' contract, in plain Python: values of one field are alternatives
(OR), different fields must all hold (AND); a call's status is `bando_status(opening, deadline, today)` (the same
function that labels results and facet counts), and only calls have one; a comune of `population` is eligible when
a call has no cap or a cap it fits under. The corpus is a fixed, seeded mix of calls, rules and practices with
fields present, absent or empty; Hypothesis draws the filters. The server backend (qdrant-client's local mode) runs
the same filters as a second opinion.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kb.models.embedders import HashingEmbedder
from kb.storage.backends.base import ChunkPoint, SparseVec
from kb.storage.backends.edge import EdgeBackend
from kb.storage.backends.edge_filters import to_edge_filter
from kb.storage.backends.server import ServerBackend
from kb.storage.filters import BandoStatus, SearchFilters, bando_status
from kb.storage.schema import DENSE_VECTOR, SPARSE_VECTOR, chunk_point_id, encode_flag, population_band
from kb.text.analysis import Bm25SparseEncoder
from tests.properties.budget import bounded

TODAY = dt.date(2026, 11, 24)
TYPES = ("buona_pratica", "progetto", "normativa", "bando")
REGIONI = ("Lombardia", "Veneto", "Piemonte")
PROVINCE = ("Sondrio", "Brescia", "Verona")
COMUNI = ("Borgo", "Valfonda", "Pianura")
THEMES = ("energia-cer", "mobilita", "acqua")
LEVELS = ("UE", "nazionale", "regionale")
BENEFICIARIES = ("comuni", "imprese", "scuole")
BANDS = tuple(b for b in (population_band(p) for p in (500, 3000, 12000, 50000, 200000)) if b)
WORDS = "comunità energetica fotovoltaico scuola pista ciclabile illuminazione bando contributo decreto acqua".split()


def _maybe(rng: random.Random, value: Any, absent: float = 0.3) -> Any:
    return None if rng.random() < absent else value


def _payload(rng: random.Random, n: int) -> dict[str, Any]:
    doc_type = TYPES[n % 4]
    fields: dict[str, Any] = {
        "doc_id": f"doc-{n:03d}", "doc_type": doc_type, "version": "v1", "chunk_index": 0,
        "sdg": _maybe(rng, sorted(rng.sample(range(1, 18), rng.randint(0, 3)))),
        "themes": _maybe(rng, rng.sample(THEMES, rng.randint(0, 2))),
        "regione": _maybe(rng, rng.choice(REGIONI)), "provincia": _maybe(rng, rng.choice(PROVINCE)),
        "comune": _maybe(rng, rng.choice(COMUNI)), "population_band": _maybe(rng, rng.choice(BANDS)),
        "year": _maybe(rng, rng.randint(2016, 2027)),
    }
    if doc_type == "normativa":
        fields |= {"level": _maybe(rng, rng.choice(LEVELS)), "in_force": _maybe(rng, encode_flag(rng.random() < .6))}
    if doc_type == "bando" or rng.random() < 0.1:  # now and then a date on a document that is not a call
        opening = TODAY + dt.timedelta(days=rng.randint(-120, 60))
        deadline = opening + dt.timedelta(days=rng.randint(0, 120))
        fields |= {"opening_date": _maybe(rng, opening.isoformat()), "deadline": _maybe(rng, deadline.isoformat())}
    if doc_type == "bando":
        fields |= {"beneficiaries": _maybe(rng, rng.sample(BENEFICIARIES, rng.randint(0, 2))),
                   "population_cap": rng.choice([None, "absent", 1000, 5000, 20000])}
        if fields["population_cap"] == "absent":
            del fields["population_cap"]
    return {k: v for k, v in fields.items() if v is not None or k == "population_cap"}


def _corpus() -> list[ChunkPoint]:
    rng, embedder, encoder = random.Random(20261124), HashingEmbedder(), Bm25SparseEncoder()
    points = []
    for n in range(96):
        payload = _payload(rng, n)
        text = " ".join(rng.choices(WORDS, k=12))
        indices, values = encoder.encode_document(text)
        points.append(ChunkPoint(chunk_point_id(payload["doc_id"], "v1", 0), {**payload, "text": text},
                                 embedder.embed_passages([text])[0], SparseVec(indices, values)))
    return points


CORPUS = _corpus()


@pytest.fixture(scope="module")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EdgeBackend, ServerBackend]]:
    root: Path = tmp_path_factory.mktemp("filters")
    edge, server = EdgeBackend(root / "index", "hashing-32"), ServerBackend(":memory:", "filter_props")
    for backend in (edge, server):
        backend.ensure_collection(HashingEmbedder().dimension)
        backend.upsert(CORPUS)
    yield edge, server
    edge.close()
    server.close()


def _values(payload: dict[str, Any], key: str) -> list[Any]:
    value = payload.get(key)
    return value if isinstance(value, list) else [] if value is None else [value]


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _status(payload: dict[str, Any]) -> BandoStatus | None:
    if payload.get("doc_type") != "bando":
        return None
    return bando_status(_date(payload.get("opening_date")), _date(payload.get("deadline")), TODAY)


def satisfies(payload: dict[str, Any], f: SearchFilters) -> bool:
    """The filters' contract, independently of their translation."""
    keywords = {"doc_type": [d.value for d in f.doc_type], "themes": f.theme, "regione": f.regione,
                "provincia": f.provincia, "comune": f.comune, "population_band": f.population_band,
                "level": [lv.value for lv in f.level], "beneficiaries": f.beneficiary, "sdg": f.sdg}
    for key, wanted in keywords.items():
        if wanted and not set(_values(payload, key)) & set(wanted):
            return False
    year = payload.get("year")
    if f.year_from is not None and (year is None or year < f.year_from):
        return False
    if f.year_to is not None and (year is None or year > f.year_to):
        return False
    if f.in_force is not None and payload.get("in_force") != encode_flag(f.in_force):
        return False
    if f.bando_status and _status(payload) not in f.bando_status:
        return False
    if f.calls_in_status and payload.get("doc_type") == "bando" and _status(payload) not in f.calls_in_status:
        return False
    cap = payload.get("population_cap")
    return f.population is None or cap is None or cap >= f.population


def _some(values: tuple[str, ...], extra: str = "Molise") -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from((*values, extra)), min_size=1, max_size=2, unique=True)


statuses = st.lists(st.sampled_from(list(BandoStatus)), min_size=1, max_size=3, unique=True)
years = st.one_of(st.none(), st.integers(2015, 2028))


@st.composite
def search_filters(draw: st.DrawFn) -> SearchFilters:
    """One to four filters at a time (all of them at once would leave nothing to select)."""
    year_from, year_to = draw(years), draw(years)
    if year_from is not None and year_to is not None and year_from > year_to:
        year_from, year_to = year_to, year_from
    choices: dict[str, st.SearchStrategy[Any]] = {
        "doc_type": st.lists(st.sampled_from(TYPES), min_size=1, max_size=2, unique=True),
        "sdg": st.lists(st.integers(1, 17), min_size=1, max_size=3, unique=True),
        "theme": _some(THEMES), "regione": _some(REGIONI), "provincia": _some(PROVINCE), "comune": _some(COMUNI),
        "population_band": _some(BANDS), "level": st.lists(st.sampled_from(LEVELS), min_size=1, max_size=2),
        "in_force": st.booleans(), "bando_status": statuses, "calls_in_status": statuses,
        "beneficiary": _some(BENEFICIARIES, "cittadini"), "population": st.integers(0, 30_000),
        "years": st.just((year_from, year_to)),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(choices)), min_size=1, max_size=4, unique=True))
    values = {name: draw(choices[name]) for name in chosen}
    year_from, year_to = values.pop("years", (None, None))
    return SearchFilters(year_from=year_from, year_to=year_to, **values)


@bounded(150)
@given(search_filters())
def test_a_filter_selects_exactly_the_documents_it_describes(backends: tuple[EdgeBackend, ServerBackend],
                                                            filters: SearchFilters) -> None:
    flt = filters.to_qdrant(TODAY)
    if flt is not None:
        to_edge_filter(flt)  # the Edge translation accepts every filter the service builds
    expected = {p.id for p in CORPUS if satisfies(p.payload, filters)}
    for backend in backends:
        hits, _ = backend.scroll(flt, limit=1000)
        assert {h.id for h in hits} == expected, type(backend).__name__
        assert backend.count(flt) == len(expected)


@bounded(60)
@given(search_filters(), st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
def test_every_hit_of_a_filtered_search_satisfies_the_filter(backends: tuple[EdgeBackend, ServerBackend],
                                                             filters: SearchFilters, words: list[str]) -> None:
    flt = filters.to_qdrant(TODAY)
    query = " ".join(words)
    indices, values = Bm25SparseEncoder().encode_query(query)
    edge = backends[0]
    for using, vector in ((DENSE_VECTOR, HashingEmbedder().embed_query(query)),
                          (SPARSE_VECTOR, SparseVec(indices, values))):
        for hit in edge.query(using, vector, flt, limit=20):
            assert satisfies(hit.payload, filters), (using, hit.payload)
