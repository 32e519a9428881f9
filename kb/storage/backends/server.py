"""Qdrant server backend through qdrant-client (a server, a cluster, or `:memory:` standing in for one in tests).

Every call goes through a retry policy (`kb/storage/retry.py`): transient errors (connection, timeout, 502/503/504)
are retried with back-off, briefly for reads, longer for writes; when they persist the caller gets an
`IndexUnavailableError` (the API answers 503). Writes are idempotent (point ids are derived from content), so a
retried upsert or delete never duplicates anything. The backend keeps no state of its own beyond the client: any
number of API processes can share one collection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from typing import Any, TypeVar

from qdrant_client import QdrantClient, models

from kb.storage.backends.base import (
    ChunkPoint,
    Hit,
    IndexMissingError,
    IndexUnavailableError,
    SparseVec,
    record_hit,
    vectors_by_point,
)
from kb.storage.model_record import ANALYZER_KEY, DIMENSION_KEY, MODEL_KEY, REEMBED_KEY, check_model, new_record
from kb.storage.retry import READ_RETRY, WRITE_RETRY, RetryPolicy, is_transient
from kb.storage.schema import DENSE_VECTOR, PAYLOAD_INDEXES, SPARSE_VECTOR
from kb.storage.snapshot import VersionGate

T = TypeVar("T")

_SERVER_INDEX_TYPES = {
    "keyword": models.PayloadSchemaType.KEYWORD,
    "integer": models.PayloadSchemaType.INTEGER,
    "float": models.PayloadSchemaType.FLOAT,
    "bool": models.PayloadSchemaType.BOOL,
    "datetime": models.PayloadSchemaType.DATETIME,
}


_META_PREFIX = "kb_"  # the collection metadata this product owns


class ServerBackend:
    def __init__(self, url: str, collection: str, api_key: str | None = None, shard_number: int = 1,
                 replication_factor: int = 1, timeout: int = 30, *, client: Any = None, model_name: str = "",
                 read_retry: RetryPolicy = READ_RETRY, write_retry: RetryPolicy = WRITE_RETRY) -> None:
        self.url, self.collection, self.model_name = url, collection, model_name
        self.shard_number, self.replication_factor = shard_number, replication_factor
        self._api_key, self._timeout = api_key, timeout
        self._client: Any = client  # a QdrantClient, or a test double with the same methods
        self._read_retry, self._write_retry = read_retry, write_retry
        self._lock = threading.RLock()
        self._gate = VersionGate()

    @property
    def client(self) -> QdrantClient:
        if self._client is None:
            if self.url == ":memory:":
                self._client = QdrantClient(location=":memory:")
            else:
                self._client = QdrantClient(url=self.url, api_key=self._api_key, timeout=self._timeout)
        return self._client

    def _call(self, policy: RetryPolicy, what: str, fn: Callable[[], T]) -> T:
        """`fn` under `policy`; transient errors that outlast it become IndexUnavailableError (HTTP 503)."""
        try:
            return policy.call(fn, what)
        except Exception as exc:
            if is_transient(exc):
                raise IndexUnavailableError(
                    f"Server Qdrant non raggiungibile a {self.url} ({what}, {policy.attempts} tentativi): "
                    f"{type(exc).__name__}") from exc
            raise

    def _read(self, what: str, fn: Callable[[], T]) -> T:
        return self._call(self._read_retry, what, fn)

    def _write(self, what: str, fn: Callable[[], T]) -> T:
        return self._call(self._write_retry, what, fn)

    def ensure_collection(self, dense_dim: int | None) -> None:
        try:
            if self._write("collection_exists", lambda: self.client.collection_exists(self.collection)):
                check_model(self.model_record(), self.model_name, f"{self.url} ({self.collection})")
                self._check_dimension(dense_dim)
                return
            if dense_dim is None:
                raise IndexMissingError(f"La collezione {self.collection} non esiste: eseguire prima `kb ingest`.")
            self._create(dense_dim)
        except IndexUnavailableError:
            raise
        except Exception as exc:
            raise IndexUnavailableError(f"Server Qdrant non raggiungibile a {self.url}: {exc}") from exc

    def _create(self, dense_dim: int) -> None:
        """Create the collection with the configured shards and replicas, then its payload indexes."""
        try:
            self._write("create_collection", lambda: self.client.create_collection(
                self.collection,
                vectors_config={DENSE_VECTOR: models.VectorParams(size=dense_dim, distance=models.Distance.COSINE)},
                sparse_vectors_config={SPARSE_VECTOR: models.SparseVectorParams(modifier=models.Modifier.IDF)},
                shard_number=self.shard_number,
                replication_factor=self.replication_factor,
                metadata={_META_PREFIX + k: v for k, v in new_record(self.model_name, dense_dim).items()},
            ))
        except IndexUnavailableError:
            raise
        except Exception:
            # already there (409): another API replica starting at the same time created it, or our own attempt
            # did and its answer was lost; either way carry on with that collection
            if not self.client.collection_exists(self.collection):
                raise
            self._check_dimension(dense_dim)
        if self.url == ":memory:":  # local mode has no payload indexes
            return
        for name, kind in PAYLOAD_INDEXES:  # creating an existing index is a no-op, so this is safe to repeat
            create = partial(self.client.create_payload_index, self.collection, name, _SERVER_INDEX_TYPES[kind])
            self._write("create_payload_index", create)

    def model_record(self) -> dict[str, Any]:
        """The collection's metadata under `kb_` keys (see kb.storage.model_record); {} for older collections."""
        info = self._read("get_collection", lambda: self.client.get_collection(self.collection))
        metadata = info.config.metadata or {}
        return {k.removeprefix(_META_PREFIX): v for k, v in metadata.items() if k.startswith(_META_PREFIX)}

    def save_model_record(self, record: dict[str, Any]) -> None:
        keys = {MODEL_KEY, DIMENSION_KEY, ANALYZER_KEY, REEMBED_KEY} | set(record)
        metadata = {_META_PREFIX + k: record.get(k) for k in keys}  # None removes a key (a finished reembed)
        self._write("update_collection", lambda: self.client.update_collection(self.collection, metadata=metadata))

    def set_vectors(self, dense: dict[str, list[float]] | None = None,
                    sparse: dict[str, SparseVec] | None = None) -> None:
        """Replace the given vectors of existing points; the payload and the vectors not given stay as they are."""
        named = vectors_by_point(dense, sparse)
        if named:
            points = [models.PointVectors(id=i, vector={
                k: models.SparseVector(indices=v.indices, values=v.values) if isinstance(v, SparseVec) else v
                for k, v in vectors.items()}) for i, vectors in named.items()]
            self._write("update_vectors", lambda: self.client.update_vectors(self.collection, points=points))

    def collection_shards(self) -> int:
        """Shards of the existing collection (the configured number applies only when creating it)."""
        info = self._read("get_collection", lambda: self.client.get_collection(self.collection))
        return int(info.config.params.shard_number or 1)

    def _check_dimension(self, dense_dim: int | None) -> None:
        info = self._read("get_collection", lambda: self.client.get_collection(self.collection))
        vectors = info.config.params.vectors
        size = vectors[DENSE_VECTOR].size if isinstance(vectors, dict) else None
        if dense_dim is not None and size != dense_dim:
            raise IndexUnavailableError(
                f"La collezione {self.collection} ha vettori di {size} dimensioni, il modello ne produce "
                f"{dense_dim}: usare un'altra collezione (KB_COLLECTION) e reindicizzare."
            )

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._gate.writing(), self._lock:
            yield

    def reading(self) -> AbstractContextManager[None]:
        return self._gate.reading()

    def flush(self) -> None:
        return None

    def optimize(self) -> None:
        return None  # the server optimizes in the background

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def upsert(self, points: list[ChunkPoint]) -> None:
        if not points:
            return
        structs = [models.PointStruct(id=p.id, vector=_server_vectors(p), payload=p.payload) for p in points]
        self._write("upsert", lambda: self.client.upsert(self.collection, structs, wait=True))

    def delete_ids(self, ids: list[str]) -> None:
        if ids:
            selector = models.PointIdsList(points=list(ids))
            self._write("delete", lambda: self.client.delete(self.collection, selector, wait=True))

    def delete_where(self, flt: models.Filter) -> None:
        selector = models.FilterSelector(filter=flt)
        self._write("delete", lambda: self.client.delete(self.collection, selector, wait=True))

    def query(self, using: str, vector: list[float] | SparseVec, flt: models.Filter | None,
              limit: int, with_payload: bool | list[str] = True, *, exact: bool = False) -> list[Hit]:
        """`exact`: a full scan instead of the HNSW graph (checks such as `kb migrate`); local mode always scans."""
        if isinstance(vector, SparseVec):
            if not vector.indices:
                return []
            query: Any = models.SparseVector(indices=vector.indices, values=vector.values)
        else:
            query = list(vector)
        params = models.SearchParams(exact=True) if exact and self.url != ":memory:" else None
        response = self._read("query", lambda: self.client.query_points(
            self.collection, query=query, using=using, query_filter=flt, limit=limit, with_payload=with_payload,
            search_params=params))
        return [Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in response.points]

    def retrieve(self, ids: list[str], with_dense: bool = False, with_payload: bool = True) -> list[Hit]:
        if not ids:
            return []
        records = self._read("retrieve", lambda: self.client.retrieve(
            self.collection, list(ids), with_payload=with_payload,
            with_vectors=[DENSE_VECTOR] if with_dense else False))
        return [record_hit(r, with_dense) for r in records]

    def scroll(self, flt: models.Filter | None, limit: int, offset: str | None = None,
               with_dense: bool = False) -> tuple[list[Hit], str | None]:
        records, next_offset = self._read("scroll", lambda: self.client.scroll(
            self.collection, scroll_filter=flt, limit=limit, offset=offset, with_payload=True,
            with_vectors=[DENSE_VECTOR] if with_dense else False))
        return [record_hit(r, with_dense) for r in records], (str(next_offset) if next_offset else None)

    def count(self, flt: models.Filter | None = None) -> int:
        return int(self._read("count", lambda: self.client.count(self.collection, count_filter=flt, exact=True)).count)

    def facet(self, key: str, flt: models.Filter | None, limit: int) -> list[tuple[Any, int]]:
        response = self._read("facet", lambda: self.client.facet(self.collection, key, facet_filter=flt, limit=limit,
                                                                  exact=True))
        return [(h.value, int(h.count)) for h in response.hits]


def _server_vectors(point: ChunkPoint) -> dict[str, Any]:
    vectors: dict[str, Any] = {}
    if point.dense is not None:
        vectors[DENSE_VECTOR] = list(point.dense)
    if point.sparse is not None:
        vectors[SPARSE_VECTOR] = models.SparseVector(indices=point.sparse.indices, values=point.sparse.values)
    return vectors
