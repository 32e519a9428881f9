"""Italian BM25 sparse vectors for chunks, from the shared analyzer (the same code encodes queries)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from haystack import Document, component
from haystack.dataclasses import SparseEmbedding

from kb.text.analysis import Bm25SparseEncoder


@component
class ItalianSparseEmbedder:
    def __init__(self, encoder: Bm25SparseEncoder | None = None) -> None:
        self.encoder = encoder or Bm25SparseEncoder()

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        out = []
        for doc in documents:
            indices, values = self.encoder.encode_document(str(doc.meta.get("_index_text") or doc.content or ""))
            out.append(replace(doc, sparse_embedding=SparseEmbedding(indices=indices, values=values)))
        return {"documents": out}
