"""Qdrant Edge backend: the real Qdrant engine in-process, one shard directory under `data/`.

Edge allows one process per shard. A second process gets a clear `IndexUnavailableError` instead of a WAL error;
inside the process one lock makes multi-step writes (replace a document's chunks) atomic for readers. A shard is
created in a staging folder and moved into place when complete, so a crash during creation cannot brick the index.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import qdrant_edge as qe
from qdrant_client import models

from kb.storage.backends.base import (
    ChunkPoint,
    Hit,
    IndexMissingError,
    IndexUnavailableError,
    SparseVec,
    record_hit,
    vectors_by_point,
)
from kb.storage.backends.edge_filters import to_edge_filter
from kb.storage.model_record import check_model, new_record
from kb.storage.schema import DENSE_VECTOR, PAYLOAD_INDEXES, SPARSE_VECTOR
from kb.storage.snapshot import VersionGate

SCHEMA_FILE = "kb_schema.json"
_EDGE_INDEX_TYPES = {
    "keyword": qe.PayloadSchemaType.Keyword,
    "integer": qe.PayloadSchemaType.Integer,
    "float": qe.PayloadSchemaType.Float,
    "bool": qe.PayloadSchemaType.Bool,
    "datetime": qe.PayloadSchemaType.Datetime,
}
LOCKED_MESSAGE = (
    "L'indice {path} è già aperto da un altro processo (di solito il server avviato con `kb serve`). "
    "Qdrant Edge ammette un solo processo per indice: fermare il server, oppure inviare i documenti "
    "tramite l'API (POST /documents)."
)

INCOMPLETE_MESSAGE = (
    "La cartella {path} esiste ma non contiene un indice completo (manca kb_schema.json: creazione interrotta?). "
    "Svuotarla o indicare un'altra cartella in KB_INDEX_PATH, poi indicizzare di nuovo."
)


class EdgeBackend:
    def __init__(self, path: Path, model_name: str = "") -> None:
        self.path = Path(path)
        self.model_name = model_name
        self._shard: Any = None
        self._lock = threading.RLock()
        self._gate = VersionGate()

    # -- lifecycle -------------------------------------------------------------------------------------------
    def ensure_collection(self, dense_dim: int | None) -> None:
        with self._lock:
            if self._shard is not None:
                return
            schema_file = self.path / SCHEMA_FILE
            try:
                if schema_file.exists():
                    stored = self.model_record()
                    check_model(stored, self.model_name, str(self.path))
                    if dense_dim is not None and stored.get("dense_dim") != dense_dim:
                        raise IndexUnavailableError(
                            f"L'indice {self.path} è stato creato con il modello {stored.get('model')!r} "
                            f"({stored.get('dense_dim')} dimensioni), non compatibile con {self.model_name!r} "
                            f"({dense_dim}): reindicizzare in un nuovo percorso (KB_INDEX_PATH)."
                        )
                    self._shard = qe.EdgeShard.load(str(self.path))
                    self._add_missing_indexes()
                    return
                if dense_dim is None:
                    raise IndexMissingError(f"Nessun indice in {self.path}: eseguire prima `kb ingest`.")
                self._shard = self._create(dense_dim)
            except IndexUnavailableError:
                raise
            except Exception as exc:  # the engine reports a held WAL as a generic error
                if "WouldBlock" in str(exc) or "lock" in str(exc).lower():
                    raise IndexUnavailableError(LOCKED_MESSAGE.format(path=self.path)) from exc
                raise

    def _create(self, dense_dim: int) -> Any:
        """A new shard, built beside its place and moved in once complete (payload indexes and schema file
        included): a process killed while creating leaves no half-made index at `path`, which could never be
        opened nor created again, only a staging folder that the next attempt removes."""
        if self.path.is_dir() and not any(self.path.iterdir()):
            self.path.rmdir()  # an empty folder made beforehand
        if self.path.exists():
            raise IndexUnavailableError(INCOMPLETE_MESSAGE.format(path=self.path))
        staging = self.path.with_name(f".{self.path.name}.creating")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        shard = qe.EdgeShard.create(str(staging), self._config(dense_dim))
        for name, kind in PAYLOAD_INDEXES:
            shard.update(qe.UpdateOperation.create_field_index(name, _EDGE_INDEX_TYPES[kind]))
        (staging / SCHEMA_FILE).write_text(json.dumps(new_record(self.model_name, dense_dim)))
        shard.flush()
        shard.close()
        staging.rename(self.path)
        return qe.EdgeShard.load(str(self.path))

    def _add_missing_indexes(self) -> None:
        """Payload indexes added to the schema after this index was created (creating one is idempotent)."""
        present = set(self._shard.info().payload_schema)
        for name, kind in PAYLOAD_INDEXES:
            if name not in present:
                self._shard.update(qe.UpdateOperation.create_field_index(name, _EDGE_INDEX_TYPES[kind]))

    @staticmethod
    def _config(dense_dim: int) -> Any:
        return qe.EdgeConfig(
            vectors={DENSE_VECTOR: qe.EdgeVectorParams(size=dense_dim, distance=qe.Distance.Cosine)},
            sparse_vectors={SPARSE_VECTOR: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        )

    def model_record(self) -> dict[str, Any]:
        """What kb_schema.json says of the model (see kb.storage.model_record)."""
        schema_file = self.path / SCHEMA_FILE
        return dict(json.loads(schema_file.read_text())) if schema_file.exists() else {}

    def save_model_record(self, record: dict[str, Any]) -> None:
        """Replace the record atomically (a crash leaves the old one or the new one, never half a file)."""
        schema_file = self.path / SCHEMA_FILE
        temp = schema_file.with_name(f".{SCHEMA_FILE}.tmp")
        temp.write_text(json.dumps(record))
        os.replace(temp, schema_file)

    def set_vectors(self, dense: dict[str, list[float]] | None = None,
                    sparse: dict[str, SparseVec] | None = None) -> None:
        """Replace the given vectors of existing points; the payload and the vectors not given stay as they are."""
        named = vectors_by_point(dense, sparse)
        if named:
            operation = qe.UpdateOperation.update_vectors([
                qe.PointVectors(i, {k: qe.SparseVector(v.indices, v.values) if isinstance(v, SparseVec) else v
                                    for k, v in vectors.items()}) for i, vectors in named.items()])
            with self._lock:
                self.shard.update(operation)

    @property
    def shard(self) -> Any:
        if self._shard is None:
            raise IndexUnavailableError(f"indice {self.path} non aperto")
        return self._shard

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Readers in this process never observe the steps inside as separate states: not within one call (the
        shard lock) nor across the calls of one search (`reading`)."""
        with self._gate.writing(), self._lock:
            yield

    def reading(self) -> AbstractContextManager[None]:
        return self._gate.reading()

    def flush(self) -> None:
        with self._lock:
            if self._shard is not None:
                self._shard.flush()

    def optimize(self) -> None:
        with self._lock:
            self.shard.optimize()

    def close(self) -> None:
        with self._lock:
            if self._shard is not None:
                self._shard.flush()
                self._shard.close()
                self._shard = None

    # -- writes ----------------------------------------------------------------------------------------------
    def upsert(self, points: list[ChunkPoint]) -> None:
        if not points:
            return
        edge_points = [qe.Point(p.id, _edge_vectors(p), p.payload) for p in points]
        with self._lock:
            self.shard.update(qe.UpdateOperation.upsert_points(edge_points))

    def delete_ids(self, ids: list[str]) -> None:
        if ids:
            with self._lock:
                self.shard.update(qe.UpdateOperation.delete_points(list(ids)))

    def delete_where(self, flt: models.Filter) -> None:
        edge_filter = to_edge_filter(flt)
        if edge_filter is None:
            raise ValueError("delete_where richiede un filtro")
        with self._lock:
            self.shard.update(qe.UpdateOperation.delete_points_by_filter(edge_filter))

    # -- reads -----------------------------------------------------------------------------------------------
    def query(self, using: str, vector: list[float] | SparseVec, flt: models.Filter | None,
              limit: int, with_payload: bool | list[str] = True) -> list[Hit]:
        query_vector: Any = qe.SparseVector(vector.indices, vector.values) if isinstance(vector, SparseVec) \
            else list(vector)
        if isinstance(vector, SparseVec) and not vector.indices:
            return []
        request = qe.QueryRequest(limit=limit, query=qe.Query.Nearest(query_vector, using=using),
                                  filter=to_edge_filter(flt), with_payload=with_payload)
        with self._lock:
            points = self.shard.query(request)
        return [Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in points]

    def retrieve(self, ids: list[str], with_dense: bool = False, with_payload: bool = True) -> list[Hit]:
        if not ids:
            return []
        with self._lock:
            records = self.shard.retrieve(list(ids), with_payload=with_payload,
                                          with_vector=[DENSE_VECTOR] if with_dense else False)
        return [record_hit(r, with_dense) for r in records]

    def scroll(self, flt: models.Filter | None, limit: int, offset: str | None = None,
               with_dense: bool = False) -> tuple[list[Hit], str | None]:
        request = qe.ScrollRequest(offset=offset, limit=limit, filter=to_edge_filter(flt), with_payload=True,
                                   with_vector=[DENSE_VECTOR] if with_dense else False)
        with self._lock:
            records, next_offset = self.shard.scroll(request)
        return [record_hit(r, with_dense) for r in records], (str(next_offset) if next_offset else None)

    def count(self, flt: models.Filter | None = None) -> int:
        with self._lock:
            return int(self.shard.count(qe.CountRequest(exact=True, filter=to_edge_filter(flt))))

    def facet(self, key: str, flt: models.Filter | None, limit: int) -> list[tuple[Any, int]]:
        with self._lock:
            response = self.shard.facet(qe.FacetRequest(key, limit=limit, exact=True, filter=to_edge_filter(flt)))
        return [(h.value, int(h.count)) for h in response.hits]


def _edge_vectors(point: ChunkPoint) -> dict[str, Any]:
    vectors: dict[str, Any] = {}
    if point.dense is not None:
        vectors[DENSE_VECTOR] = list(point.dense)
    if point.sparse is not None:
        vectors[SPARSE_VECTOR] = qe.SparseVector(point.sparse.indices, point.sparse.values)
    return vectors
