"""Lexical search finds a number or an act however the query and the document write it (issue 19, item 6):
`5000` finds "5.000 abitanti", `dlgs 199` finds "D.Lgs. 199/2021", through the real core on a small Edge index."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingest.service import IngestService
from kb.models.embedders import HashingEmbedder
from kb.search import Mode, SearchEngine, SearchRequest
from kb.storage.backends.edge import EdgeBackend

DOCS = {
    "piccoli-comuni": ("Contributi ai piccoli comuni", "Il contributo spetta ai comuni fino a 5.000 abitanti, "
                       "per un importo massimo di € 150.000,00 a progetto."),
    "recepimento-red": ("Recepimento della direttiva sulle rinnovabili", "Il D.Lgs. 199/2021 disciplina "
                        "l'autoconsumo collettivo; il D.P.R. 380/2001 resta il testo unico dell'edilizia."),
    "delibera": ("Delibera sulle scuole", "La delibera n. 199 del consiglio riguarda 12 scuole e 5 palestre, "
                 "approvata il 12.03.2024 con 2,5 milioni di spesa."),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchEngine]:
    root = tmp_path_factory.mktemp("numbers")
    docs = root / "docs"
    docs.mkdir()
    for name, (title, text) in DOCS.items():
        (docs / f"{name}.md").write_text(f"---\ntitle: \"{title}\"\ndoc_type: normativa\n---\n# {title}\n\n{text}\n",
                                         encoding="utf-8")
    embedder = HashingEmbedder(32)
    backend = EdgeBackend(root / "index", embedder.name)
    backend.ensure_collection(32)
    report = IngestService(backend, embedder, files_path=root / "files").ingest_paths([docs])
    assert report.ok and report.summary()["indexed"] == len(DOCS), report.outcomes
    yield SearchEngine(backend, embedder)
    backend.close()


def _lexical(engine: SearchEngine, query: str) -> list[str]:
    return [d.doc_id for d in engine.search(SearchRequest(query, Mode.lexical, limit=10)).documents]


@pytest.mark.parametrize("query", ["5000", "5.000", "5\u202f000", "comuni fino a 5000 abitanti"])
def test_a_number_is_found_however_thousands_are_written(engine: SearchEngine, query: str) -> None:
    assert _lexical(engine, query)[:1] == ["piccoli-comuni"]


def test_an_amount_with_cents_is_found_by_its_integer(engine: SearchEngine) -> None:
    page = engine.search(SearchRequest("150000 euro", Mode.lexical, limit=10))
    assert [d.doc_id for d in page.documents] == ["piccoli-comuni"]
    marked = [m for d in page.documents for p in d.passages if p.snippet for m in p.snippet.marked_terms]
    assert "150.000,00" in marked  # highlighting reads the document as the index does


@pytest.mark.parametrize("query", ["dlgs 199", "D.Lgs. 199/2021", "d. lgs. 199", "DLGS 199 2021"])
def test_an_act_is_found_however_its_abbreviation_is_written(engine: SearchEngine, query: str) -> None:
    assert _lexical(engine, query)[0] == "recepimento-red"


def test_each_abbreviation_finds_its_own_act(engine: SearchEngine) -> None:
    assert _lexical(engine, "dpr") == ["recepimento-red"]
    assert _lexical(engine, "DPCM") == []  # no document cites one
