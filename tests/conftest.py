"""Shared fixtures: real backends on temp dirs, a fake embedder for plumbing, the real model once per session.

`real_embedder` is the encoder the product ships (`KB_ENCODER`, default auto: ONNX Runtime int8 on the CPU), so the
retrieval tests check what users get; `torch_embedder` is the sentence-transformers fp32 model, the reference the
ONNX encoder is compared with. `KB_ENCODER=torch pytest` runs the suite on torch.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# One ONNX cache for the whole suite and for the `kb` processes it starts (they run in temporary folders, where the
# default relative `data/models` would export the model again each time): the repository's, git-ignored `data/`.
os.environ.setdefault("KB_ONNX_CACHE", str(Path(__file__).resolve().parents[1] / "data" / "models"))

from ingest.service import IngestService
from kb.models.base import DenseEmbedder
from kb.models.embedders import HashingEmbedder, SentenceTransformerEmbedder
from kb.models.factory import embedder_from_settings
from kb.search import SearchEngine, engine_from_settings
from kb.settings import Settings
from kb.storage.backends.edge import EdgeBackend
from kb.storage.backends.server import ServerBackend

REPO = Path(__file__).resolve().parents[1]
FIXTURE_DOCS = REPO / "tests" / "fixtures" / "docs"


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder(dimension=32)


@pytest.fixture(scope="session")
def torch_embedder() -> SentenceTransformerEmbedder:
    embedder = SentenceTransformerEmbedder()
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="session")
def real_embedder() -> DenseEmbedder:
    """The default model through the default encoder, as `kb` and the API build it (a local `.env` is not read)."""
    embedder = embedder_from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    embedder.warm_up()
    return embedder


def make_backend(kind: str, tmp_path: Path, dim: int) -> EdgeBackend | ServerBackend:
    backend: EdgeBackend | ServerBackend
    if kind == "edge":
        backend = EdgeBackend(tmp_path / "index", "test-model")
    else:
        backend = ServerBackend(":memory:", f"test_{tmp_path.name}")
    backend.ensure_collection(dim)
    return backend


@pytest.fixture(params=["edge", "server"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EdgeBackend | ServerBackend]:
    b = make_backend(request.param, tmp_path, 32)
    yield b
    b.close()


@pytest.fixture
def edge_backend(tmp_path: Path) -> Iterator[EdgeBackend]:
    b = EdgeBackend(tmp_path / "index", "test-model")
    b.ensure_collection(32)
    yield b
    b.close()


@pytest.fixture(scope="session")
def fixture_index(tmp_path_factory: pytest.TempPathFactory,
                  real_embedder: DenseEmbedder) -> Iterator[tuple[EdgeBackend, Path]]:
    root = tmp_path_factory.mktemp("search")
    backend = EdgeBackend(root / "index", real_embedder.name)
    backend.ensure_collection(real_embedder.dimension)
    report = IngestService(backend, real_embedder, files_path=root / "files").ingest_paths([FIXTURE_DOCS])
    assert report.ok and report.summary()["indexed"] == 5, report.outcomes
    yield backend, root
    backend.close()


@pytest.fixture(scope="session")
def engine(fixture_index: tuple[EdgeBackend, Path], real_embedder: DenseEmbedder) -> SearchEngine:
    """The retrieval core as the settings build it (synonyms, weights, depth), over the five fixture documents."""
    return engine_from_settings(Settings(_env_file=None), fixture_index[0], real_embedder)  # type: ignore[call-arg]
