"""Writes a document's chunks and then removes its previous version, as one step for readers.

Chunk ids are deterministic (doc_id, version, chunk index), so writing the same version twice is a no-op upsert.
Each chunk carries its version's `chunk_count`: after a crash between batches, or between the write and the delete,
the service sees the version is incomplete or not alone, and writes it again.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from haystack import Document, component
from qdrant_client import models

from kb.storage.backends.base import ChunkPoint, SparseVec
from kb.storage.schema import chunk_point_id

_INTERNAL = ("_index_text", "file_path", "source_id")


@component
class IndexWriter:
    def __init__(self, backend: Any, batch_size: int = 256) -> None:
        if batch_size < 1:
            raise ValueError("batch_size deve essere >= 1")
        self.backend, self.batch_size = backend, batch_size

    @component.output_types(documents_written=int, written_per_doc=dict[str, int])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        by_doc: dict[str, list[Document]] = defaultdict(list)
        for doc in documents:
            by_doc[str(doc.meta["doc_id"])].append(doc)
        per_doc: dict[str, int] = {}
        for doc_id, chunks in by_doc.items():
            version = str(chunks[0].meta["version"])
            points = [_to_point(doc_id, version, chunk, len(chunks)) for chunk in chunks]
            with self.backend.atomic():
                for start in range(0, len(points), self.batch_size):
                    self.backend.upsert(points[start:start + self.batch_size])
                self.backend.delete_where(models.Filter(
                    must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))],
                    must_not=[models.FieldCondition(key="version", match=models.MatchValue(value=version))],
                ))
            per_doc[doc_id] = len(points)
        return {"documents_written": sum(per_doc.values()), "written_per_doc": per_doc}


def _to_point(doc_id: str, version: str, chunk: Document, chunk_count: int) -> ChunkPoint:
    payload = {k: v for k, v in chunk.meta.items() if k not in _INTERNAL}
    payload["text"] = chunk.content or ""
    payload["chunk_count"] = chunk_count  # lets a re-run tell a version cut short by a crash from a whole one
    sparse = chunk.sparse_embedding
    return ChunkPoint(
        id=chunk_point_id(doc_id, version, int(chunk.meta["chunk_index"])),
        payload=payload,
        dense=list(chunk.embedding) if chunk.embedding is not None else None,
        sparse=SparseVec(list(sparse.indices), list(sparse.values)) if sparse is not None else None,
    )
