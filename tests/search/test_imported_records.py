"""Imported open-data records are searched like any document: real model, the excerpts of tests/fixtures/open_data.

"illuminazione pubblica" finds the comune's project about its public lighting, with its comune and PNRR amount;
a filter on regione or on the source dataset works on imported metadata; calls for comuni come out as calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from ingest.enrich.gazetteer import load_gazetteer
from ingest.importers.calls import PNRR_CALLS, read_calls
from ingest.importers.pnrr_projects import read_locations, read_projects
from ingest.importers.runner import run_import
from ingest.importers.sdg_mapping import load_mapping
from ingest.service import IngestService
from kb.models.base import DenseEmbedder
from kb.search import SearchEngine, SearchFilters, SearchRequest
from kb.search.factory import engine_from_settings
from kb.settings import Settings
from kb.storage.backends.edge import EdgeBackend
from tests.conftest import REPO

DATA = REPO / "tests" / "fixtures" / "open_data"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, real_embedder: DenseEmbedder) -> Iterator[SearchEngine]:
    root = tmp_path_factory.mktemp("imported")
    backend = EdgeBackend(root / "index", real_embedder.name)
    backend.ensure_collection(real_embedder.dimension)
    service = IngestService(backend, real_embedder, files_path=root / "files")
    mapping = load_mapping(REPO / "kb" / "data" / "pnrr_sdg_mapping.csv")
    gazetteer = load_gazetteer()
    items, release = read_projects(DATA / "progetti_validati.parquet", mapping, gazetteer,
                                   locations=read_locations(DATA / "localizzazioni_validate.parquet", gazetteer))
    assert len(run_import(service, "pnrr-progetti", DATA / "progetti_validati.parquet", items,
                          release=release).new) == 8
    calls, observed = read_calls(DATA / "bandi.csv", PNRR_CALLS, mapping)
    assert not run_import(service, "pnrr-bandi", DATA / "bandi.csv", calls, release=observed).problems
    yield engine_from_settings(Settings(_env_file=None), backend, real_embedder)  # type: ignore[call-arg]
    backend.close()


def test_public_lighting_finds_the_comunes_project_with_comune_and_amount(imported: SearchEngine) -> None:
    page = imported.search(SearchRequest("illuminazione pubblica", limit=3))
    top = page.documents[0].payload
    assert top["doc_id"] == "pnrr-h31c22000060006", [d.doc_id for d in page.documents]
    assert top["comune"] == "Campodimele" and top["importo_pnrr"] == 47427.0
    assert top["fonte"] == "Italia Domani" and top["doc_type"] == "progetto" and top["illustrativo"] == "no"


def test_filters_work_on_imported_metadata(imported: SearchEngine) -> None:
    page = imported.search(SearchRequest("trasporto pubblico", filters=SearchFilters(regione=["Liguria"])))
    assert [d.doc_id for d in page.documents] == ["pnrr-b31e20000230001"]
    calls = imported.search(SearchRequest("mense scolastiche", filters=SearchFilters(
        doc_type=["bando"], beneficiary=["comuni"]), today=dt.date(2026, 12, 3)))
    assert calls.documents and "mense" in calls.documents[0].payload["title"].lower()


def test_a_stored_record_reads_as_a_document(imported: SearchEngine) -> None:
    page = imported.search(SearchRequest("ciclovia pista ciclabile alpeggio green community Canischio", limit=5))
    canischio = next(d for d in page.documents if d.doc_id == "pnrr-e66c22000260006")
    assert canischio.payload["popolazione"] == 294 and canischio.payload["provincia"] == "Torino"
    assert canischio.payload["sdg"] and canischio.payload["sdg_prevalente"] in canischio.payload["sdg"]
