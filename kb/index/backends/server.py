"""Qdrant server backend through qdrant-client (a server, a cluster, or `:memory:` standing in for one in tests)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from qdrant_client import QdrantClient, models

from kb.index.backends.base import ChunkPoint, Hit, IndexUnavailableError, SparseVec, record_hit
from kb.index.schema import DENSE_VECTOR, PAYLOAD_INDEXES, SPARSE_VECTOR

_SERVER_INDEX_TYPES = {
    "keyword": models.PayloadSchemaType.KEYWORD,
    "integer": models.PayloadSchemaType.INTEGER,
    "float": models.PayloadSchemaType.FLOAT,
    "bool": models.PayloadSchemaType.BOOL,
    "datetime": models.PayloadSchemaType.DATETIME,
}


class ServerBackend:
    def __init__(self, url: str, collection: str, api_key: str | None = None, shard_number: int = 1,
                 replication_factor: int = 1, timeout: int = 30) -> None:
        self.url, self.collection = url, collection
        self.shard_number, self.replication_factor = shard_number, replication_factor
        self._api_key, self._timeout = api_key, timeout
        self._client: QdrantClient | None = None
        self._lock = threading.RLock()

    @property
    def client(self) -> QdrantClient:
        if self._client is None:
            if self.url == ":memory:":
                self._client = QdrantClient(location=":memory:")
            else:
                self._client = QdrantClient(url=self.url, api_key=self._api_key, timeout=self._timeout)
        return self._client

    def ensure_collection(self, dense_dim: int | None) -> None:
        try:
            if self.client.collection_exists(self.collection):
                info = self.client.get_collection(self.collection)
                vectors = info.config.params.vectors
                size = vectors[DENSE_VECTOR].size if isinstance(vectors, dict) else None
                if dense_dim is not None and size != dense_dim:
                    raise IndexUnavailableError(
                        f"La collezione {self.collection} ha vettori di {size} dimensioni, il modello ne produce "
                        f"{dense_dim}: usare un'altra collezione (KB_COLLECTION) e reindicizzare."
                    )
                return
            if dense_dim is None:
                raise IndexUnavailableError(f"La collezione {self.collection} non esiste: eseguire prima `kb ingest`.")
            self.client.create_collection(
                self.collection,
                vectors_config={DENSE_VECTOR: models.VectorParams(size=dense_dim, distance=models.Distance.COSINE)},
                sparse_vectors_config={SPARSE_VECTOR: models.SparseVectorParams(modifier=models.Modifier.IDF)},
                shard_number=self.shard_number,
                replication_factor=self.replication_factor,
            )
            for name, kind in PAYLOAD_INDEXES if self.url != ":memory:" else ():  # local mode has no indexes
                self.client.create_payload_index(self.collection, name, _SERVER_INDEX_TYPES[kind])
        except IndexUnavailableError:
            raise
        except Exception as exc:
            raise IndexUnavailableError(f"Server Qdrant non raggiungibile a {self.url}: {exc}") from exc

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._lock:
            yield

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
        self.client.upsert(self.collection, structs, wait=True)

    def delete_ids(self, ids: list[str]) -> None:
        if ids:
            self.client.delete(self.collection, models.PointIdsList(points=list(ids)), wait=True)

    def delete_where(self, flt: models.Filter) -> None:
        self.client.delete(self.collection, models.FilterSelector(filter=flt), wait=True)

    def query(self, using: str, vector: list[float] | SparseVec, flt: models.Filter | None,
              limit: int, with_payload: bool | list[str] = True) -> list[Hit]:
        if isinstance(vector, SparseVec):
            if not vector.indices:
                return []
            query: Any = models.SparseVector(indices=vector.indices, values=vector.values)
        else:
            query = list(vector)
        response = self.client.query_points(self.collection, query=query, using=using, query_filter=flt,
                                            limit=limit, with_payload=with_payload)
        return [Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in response.points]

    def retrieve(self, ids: list[str], with_dense: bool = False) -> list[Hit]:
        if not ids:
            return []
        records = self.client.retrieve(self.collection, list(ids), with_payload=True,
                                       with_vectors=[DENSE_VECTOR] if with_dense else False)
        return [record_hit(r, with_dense) for r in records]

    def scroll(self, flt: models.Filter | None, limit: int, offset: str | None = None,
               with_dense: bool = False) -> tuple[list[Hit], str | None]:
        records, next_offset = self.client.scroll(self.collection, scroll_filter=flt, limit=limit, offset=offset,
                                                  with_payload=True,
                                                  with_vectors=[DENSE_VECTOR] if with_dense else False)
        return [record_hit(r, with_dense) for r in records], (str(next_offset) if next_offset else None)

    def count(self, flt: models.Filter | None = None) -> int:
        return int(self.client.count(self.collection, count_filter=flt, exact=True).count)

    def facet(self, key: str, flt: models.Filter | None, limit: int) -> list[tuple[Any, int]]:
        response = self.client.facet(self.collection, key, facet_filter=flt, limit=limit, exact=True)
        return [(h.value, int(h.count)) for h in response.hits]


def _server_vectors(point: ChunkPoint) -> dict[str, Any]:
    vectors: dict[str, Any] = {}
    if point.dense is not None:
        vectors[DENSE_VECTOR] = list(point.dense)
    if point.sparse is not None:
        vectors[SPARSE_VECTOR] = models.SparseVector(indices=point.sparse.indices, values=point.sparse.values)
    return vectors
