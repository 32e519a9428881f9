"""KbDocumentStore against Haystack's own DocumentStore contract suite, on Edge and on the qdrant-client stand-in.

Plus what the suite does not cover: serialization, ingestion points seen as Documents, the filter cases the
qdrant-haystack converter gets wrong or refuses (NOT over several conditions, None, empty `in`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from haystack import Document
from haystack.dataclasses import SparseEmbedding
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.document_stores.types import DocumentStore, DuplicatePolicy
from haystack.errors import FilterError
from haystack.testing.document_store import DocumentStoreBaseTests

from kb.haystack.document_store import KbDocumentStore, document_point_id, haystack_filter_to_qdrant
from kb.storage.backends.base import ChunkPoint, SparseVec
from kb.storage.backends.edge import EdgeBackend
from kb.storage.backends.server import ServerBackend
from kb.storage.schema import SPARSE_VECTOR

DIM = 768  # the contract suite's filterable documents carry 768-dimensional embeddings


def _backend(kind: str, tmp_path: Path) -> EdgeBackend | ServerBackend:
    if kind == "edge":
        return EdgeBackend(tmp_path / "index", "test-model")
    return ServerBackend(":memory:", f"haystack_{tmp_path.name}")


@pytest.fixture(params=["edge", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KbDocumentStore]:
    backend = _backend(request.param, tmp_path)
    yield KbDocumentStore(backend, embedding_dim=DIM)
    backend.close()


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector]


class TestKbDocumentStoreContract(DocumentStoreBaseTests):
    @pytest.fixture
    def document_store(self, store: KbDocumentStore) -> DocumentStore:
        return store  # typed as the protocol, so mypy checks that KbDocumentStore implements it

    @staticmethod
    def assert_documents_are_equal(received: list[Document], expected: list[Document]) -> None:
        """Equal Documents, with two legitimate Qdrant differences.

        Order: Qdrant has no insertion order (scroll returns points by id), so compare by id.
        Embeddings: the dense vector uses Cosine distance, so Qdrant stores it unit-normalised in float32;
        compare the direction, to float32 precision. Everything else (id, content, meta, score) must be identical.
        """
        assert sorted(d.id for d in received) == sorted(d.id for d in expected)
        wanted = {d.id: d for d in expected}
        for got in received:
            want = wanted[got.id]
            assert replace(got, embedding=None) == replace(want, embedding=None)
            if want.embedding is None:
                assert got.embedding is None
            else:
                assert got.embedding == pytest.approx(_unit(want.embedding), abs=1e-6)

    def test_write_documents(self, document_store: DocumentStore) -> None:
        """Default policy (NONE) behaves as FAIL, like Haystack's in-memory store."""
        doc = Document(id="1", content="documento")
        assert document_store.write_documents([doc]) == 1
        with pytest.raises(DuplicateDocumentError):
            document_store.write_documents([doc])
        self.assert_documents_are_equal(document_store.filter_documents(), [doc])


# -- beyond the contract ---------------------------------------------------------------------------------------
def test_init_is_lazy_and_serialization_round_trips(tmp_path: Path) -> None:
    for backend in (_backend("edge", tmp_path), ServerBackend(":memory:", "kb_chunks", shard_number=2)):
        store = KbDocumentStore(backend, embedding_dim=8)
        assert not (tmp_path / "index").exists()  # nothing opened or created in __init__
        data = store.to_dict()
        again = KbDocumentStore.from_dict(data)
        assert again.to_dict() == data
        assert type(again.backend) is type(backend) and again.embedding_dim == 8
    assert KbDocumentStore.from_dict(data).backend.shard_number == 2  # type: ignore[attr-defined]


def test_ingestion_points_are_documents_with_their_point_id(store: KbDocumentStore) -> None:
    store.count_documents()  # opens the collection
    point_id = document_point_id("any")  # ingestion ids are UUIDs too
    store.backend.upsert([ChunkPoint(point_id, {"text": "Bando CER", "doc_id": "bando-cer"})])
    [doc] = store.filter_documents()
    assert doc.id == point_id and doc.content == "Bando CER" and doc.meta == {"doc_id": "bando-cer"}
    assert [d.id for d in store.filter_documents({"field": "id", "operator": "==", "value": point_id})] == [point_id]
    with pytest.raises(DuplicateDocumentError):
        store.write_documents([Document(id=point_id, content="altro")])
    assert store.write_documents([Document(id=point_id, content="nuovo")], DuplicatePolicy.OVERWRITE) == 1
    assert store.count_documents() == 1  # overwritten in place, not duplicated
    store.delete_documents([point_id])
    assert store.count_documents() == 0


def test_sparse_embedding_goes_to_the_bm25_vector(store: KbDocumentStore) -> None:
    sparse = SparseEmbedding(indices=[3, 7], values=[1.0, 2.0])
    store.write_documents([Document(content="comunità energetica", sparse_embedding=sparse)])
    [hit] = store.backend.query(SPARSE_VECTOR, SparseVec([7], [1.0]), None, 5)
    assert hit.payload["text"] == "comunità energetica"


def test_reserved_meta_keys_and_wrong_dimensions_are_refused_before_writing(store: KbDocumentStore) -> None:
    for doc in (Document(content="x", meta={"text": "y"}), Document(content="x", embedding=[1.0, 2.0])):
        with pytest.raises(ValueError):
            store.write_documents([Document(content="ok"), doc])
    assert store.count_documents() == 0


def test_filters_the_converter_alone_gets_wrong(store: KbDocumentStore) -> None:
    docs = [Document(content="a", meta={"n": 1, "tag": "x"}), Document(content="b", meta={"n": 2, "tag": "x"}),
            Document(content="c", meta={"tag": "y"}), Document(content="d", meta={"n": None})]
    store.write_documents(docs)

    def contents(filters: dict) -> list[str]:
        return sorted(d.content or "" for d in store.filter_documents(filters))

    assert contents({"field": "meta.n", "operator": "in", "value": []}) == []
    assert contents({"field": "meta.n", "operator": "in", "value": [1, None]}) == ["a", "c", "d"]
    assert contents({"field": "meta.n", "operator": "not in", "value": [2, None]}) == ["a"]
    assert contents({"field": "content", "operator": "==", "value": "b"}) == ["b"]
    not_both = {"operator": "NOT", "conditions": [{"field": "meta.n", "operator": "==", "value": 1},
                                                  {"field": "meta.tag", "operator": "==", "value": "y"}]}
    assert contents(not_both) == ["a", "b", "c", "d"]


@pytest.mark.parametrize("filters", [
    {"field": "embedding", "operator": "==", "value": 1},
    {"field": "meta.n", "operator": "==", "value": 1.5},
    {"field": "meta.n", "operator": "==", "value": [1]},
    "meta.n == 1",
])
def test_unsupported_filters_raise_filter_error(filters: object) -> None:
    with pytest.raises(FilterError):
        haystack_filter_to_qdrant(filters)  # type: ignore[arg-type]


def test_boolean_filters_match_on_the_server_and_are_refused_on_edge(store: KbDocumentStore) -> None:
    store.write_documents([Document(content="a", meta={"flag": True}), Document(content="b", meta={"flag": 1})])
    flt = {"field": "meta.flag", "operator": "==", "value": True}
    if isinstance(store.backend, EdgeBackend):
        # qdrant-edge-py 0.9 reads True as the integer 1 (it would match "b"): edge_filters refuses instead
        with pytest.raises(FilterError, match="booleani"):
            store.filter_documents(flt)
    else:
        assert [d.content for d in store.filter_documents(flt)] == ["a"]
