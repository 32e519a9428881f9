"""The small interface both backends implement, and the value types they exchange.

Filters are expressed once, as `qdrant_client.models.Filter` (the server's own data model); the Edge backend
translates them (`edge_filters.py`). Everything above this layer is backend-agnostic.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from qdrant_client import models

from kb.storage.schema import DENSE_VECTOR, SPARSE_VECTOR


class IndexUnavailableError(RuntimeError):
    """The index cannot be opened or reached (held by another process, server down...)."""


class IndexMissingError(IndexUnavailableError):
    """No index at the configured place yet (nothing was ingested)."""


@dataclass
class SparseVec:
    indices: list[int]
    values: list[float]


@dataclass
class ChunkPoint:
    id: str
    payload: dict[str, Any]
    dense: list[float] | None = None
    sparse: SparseVec | None = None


@dataclass
class Hit:
    id: str
    score: float
    payload: dict[str, Any] = field(default_factory=dict)
    dense: list[float] | None = None


def record_hit(record: Any, with_dense: bool) -> Hit:
    """A stored record (Edge or qdrant-client, same shape) as a Hit; score 1.0 as records are not ranked."""
    dense = None
    if with_dense and isinstance(record.vector, dict):
        dense = record.vector.get(DENSE_VECTOR)
    return Hit(str(record.id), 1.0, dict(record.payload or {}), list(dense) if dense is not None else None)


def vectors_by_point(dense: dict[str, list[float]] | None, sparse: dict[str, SparseVec] | None
                     ) -> dict[str, dict[str, list[float] | SparseVec]]:
    """Point id -> the named vectors to set on it (what both backends' `set_vectors` send)."""
    named: dict[str, dict[str, list[float] | SparseVec]] = {}
    for i, v in (dense or {}).items():
        named.setdefault(i, {})[DENSE_VECTOR] = list(v)
    for i, s in (sparse or {}).items():
        named.setdefault(i, {})[SPARSE_VECTOR] = s
    return named


class IndexBackend(Protocol):
    """What ingestion, search and evaluation need from a store of chunks."""

    def ensure_collection(self, dense_dim: int | None) -> None:
        """Open the collection, creating it when a dimension is given; None opens an existing one only."""
        ...

    def upsert(self, points: list[ChunkPoint]) -> None: ...

    def delete_ids(self, ids: list[str]) -> None: ...

    def delete_where(self, flt: models.Filter) -> None: ...

    def query(self, using: str, vector: list[float] | SparseVec, flt: models.Filter | None,
              limit: int, with_payload: bool | list[str] = True) -> list[Hit]: ...

    def retrieve(self, ids: list[str], with_dense: bool = False, with_payload: bool = True) -> list[Hit]: ...

    def scroll(self, flt: models.Filter | None, limit: int, offset: str | None = None,
               with_dense: bool = False) -> tuple[list[Hit], str | None]: ...

    def count(self, flt: models.Filter | None = None) -> int: ...

    def facet(self, key: str, flt: models.Filter | None, limit: int) -> list[tuple[Any, int]]: ...

    def atomic(self) -> AbstractContextManager[None]: ...

    def reading(self) -> AbstractContextManager[None]:
        """The calls inside see one version of every document (kb.storage.snapshot)."""
        ...

    def flush(self) -> None: ...

    def optimize(self) -> None: ...

    def close(self) -> None: ...

    def model_record(self) -> dict[str, Any]:
        """The dense model and analyzer the index was built with, and any re-embedding in flight
        (kb.storage.model_record)."""
        ...

    def save_model_record(self, record: dict[str, Any]) -> None: ...

    def set_vectors(self, dense: dict[str, list[float]] | None = None,
                    sparse: dict[str, SparseVec] | None = None) -> None:
        """Replace the given dense and/or sparse vectors of existing points (by id), keeping the payload."""
        ...
