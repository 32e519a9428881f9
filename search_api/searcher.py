"""Lexical, semantic and hybrid retrieval over the shared index, with documents grouped from chunks.

Hybrid fusion is score-aware and weighted: each list's scores are min-max normalised over its candidates and
combined as  w * lexical + (1 - w) * semantic  (a candidate missing from one list gets 0 there). Equal-weight RRF
lets the English-centric default model drag Italian BM25 down (../shared/benchmarks); `w` is a setting tuned on
development data only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from qdrant_client import models

from kb.index.analysis import Bm25SparseEncoder
from kb.index.backends.base import Hit, SparseVec
from kb.index.embedders import DenseEmbedder
from kb.index.schema import DENSE_VECTOR, SPARSE_VECTOR
from kb.index.synonyms import SynonymExpander

GROUPING_FIELDS = ("doc_id", "ingested_at")


class Mode(StrEnum):
    hybrid = "hybrid"
    lexical = "lexical"
    semantic = "semantic"


@dataclass
class DocumentHit:
    doc_id: str
    score: float
    payload: dict[str, Any]
    chunks: list[Hit] = field(default_factory=list)

    @property
    def pages(self) -> list[int]:
        pages = {p for c in self.chunks for p in (c.payload.get("page_start"), c.payload.get("page_end")) if p}
        return sorted(pages)


@dataclass(frozen=True)
class RankedDocuments:
    """A ranked result list as query-pipeline steps pass it on: shared, never copied.

    Steps treat it as immutable (a re-ranking step builds a new one), so Haystack's defensive deep copy of every
    step's inputs, which costs milliseconds on a few hundred documents, is skipped by `__deepcopy__`.
    """

    documents: tuple[DocumentHit, ...] = ()
    boosts: Mapping[str, float] = field(default_factory=dict)

    def __deepcopy__(self, memo: dict[int, Any]) -> RankedDocuments:
        return self

    def __len__(self) -> int:
        return len(self.documents)


class Searcher:
    def __init__(self, backend: Any, embedder: DenseEmbedder, *, encoder: Bm25SparseEncoder | None = None,
                 expander: SynonymExpander | None = None, lexical_weight: float = 0.8, candidates: int = 100) -> None:
        if not 0.0 <= lexical_weight <= 1.0:
            raise ValueError("lexical_weight deve essere tra 0 e 1")
        if candidates < 1:
            raise ValueError("candidates deve essere >= 1")
        self.backend, self.embedder = backend, embedder
        self.encoder = encoder or Bm25SparseEncoder()
        self.expander = expander or SynonymExpander()
        self.lexical_weight, self.candidates = lexical_weight, candidates

    def lexical(self, query: str, flt: models.Filter | None, limit: int,
                payload: bool | list[str] = True) -> list[Hit]:
        indices, values = self.encoder.encode_query(self.expander.expand(query))
        return self.backend.query(SPARSE_VECTOR, SparseVec(indices, values), flt, limit, payload)

    def semantic(self, query: str, flt: models.Filter | None, limit: int,
                 payload: bool | list[str] = True) -> list[Hit]:
        return self.backend.query(DENSE_VECTOR, self.embedder.embed_query(query), flt, limit, payload)

    def search_chunks(self, query: str, mode: Mode = Mode.hybrid, flt: models.Filter | None = None,
                      limit: int = 10, payload: bool | list[str] = True) -> list[Hit]:
        if mode is Mode.lexical:
            return self.lexical(query, flt, limit, payload)
        if mode is Mode.semantic:
            return self.semantic(query, flt, limit, payload)
        depth = max(self.candidates, limit)
        return fuse(self.lexical(query, flt, depth, payload), self.semantic(query, flt, depth, payload),
                    self.lexical_weight)[:limit]

    def search_documents(self, query: str, mode: Mode = Mode.hybrid, flt: models.Filter | None = None,
                         limit: int = 10, offset: int = 0, chunks_per_doc: int = 3) -> list[DocumentHit]:
        """Best chunks grouped by document, documents ranked by their best chunk.

        Candidates carry only the fields grouping needs; full payloads are fetched for the chunks shown.
        """
        depth = max(self.candidates, (offset + limit) * 5)
        hits = self.search_chunks(query, mode, flt, depth, payload=list(GROUPING_FIELDS))
        page = group_by_document(hits, chunks_per_doc)[offset:offset + limit]
        full = {h.id: h.payload for h in self.backend.retrieve([c.id for d in page for c in d.chunks])}
        shown = []
        for doc in page:
            chunks = [Hit(c.id, c.score, full.get(c.id, c.payload)) for c in doc.chunks]
            shown.append(DocumentHit(doc.doc_id, doc.score, chunks[0].payload, chunks))
        return shown


def _normalise(hits: list[Hit]) -> dict[str, float]:
    if not hits:
        return {}
    scores = [h.score for h in hits]
    low, high = min(scores), max(scores)
    span = high - low
    return {h.id: (h.score - low) / span if span > 0 else 1.0 for h in hits}


def fuse(lexical: list[Hit], semantic: list[Hit], lexical_weight: float) -> list[Hit]:
    lex, sem = _normalise(lexical), _normalise(semantic)
    if not lex:
        lexical_weight = 0.0
    elif not sem:
        lexical_weight = 1.0
    by_id = {h.id: h for h in semantic} | {h.id: h for h in lexical}
    fused = [Hit(i, lexical_weight * lex.get(i, 0.0) + (1 - lexical_weight) * sem.get(i, 0.0), by_id[i].payload)
             for i in by_id]
    return sorted(fused, key=lambda h: (-h.score, h.id))


def group_by_document(hits: list[Hit], chunks_per_doc: int = 3) -> list[DocumentHit]:
    """Keep the newest version of each document (a replacement in flight is never shown mixed)."""
    groups: dict[str, DocumentHit] = {}
    versions: dict[str, str] = {}
    for hit in hits:
        doc_id = str(hit.payload.get("doc_id"))
        version = str(hit.payload.get("ingested_at", ""))
        if doc_id in versions and version != versions[doc_id]:
            if version < versions[doc_id]:
                continue
            del groups[doc_id]
        versions[doc_id] = version
        group = groups.setdefault(doc_id, DocumentHit(doc_id, hit.score, hit.payload))
        if len(group.chunks) < chunks_per_doc:
            group.chunks.append(hit)
    return sorted(groups.values(), key=lambda g: (-g.score, g.doc_id))
