"""Shared fixtures: real backends on temp dirs, a fake embedder for plumbing, the real model once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from kb.index.backends.edge import EdgeBackend
from kb.index.backends.server import ServerBackend
from kb.index.embedders import HashingEmbedder, SentenceTransformerEmbedder

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder(dimension=32)


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    embedder = SentenceTransformerEmbedder()
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
