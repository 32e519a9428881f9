"""Pipeline step: fill each document's empty metadata from its text, after embedding and before writing.

It runs on the embedded chunks so the document's meaning comes for free (its chunk vectors, compared with the SDG and
theme descriptions), and it writes the result onto every chunk, which is what filters and facets read.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from haystack import Document, component

from ingest.enrich.document import act_links, enrich_metadata, extract_values
from ingest.enrich.gazetteer import Gazetteer, load_gazetteer
from ingest.enrich.tagging import Tagger


@component
class MetadataEnricher:
    def __init__(self, embedder: Any | None = None, *, enabled: bool = True, gazetteer_path: Path | None = None,
                 min_confidence: float = 0.5) -> None:
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError("min_confidence deve essere tra 0 e 1")
        if gazetteer_path is not None and not Path(gazetteer_path).is_file():
            raise ValueError(f"elenco dei comuni non trovato: {gazetteer_path}")
        self.embedder, self.enabled, self.min_confidence = embedder, enabled, min_confidence
        self.gazetteer_path = Path(gazetteer_path) if gazetteer_path else None
        self._tagger: Tagger | None = None
        self._gazetteer: Gazetteer | None = None

    def warm_up(self) -> None:
        if self._tagger is None:
            self._gazetteer = load_gazetteer(self.gazetteer_path)
            self._tagger = Tagger(self.embedder)
            self._tagger.warm_up()

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        if not self.enabled or not documents:
            return {"documents": documents}
        self.warm_up()
        assert self._tagger is not None and self._gazetteer is not None
        by_doc: dict[str, list[Document]] = defaultdict(list)
        for chunk in documents:
            by_doc[str(chunk.meta.get("doc_id"))].append(chunk)
        out: list[Document] = []
        for chunks in by_doc.values():
            text, _ = document_view(chunks)
            meta = chunks[0].meta
            found = extract_values(text, meta, chunk_vectors(chunks), self._tagger, self._gazetteer)
            enriched = enrich_metadata(meta, found, self.min_confidence)
            enriched.update(act_links(text, enriched))
            document_fields = {k: v for k, v in enriched.items() if meta.get(k) != v}
            for chunk in chunks:
                out.append(Document(id=chunk.id, content=chunk.content, meta={**chunk.meta, **document_fields},
                                    embedding=chunk.embedding, sparse_embedding=chunk.sparse_embedding))
        return {"documents": out}


def document_view(chunks: list[Document]) -> tuple[str, list[float] | None]:
    """A document as enrichment sees it: its chunks' text in order (sorted in place) and their mean vector."""
    chunks.sort(key=lambda c: int(c.meta.get("chunk_index", 0)))
    return "\n\n".join(c.content or "" for c in chunks), _mean_vector(chunks)


def chunk_vectors(chunks: list[Document]) -> list[list[float]]:
    """The chunks' dense vectors in order: tagging compares each with the labels, so one section can carry a tag."""
    return [list(c.embedding) for c in chunks if c.embedding]


def _mean_vector(chunks: list[Document]) -> list[float] | None:
    vectors = [c.embedding for c in chunks if c.embedding]
    if not vectors:
        return None
    mean = [sum(values) / len(vectors) for values in zip(*vectors, strict=True)]
    norm = math.sqrt(sum(v * v for v in mean)) or 1.0
    return [v / norm for v in mean]
