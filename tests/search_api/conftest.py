"""A real Edge index of the fixture corpus built with the real model, once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.service import IngestService
from kb.index.backends.edge import EdgeBackend
from kb.index.embedders import SentenceTransformerEmbedder
from search_api.searcher import Searcher

FIXTURE_DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"


@pytest.fixture(scope="session")
def fixture_index(tmp_path_factory: pytest.TempPathFactory,
                  real_embedder: SentenceTransformerEmbedder) -> Iterator[tuple[EdgeBackend, Path]]:
    root = tmp_path_factory.mktemp("search")
    backend = EdgeBackend(root / "index", real_embedder.name)
    backend.ensure_collection(real_embedder.dimension)
    report = IngestService(backend, real_embedder, files_path=root / "files").ingest_paths([FIXTURE_DOCS])
    assert report.ok and report.summary()["indexed"] == 5, report.outcomes
    yield backend, root
    backend.close()


@pytest.fixture(scope="session")
def searcher(fixture_index: tuple[EdgeBackend, Path], real_embedder: SentenceTransformerEmbedder) -> Searcher:
    return Searcher(fixture_index[0], real_embedder)
