"""Haystack `DocumentStore` over our index backends, so Haystack pipelines (and Haystack's contract tests) use them.

Documents map onto the points ingestion writes: point id = uuid5(Document.id), payload "id" keeps the Document id,
"text" the content, every other payload key is a meta key (flat), and the vectors are "dense" and "bm25". Points
written by ingestion have no "id" key: they are Documents whose id is the point id. Haystack filters go through
qdrant-haystack's converter, adapted before (None, empty `in`, NOT) and after (flat keys, ingestion ids).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from haystack import Document, default_from_dict, default_to_dict
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy
from haystack.errors import FilterError
from haystack.utils.filters import COMPARISON_OPERATORS, LOGICAL_OPERATORS
from haystack_integrations.document_stores.qdrant.filters import convert_filters_to_qdrant
from pydantic import ValidationError
from qdrant_client import models

from kb.storage.backends.base import ChunkPoint, Hit, IndexBackend, SparseVec
from kb.storage.backends.edge import EdgeBackend
from kb.storage.backends.server import ServerBackend

DOCUMENT_NAMESPACE = uuid.UUID("5e353803-ff05-4cb1-8abd-feaa1462ec51")
RESERVED_KEYS = ("id", "text")
_BATCH = 256
# Placeholder fields for what the converter cannot express; `_finish` swaps them for real conditions.
_MARK = "\x00kb:"


def document_point_id(document_id: str) -> str:
    """Point id of a Haystack Document: deterministic, and a valid Qdrant id whatever the Document id is."""
    return str(uuid.uuid5(DOCUMENT_NAMESPACE, document_id))


class KbDocumentStore:
    """Haystack DocumentStore on any IndexBackend; the collection is opened lazily, on first use."""

    def __init__(self, backend: IndexBackend, embedding_dim: int | None = None) -> None:
        self.backend = backend
        self.embedding_dim = embedding_dim
        self._opened = False

    def _open(self) -> IndexBackend:
        if not self._opened:
            self.backend.ensure_collection(self.embedding_dim)
            self._opened = True
        return self.backend

    # -- serialization ---------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, backend=backend_to_dict(self.backend), embedding_dim=self.embedding_dim)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KbDocumentStore:
        params = dict(data.get("init_parameters", {}))
        params["backend"] = backend_from_dict(params["backend"])
        return default_from_dict(cls, {**data, "init_parameters": params})

    # -- DocumentStore protocol ------------------------------------------------------------------------------
    def count_documents(self) -> int:
        return self._open().count()

    def filter_documents(self, filters: dict[str, Any] | None = None) -> list[Document]:
        flt = haystack_filter_to_qdrant(filters)
        backend = self._open()
        documents: list[Document] = []
        offset: str | None = None
        while True:
            try:
                hits, offset = backend.scroll(flt, _BATCH, offset, with_dense=True)
            except ValueError as exc:  # a condition this backend cannot evaluate (Edge: boolean matches)
                raise FilterError(str(exc)) from exc
            documents.extend(_to_document(hit) for hit in hits)
            if offset is None:
                return documents

    def write_documents(self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        """Write Documents; NONE behaves as FAIL, like Haystack's in-memory store."""
        if not isinstance(documents, list) or not all(isinstance(d, Document) for d in documents):
            raise ValueError("write_documents accetta una lista di Document")
        if policy == DuplicatePolicy.NONE:
            policy = DuplicatePolicy.FAIL
        batch: dict[str, Document] = {}
        for doc in documents:
            if doc.id in batch and policy != DuplicatePolicy.OVERWRITE:
                if policy == DuplicatePolicy.FAIL:
                    raise DuplicateDocumentError(f"ID '{doc.id}' ripetuto nella stessa scrittura")
                continue  # SKIP keeps the first one
            batch[doc.id] = doc
        backend = self._open()
        with backend.atomic():  # the duplicate check and the write are one step for readers in this process
            existing = self._stored_points(list(batch))
            if existing and policy == DuplicatePolicy.FAIL:
                raise DuplicateDocumentError(f"ID già presenti: {', '.join(sorted(existing)[:5])}")
            if policy == DuplicatePolicy.SKIP:
                batch = {k: v for k, v in batch.items() if k not in existing}
            # an overwritten Document keeps its point (an ingestion point stays one point)
            points = [self._to_point(doc, existing.get(doc.id) or document_point_id(doc.id)) for doc in batch.values()]
            for start in range(0, len(points), _BATCH):
                backend.upsert(points[start:start + _BATCH])
        return len(documents) if policy == DuplicatePolicy.OVERWRITE else len(points)

    def delete_documents(self, document_ids: list[str]) -> None:
        """Delete by Document id; ids not stored are ignored, as the contract tests require."""
        backend = self._open()
        with backend.atomic():
            point_ids = list(self._stored_points(list(document_ids)).values())
            for start in range(0, len(point_ids), _BATCH):
                backend.delete_ids(point_ids[start:start + _BATCH])

    # -- mapping ---------------------------------------------------------------------------------------------
    def _stored_points(self, document_ids: list[str]) -> dict[str, str]:
        """Document id -> point id, for the given Documents that are stored (ours or ingestion's)."""
        wanted = set(document_ids)
        candidates = {document_point_id(d) for d in wanted} | {d for d in wanted if _is_point_id(d)}
        ordered = sorted(candidates)
        found: dict[str, str] = {}
        for start in range(0, len(ordered), _BATCH):
            for hit in self.backend.retrieve(ordered[start:start + _BATCH]):
                doc_id = str(hit.payload.get("id", hit.id))
                if doc_id in wanted:
                    found[doc_id] = hit.id
        return found

    def _to_point(self, doc: Document, point_id: str) -> ChunkPoint:
        clash = [k for k in RESERVED_KEYS if k in doc.meta]
        if clash:
            raise ValueError(f"Document {doc.id}: le chiavi meta {clash} sono riservate (id e testo del documento)")
        if doc.blob is not None:
            raise ValueError(f"Document {doc.id}: il campo blob non è supportato, indicizzare il testo estratto")
        dense = list(doc.embedding) if doc.embedding is not None else None
        if dense is not None and self.embedding_dim is not None and len(dense) != self.embedding_dim:
            raise ValueError(f"Document {doc.id}: embedding di {len(dense)} dimensioni, l'indice ne ha "
                             f"{self.embedding_dim}")
        payload: dict[str, Any] = {**doc.meta, "id": doc.id}
        if doc.content is not None:
            payload["text"] = doc.content
        sparse = doc.sparse_embedding
        return ChunkPoint(point_id, payload, dense,
                          SparseVec(list(sparse.indices), list(sparse.values)) if sparse is not None else None)


