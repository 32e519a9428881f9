"""The index records its dense model and analyzer version; another model, or an older analyzer (none recorded: 1),
is refused with a message that names the fix; `kb reembed` moves an index to the configured model and to today's
analyzer from its stored texts, resumably, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest.components.italian_chunker import index_text
from ingest.reembed import reembed
from ingest.service import IngestService
from kb.models.embedders import HashingEmbedder
from kb.storage.backends.base import SparseVec
from kb.storage.backends.edge import EdgeBackend
from kb.storage.backends.server import ServerBackend
from kb.storage.model_record import ANALYZER_KEY, ModelMismatchError
from kb.storage.schema import SPARSE_VECTOR
from kb.text.analysis import ANALYZER_VERSION, Bm25SparseEncoder

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
    assert same.model_record() == {"model": "hashing-32", "dense_dim": 32, "analyzer": ANALYZER_VERSION}
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
    assert report.dense and not report.sparse  # today's analyzer: the sparse vectors were right already
    assert backend.model_record() == {"model": "other-model", "dense_dim": 32, "analyzer": ANALYZER_VERSION}
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


class NoModel(HashingEmbedder):
    """The configured model, which a sparse-only reembed must not load nor run."""

    def warm_up(self) -> None:
        raise AssertionError("the dense model is not needed")

    def embed_passages(self, texts: list[str]) -> list[list[float]]:
        raise AssertionError("the dense vectors are not recomputed")


class StoppingEncoder(Bm25SparseEncoder):
    def __init__(self, fail_after_texts: int) -> None:
        super().__init__()
        self.left = fail_after_texts

    def encode_document(self, text: str) -> tuple[list[int], list[float]]:
        if self.left == 0:
            raise KeyboardInterrupt("interrotto")
        self.left -= 1
        return super().encode_document(text)


def _as_old_analyzer(kind: str, tmp_path: Path, client: Any) -> EdgeBackend | ServerBackend:
    """The built index as an older version left it: no analyzer in its record, sparse vectors of other terms (as
    "20.000" was one term before, not "20000"). Opened for maintenance."""
    backend = _open(kind, tmp_path, "", client)
    backend.ensure_collection(None)
    backend.save_model_record({k: v for k, v in backend.model_record().items() if k != ANALYZER_KEY})
    hits, _ = backend.scroll(None, limit=1000)
    old = Bm25SparseEncoder()
    backend.set_vectors(sparse={h.id: SparseVec(*old.encode_document(str(h.payload["text"]).replace("0", "o")))
                                for h in hits})
    return backend


def _lexical(backend: EdgeBackend | ServerBackend, query: str) -> set[str]:
    return {str(h.payload["doc_id"]) for h in backend.query(SPARSE_VECTOR, SparseVec(*Bm25SparseEncoder()
                                                                                      .encode_query(query)), None, 3)}


def test_an_index_of_an_older_analyzer_is_refused_then_its_sparse_vectors_recomputed(
        built: tuple[str, Path, Any]) -> None:
    kind, tmp_path, client = built
    backend = _as_old_analyzer(kind, tmp_path, client)
    assert "bando-ciclabili" not in _lexical(backend, "20000")
    dense_before = {h.id: h.dense for h in backend.scroll(None, limit=1000, with_dense=True)[0]}
    assert all(dense_before.values()), "setting sparse vectors keeps the dense ones"
    _release(backend)
    with pytest.raises(ModelMismatchError, match="analizzatore") as refused:
        _open(kind, tmp_path, "hashing-32", client).ensure_collection(None)
    assert "versione 1" in str(refused.value) and "kb reembed" in str(refused.value)

    backend = _open(kind, tmp_path, "", client)
    backend.ensure_collection(None)
    report = reembed(backend, NoModel(32), batch_size=4)  # same model: dense vectors kept, no model loaded
    assert report.sparse and not report.dense and report.chunks == backend.count() and not report.up_to_date
    assert backend.model_record() == {"model": "hashing-32", "dense_dim": 32, "analyzer": ANALYZER_VERSION}
    assert "bando-ciclabili" in _lexical(backend, "20000")
    assert {h.id: h.dense for h in backend.scroll(None, limit=1000, with_dense=True)[0]} == dense_before
    assert reembed(backend, NoModel(32)).up_to_date
    _release(backend)
    reopened = _open(kind, tmp_path, "hashing-32", client)
    reopened.ensure_collection(32)
    assert "dlgs-199" in _lexical(reopened, "dlgs 199")
    _release(reopened)


def test_a_sparse_reembed_resumes_and_both_kinds_move_together(built: tuple[str, Path, Any]) -> None:
    kind, tmp_path, client = built
    backend = _as_old_analyzer(kind, tmp_path, client)
    total = backend.count()
    with pytest.raises(KeyboardInterrupt):
        reembed(backend, NoModel(32), batch_size=3, encoder=StoppingEncoder(fail_after_texts=7))
    state = backend.model_record()["reembed"]
    assert state["done"] == 6 and state["sparse"] and not state["dense"]
    with pytest.raises(ModelMismatchError, match="kb reembed"):
        _open(kind, tmp_path, "hashing-32", client).ensure_collection(None)
    report = reembed(backend, NoModel(32), batch_size=3)
    assert report.resumed and report.sparse and report.chunks == total - 6
    assert "bando-ciclabili" in _lexical(backend, "20000")

    backend.save_model_record({k: v for k, v in backend.model_record().items() if k != ANALYZER_KEY})
    both = reembed(backend, OtherModel(), batch_size=5)  # another model and an older analyzer: one pass
    assert both.dense and both.sparse and both.chunks == total
    assert backend.model_record() == {"model": "other-model", "dense_dim": 32, "analyzer": ANALYZER_VERSION}
    _release(backend)
