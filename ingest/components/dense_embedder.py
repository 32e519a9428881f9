"""Dense vectors for chunks from the configured model (the query side uses the same embedder object)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from haystack import Document, component

from kb.models.base import DenseEmbedder


@component
class ChunkDenseEmbedder:
    def __init__(self, embedder: DenseEmbedder) -> None:
        self.embedder = embedder

    def warm_up(self) -> None:
        self.embedder.warm_up()

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        self.warm_up()
        texts = [str(doc.meta.get("_index_text") or doc.content or "") for doc in documents]
        vectors = self.embedder.embed_passages(texts)
        return {"documents": [replace(d, embedding=v) for d, v in zip(documents, vectors, strict=True)]}
