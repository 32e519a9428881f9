"""The index records its dense model; another model is refused with a message that names both and the fix;
`kb reembed` moves an index to the configured model from its stored texts, resumably, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest.components.italian_chunker import index_text
from ingest.reembed import reembed
from ingest.service import IngestService
from kb.models.embedders import HashingEmbedder
from kb.storage.backends.edge import EdgeBackend
from kb.storage.backends.server import ServerBackend
from kb.storage.model_record import ModelMismatchError

FIXTURE_DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"


class OtherModel(HashingEmbedder):
    """Another model of the same size: same dimension, other vectors (words reversed), other name."""

    def __init__(self, name: str = "other-model", fail_after_batches: int | None = None) -> None:
        super().__init__(dimension=32)
        self.name, self.fail_after, self.batches = name, fail_after_batches, 0

    def embed_passages(self, texts: list[str]) -> list[list[float]]:
        if self.fail_after is not None and self.batches >= self.fail_after:
            raise KeyboardInterrupt("interrotto")
        self.batches += 1
        return [self._vector(" ".join(w[::-1] for w in t.split())) for t in texts]


def _open(kind: str, tmp_path: Path, model: str, client: Any = None) -> EdgeBackend | ServerBackend:
    if kind == "edge":
        return EdgeBackend(tmp_path / "index", model)
    return ServerBackend(":memory:", "kb_test", client=client, model_name=model)


@pytest.fixture(params=["edge", "server"])
def built(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path, Any]:
    """An index of the five fixture documents built with `hashing-32`; the server's client is kept to reopen it."""
    backend = _open(request.param, tmp_path, "hashing-32")
    backend.ensure_collection(32)
    report = IngestService(backend, HashingEmbedder(32), files_path=tmp_path / "files").ingest_paths([FIXTURE_DOCS])
    assert report.ok
    client = backend.client if isinstance(backend, ServerBackend) else None
    _release(backend)
    return request.param, tmp_path, client


def _release(backend: EdgeBackend | ServerBackend) -> None:
    """Let another opener in: the Edge shard is one process's at a time; the in-memory server lives in its client."""
    if isinstance(backend, EdgeBackend):
        backend.close()


def test_index_records_its_model_and_refuses_another(built: tuple[str, Path, Any]) -> None:
    kind, tmp_path, client = built
    same = _open(kind, tmp_path, "hashing-32", client)
    same.ensure_collection(32)
    assert same.model_record()["model"] == "hashing-32" and same.model_record()["dense_dim"] == 32
    _release(same)
    other = _open(kind, tmp_path, "multilingual-e5-small", client)
    with pytest.raises(ModelMismatchError) as refused:
        other.ensure_collection(32)  # same size: only the record tells the vectors apart
    message = str(refused.value)
    assert "'hashing-32'" in message and "'multilingual-e5-small'" in message and "kb reembed" in message


def test_reembed_resumes_after_an_interruption(built: tuple[str, Path, Any]) -> None:
    kind, tmp_path, client = built
    backend = _open(kind, tmp_path, "", client)  # maintenance: any model
    backend.ensure_collection(None)
    total = backend.count()
    assert total > 6
    with pytest.raises(KeyboardInterrupt):
        reembed(backend, OtherModel(fail_after_batches=2), batch_size=3)
    assert backend.model_record()["reembed"]["done"] == 6
    for model in ("hashing-32", "other-model"):  # half re-embedded: refused to both models
        with pytest.raises(ModelMismatchError, match="kb reembed"):
            _open(kind, tmp_path, model, client).ensure_collection(None)
    seen: list[tuple[int, int]] = []
    report = reembed(backend, OtherModel(), batch_size=3, progress=lambda done, n: seen.append((done, n)))
    assert report.resumed and report.chunks == total - 6 and report.source == "hashing-32"
    assert seen[0] == (6, total) and seen[-1] == (total, total)
    assert backend.model_record() == {"model": "other-model", "dense_dim": 32}
    hits, _ = backend.scroll(None, limit=1000, with_dense=True)
    expected = OtherModel().embed_passages([index_text(str(h.payload["title"]), h.payload.get("section"),
                                                       str(h.payload["text"])) for h in hits])
    np.testing.assert_allclose([h.dense for h in hits], expected, atol=1e-6)
    assert all(h.payload.get("text") for h in hits)  # payload untouched
    again = reembed(backend, OtherModel(), batch_size=3)
    assert again.up_to_date and again.chunks == 0
    _release(backend)
    reopened = _open(kind, tmp_path, "other-model", client)
    reopened.ensure_collection(32)
    assert reopened.count() == total
    _release(reopened)


def test_reembed_refuses_another_dimension(built: tuple[str, Path, Any]) -> None:
    kind, tmp_path, client = built
    backend = _open(kind, tmp_path, "", client)
    backend.ensure_collection(None)
    with pytest.raises(ModelMismatchError, match="64 dimensioni"):
        reembed(backend, HashingEmbedder(dimension=64))
    assert "reembed" not in backend.model_record()  # nothing started
