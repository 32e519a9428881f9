"""Apps for the security tests: the real service over a small Edge index of the fixture documents, embedded with the
hashing embedder (keys, limits, headers and CORS do not depend on the model, and this keeps the suite fast)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ingest.service import IngestService
from kb.models.embedders import HashingEmbedder
from kb.settings import Settings
from kb.storage.backends.edge import EdgeBackend
from search_api.app import create_app
from tests.search_api.api_fixture import API_KEY, LOCAL_URL, SEARCH_DOCS, TODAY

READ_KEY = "chiave-di-lettura-5678"
PORTAL = "https://portale.example.it"
MakeClient = Callable[..., TestClient]


@pytest.fixture(scope="session")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five search fixtures indexed once with the hashing embedder, closed; apps open copies."""
    root = tmp_path_factory.mktemp("security-index")
    embedder = HashingEmbedder()
    backend = EdgeBackend(root / "index", embedder.name)
    backend.ensure_collection(embedder.dimension)
    report = IngestService(backend, embedder, files_path=root / "files", ocr_enabled=False).ingest_paths([SEARCH_DOCS])
    backend.close()
    assert report.ok and report.summary()["indexed"] == 5, report.outcomes
    return root


def _open(small_index: Path, target: Path, client_address: str = "testclient", **overrides: Any) -> TestClient:
    """A started app over a private copy of the small index (write key API_KEY, rate limits off unless asked)."""
    shutil.copytree(small_index / "index", target / "index")
    shutil.copytree(small_index / "files", target / "files")
    embedder = HashingEmbedder()
    options: dict[str, Any] = {"api_key": API_KEY, "rate_limit_enabled": False, "ocr_enabled": False, **overrides}
    settings = Settings(index_path=target / "index", files_path=target / "files", uploads_path=target / "uploads",
                        model=embedder.name, **options)
    client = TestClient(create_app(settings, embedder=embedder, clock=lambda: TODAY), client=(client_address, 50000),
                        base_url=LOCAL_URL)
    client.__enter__()
    return client


@pytest.fixture
def make_client(small_index: Path, tmp_path: Path) -> Iterator[MakeClient]:
    """`make_client(**settings)`: a started app of its own, for tests that change settings or write."""
    opened: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        opened.append(_open(small_index, tmp_path / f"app-{len(opened)}", **overrides))
        return opened[-1]

    yield make
    for client in opened:
        client.__exit__(None, None, None)
    # an opened Edge shard preallocates ~300 MB of segment files: never leave one behind per test
    for target in tmp_path.glob("app-*"):
        shutil.rmtree(target, ignore_errors=True)


@pytest.fixture(scope="session")
def client(small_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """Read-only, shared: default settings (no read key, no rate limits), CORS open to one portal."""
    target = tmp_path_factory.mktemp("security-app")
    app = _open(small_index, target, cors_origins=[PORTAL])
    yield app
    app.__exit__(None, None, None)
    shutil.rmtree(target, ignore_errors=True)
