"""A search sees exactly one complete version of a document while it is being replaced: never neither (the document
left out, or counted and not shown) and never passages of two versions. Real Edge index, hashing embedder."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.service import IngestService
from kb.models.embedders import HashingEmbedder
from kb.search import SearchRequest
from kb.search.engine import SearchEngine
from kb.storage.backends.edge import EdgeBackend
from kb.storage.snapshot import VersionGate

DOC = "teleriscaldamento-valle"
QUERY = "teleriscaldamento cippato"


def _version(i: int) -> bytes:
    body = "\n\n".join(f"## Fase {k}\n\nLa centrale di teleriscaldamento a cippato della valle, versione {i}, "
                       f"fase {k}: caldaie, rete e utenze pubbliche collegate." for k in range(1 + i % 3 * 4))
    return f"# Teleriscaldamento a cippato (versione {i})\n\n{body}\n".encode()


@pytest.fixture
def index(tmp_path: Path) -> Iterator[tuple[EdgeBackend, IngestService, SearchEngine]]:
    embedder = HashingEmbedder()
    backend = EdgeBackend(tmp_path / "index", embedder.name)
    backend.ensure_collection(embedder.dimension)
    service = IngestService(backend, embedder, files_path=tmp_path / "files", max_tokens=60, overlap_tokens=10,
                            ocr_enabled=False, enrich=False)
    yield backend, service, SearchEngine(backend, embedder)
    backend.close()


def _replace(service: IngestService, tmp_path: Path, i: int) -> None:
    path = tmp_path / "centrale.md"
    outcome = service.ingest_bytes(path, _version(i), {"doc_id": DOC, "doc_type": "buona_pratica"})
    assert outcome.status == "indexed", outcome


def _assert_one_whole_version(page: Any) -> None:
    assert page.total == len(page.documents) == 1, (page.total, [d.doc_id for d in page.documents])
    versions = {p.payload["version"] for p in page.documents[0].passages}
    assert len(versions) == 1, versions


def test_a_replacement_landing_mid_search_waits_for_it(index: tuple[EdgeBackend, IngestService, SearchEngine],
                                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend, service, engine = index
    _replace(service, tmp_path, 0)
    real_query = backend.query
    writer = threading.Thread(target=_replace, args=(service, tmp_path, 1))

    calls = []

    def query_then_replace(*args: Any, **kwargs: Any) -> Any:
        hits = real_query(*args, **kwargs)
        calls.append(args[0])
        if len(calls) == 2:  # both lists retrieved, the page not fetched yet: the replacement
            writer.start()
            writer.join(2.0)  # done by now unless it waits for this search (before: it went through)
        return hits

    monkeypatch.setattr(backend, "query", query_then_replace)
    page = engine.search(SearchRequest(QUERY, limit=5))
    _assert_one_whole_version(page)  # before: total 1, results [] (the old chunks gone before the page fetch)
    writer.join(30)
    monkeypatch.undo()
    after = engine.search(SearchRequest(QUERY, limit=5))
    _assert_one_whole_version(after)
    assert "versione 1" in after.documents[0].payload["title"]


def test_searches_looping_against_replacements_always_see_one_version(
        index: tuple[EdgeBackend, IngestService, SearchEngine], tmp_path: Path) -> None:
    _, service, engine = index
    _replace(service, tmp_path, 0)
    stop, failures, searches = threading.Event(), [], [0]

    def search_loop() -> None:
        while not stop.is_set():
            try:
                _assert_one_whole_version(engine.search(SearchRequest(QUERY, limit=5)))
            except AssertionError as exc:
                failures.append(str(exc))
            searches[0] += 1

    readers = [threading.Thread(target=search_loop) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for i in range(1, 9):
            _replace(service, tmp_path, i)
    finally:
        stop.set()
        for reader in readers:
            reader.join(30)
    assert searches[0] > 8
    assert not failures, failures[:3]


def test_the_gate_lets_readers_share_and_a_writer_go_first() -> None:
    gate, order = VersionGate(), []
    with gate.reading():
        with gate.reading():  # re-entrant: a request running two searches
            pass
        writer = threading.Thread(target=lambda: gate.writing().__enter__() or order.append("write"))
        writer.start()
        writer.join(0.2)
        assert writer.is_alive(), "a writer waits for the reader inside"
        late = threading.Thread(target=lambda: gate.reading().__enter__() or order.append("late read"))
        late.start()
        late.join(0.2)
        assert late.is_alive(), "a new reader waits behind the waiting writer"
    writer.join(5)
    late.join(5)
    assert order == ["write", "late read"]  # the writer, though it came later than the first reader, went first
    with pytest.raises(RuntimeError), gate.reading(), gate.writing():
        pass
