"""Real Edge indexes of fixture corpora built with the real model, once per test session, and the API over them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.service import IngestService
from kb.models.base import DenseEmbedder
from kb.settings import Settings
from kb.storage.backends.edge import EdgeBackend
from search_api.app import create_app
from tests.search_api.api_fixture import API_KEY, LOCAL_URL, TODAY, write_corpus


@pytest.fixture(scope="session")
def api_pristine(tmp_path_factory: pytest.TempPathFactory, real_embedder: DenseEmbedder) -> Path:
    """The API corpus indexed once, closed; tests open copies of it."""
    root = tmp_path_factory.mktemp("api-pristine")
    corpus = write_corpus(root / "corpus")
    backend = EdgeBackend(root / "index", real_embedder.name)
    backend.ensure_collection(real_embedder.dimension)
    report = IngestService(backend, real_embedder, files_path=root / "files").ingest_paths([corpus])
    backend.close()
    assert report.ok and report.summary()["indexed"] == 12, report.outcomes
    return root


def _client(pristine: Path, target: Path, embedder: DenseEmbedder, **extra: object) -> TestClient:
    shutil.copytree(pristine / "index", target / "index")
    shutil.copytree(pristine / "files", target / "files")
    # rate limits are tested on their own (tests/security); here they would only make the suite order-dependent
    settings = Settings(index_path=target / "index", files_path=target / "files", uploads_path=target / "uploads",
                        api_key=API_KEY, model=embedder.name, rate_limit_enabled=False, **extra)  # type: ignore[arg-type]
    return TestClient(create_app(settings, embedder=embedder, clock=lambda: TODAY), base_url=LOCAL_URL)


@pytest.fixture(scope="session")
def api(api_pristine: Path, tmp_path_factory: pytest.TempPathFactory,
        real_embedder: DenseEmbedder) -> Iterator[TestClient]:
    """Read-only API over the fixture corpus (tests must not write through it)."""
    with _client(api_pristine, tmp_path_factory.mktemp("api"), real_embedder,
                 cors_origins=["https://portale.example.it"]) as client:
        yield client


@pytest.fixture
def writable_api(api_pristine: Path, tmp_path: Path, real_embedder: DenseEmbedder
                 ) -> Iterator[TestClient]:
    """An API over a private copy of the fixture index, for uploads and deletions."""
    with _client(api_pristine, tmp_path, real_embedder) as client:
        yield client
    shutil.rmtree(tmp_path / "index", ignore_errors=True)  # an opened Edge shard preallocates ~300 MB