def _to_document(hit: Hit) -> Document:
    payload = dict(hit.payload)
    doc_id = str(payload.pop("id", hit.id))
    content = payload.pop("text", None)
    # Sparse vectors are written but not read back: IndexBackend returns only the dense vector.
    return Document(id=doc_id, content=content, meta=payload, embedding=hit.dense)


def _is_point_id(value: Any) -> bool:
    """Whether a Document id can be the id of an ingestion point (a UUID in canonical form)."""
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


# -- backend settings ----------------------------------------------------------------------------------------
def backend_to_dict(backend: IndexBackend) -> dict[str, Any]:
    """Settings that reopen the same index; the API key is a secret and is never serialized."""
    if isinstance(backend, EdgeBackend):
        return {"kind": "edge", "path": str(backend.path), "model_name": backend.model_name}
    if isinstance(backend, ServerBackend):
        return {"kind": "server", "url": backend.url, "collection": backend.collection,
                "shard_number": backend.shard_number, "replication_factor": backend.replication_factor}
    raise TypeError(f"backend non serializzabile: {type(backend).__name__}")


def backend_from_dict(data: dict[str, Any]) -> EdgeBackend | ServerBackend:
    """Rebuild a backend; a server's API key comes from KB_QDRANT_API_KEY, like the settings."""
    if data["kind"] == "edge":
        return EdgeBackend(Path(data["path"]), data.get("model_name", ""))
    if data["kind"] == "server":
        return ServerBackend(data["url"], data["collection"], os.environ.get("KB_QDRANT_API_KEY") or None,
                             data.get("shard_number", 1), data.get("replication_factor", 1))
    raise ValueError(f"tipo di backend sconosciuto: {data['kind']!r}")


# -- filters -------------------------------------------------------------------------------------------------
def haystack_filter_to_qdrant(filters: dict[str, Any] | None) -> models.Filter | None:
    """Haystack filter dict -> Filter on our flat payload; malformed filters raise FilterError."""
    if not filters:
        return None
    if not isinstance(filters, dict):
        raise FilterError(f"il filtro deve essere un dizionario, non {type(filters).__name__}")
    try:
        converted = convert_filters_to_qdrant(_prepare(filters))
    except FilterError:
        raise
    except (ValidationError, ValueError, TypeError) as exc:  # e.g. == on a float or a list: no Qdrant match
        raise FilterError(f"filtro non valido: {exc}") from exc
    return _finish(converted) if converted is not None else None


def _payload_key(field: Any) -> str:
    if field in ("id", "content"):
        return "id" if field == "id" else "text"
    if isinstance(field, str) and field.startswith("meta.") and len(field) > len("meta."):
        return field[len("meta."):]
    raise FilterError(f"campo non filtrabile: {field!r} (ammessi 'id', 'content', 'meta.<chiave>')")


def _placeholder(kind: str, key: str) -> dict[str, Any]:
    return {"field": f"{_MARK}{kind}:{key}", "operator": "==", "value": 0}


def _prepare(node: Any) -> Any:
    """Rewrite what the converter gets wrong or refuses; malformed nodes pass through for it to reject."""
    if not isinstance(node, dict):
        return node
    op, conditions = node.get("operator"), node.get("conditions")
    if op in LOGICAL_OPERATORS and isinstance(conditions, list):
        prepared = [_prepare(c) for c in conditions]
        if op == "NOT" and len(prepared) > 1:
            # Haystack negates the conjunction; the converter's must_not would negate each condition
            prepared = [{"operator": "AND", "conditions": prepared}]
        return {**node, "conditions": prepared}
    if "field" not in node or "value" not in node or op not in COMPARISON_OPERATORS:
        return node
    key, value = _payload_key(node["field"]), node["value"]
    if value is None and op not in ("in", "not in"):
        # Haystack compares with Python's None: == matches a missing key, ordering never matches
        return _placeholder({"==": "empty", "!=": "filled"}.get(op, "nothing"), key)
    if op in ("in", "not in") and isinstance(value, list) and None in value:
        rest = {**node, "value": [v for v in value if v is not None]}
        none = {"field": node["field"], "operator": "==" if op == "in" else "!=", "value": None}
        return _prepare({"operator": "OR" if op == "in" else "AND", "conditions": [rest, none]})
    if op == "in" and value == []:
        return _placeholder("nothing", key)  # Qdrant reads an empty `should` as no condition at all
    return {**node, "field": key}


def _finish(cond: Any) -> Any:
    """Swap placeholders for conditions; let an ingestion point match `id` by its point id."""
    if isinstance(cond, models.Filter):
        return models.Filter(must=_finish_all(cond.must), should=_finish_all(cond.should),
                             must_not=_finish_all(cond.must_not), min_should=cond.min_should)
    if not isinstance(cond, models.FieldCondition):
        return cond
    if cond.key.startswith(_MARK):
        kind, key = cond.key[len(_MARK):].split(":", 1)
        if kind == "nothing":
            return models.HasIdCondition(has_id=[])
        # empty = key missing or null (an empty list too: Qdrant cannot tell it apart from missing)
        empty = models.IsEmptyCondition(is_empty=models.PayloadField(key=key))
        return empty if kind == "empty" else models.Filter(must_not=[empty])
    if cond.key == "id" and isinstance(cond.match, models.MatchValue) and _is_point_id(cond.match.value):
        no_id_key = models.IsEmptyCondition(is_empty=models.PayloadField(key="id"))
        ingestion = models.Filter(must=[models.HasIdCondition(has_id=[str(cond.match.value)]), no_id_key])
        return models.Filter(should=[cond, ingestion])
    return cond


def _finish_all(conds: Any) -> list[Any] | None:
    if conds is None:
        return None
    return [_finish(c) for c in (conds if isinstance(conds, list) else [conds])]
