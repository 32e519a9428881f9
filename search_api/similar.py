"""More like this: a document, a free text or a project file -> the documents closest to it.

The probe is described twice, like every query: its most characteristic stems (frequency in the probe; Qdrant's
IDF then discounts common words) as a sparse vector, and the mean of its passages' embeddings as a dense vector.
The two lists are fused with the same weight as search, and the probe document itself is excluded.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from qdrant_client import models

from kb.index.analysis import term_index
from kb.index.backends.base import SparseVec
from kb.index.schema import DENSE_VECTOR, SPARSE_VECTOR
from search_api.components.document_retriever import CANDIDATE_FIELDS
from search_api.searcher import RankedDocuments, Searcher, fuse, group_by_document

MAX_TERMS = 40
MAX_WINDOWS = 8
WINDOW_WORDS = 100


@dataclass
class Probe:
    sparse: SparseVec
    dense: list[float]
    keywords: str  # the probe's top words, for highlighting what results share with it


def _mean(vectors: list[list[float]]) -> list[float]:
    mean = [sum(col) / len(vectors) for col in zip(*vectors, strict=True)]
    norm = math.sqrt(sum(v * v for v in mean)) or 1.0
    return [v / norm for v in mean]


def _sparse(searcher: Searcher, text: str) -> tuple[SparseVec, str]:
    tokens = searcher.encoder.analyzer.tokens(text)
    counts = Counter(t.stem for t in tokens if len(t.stem) > 2 and not t.stem.isdigit())
    top = counts.most_common(MAX_TERMS)
    surface: dict[str, str] = {}
    for token in tokens:
        surface.setdefault(token.stem, token.surface)
    weights = {term_index(stem): 1.0 + math.log(n) for stem, n in top}
    indices = sorted(weights)
    return SparseVec(indices, [weights[i] for i in indices]), " ".join(surface[s] for s, _ in top)


def probe_from_text(searcher: Searcher, text: str) -> Probe:
    words = text.split()
    windows = [" ".join(words[i:i + WINDOW_WORDS]) for i in range(0, len(words), WINDOW_WORDS)][:MAX_WINDOWS]
    sparse, keywords = _sparse(searcher, text)
    return Probe(sparse, _mean(searcher.embedder.embed_passages(windows or [text])), keywords)


def probe_from_document(searcher: Searcher, doc_id: str) -> Probe | None:
    flt = models.Filter(must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))])
    chunks, _ = searcher.backend.scroll(flt, limit=10_000, with_dense=True)
    if not chunks:
        return None
    chunks.sort(key=lambda c: int(c.payload.get("chunk_index", 0)))
    text = "\n".join(str(c.payload.get("title", "")) for c in chunks[:1])
    text += "\n" + "\n".join(str(c.payload.get("text", "")) for c in chunks)
    sparse, keywords = _sparse(searcher, text)
    vectors = [c.dense for c in chunks if c.dense]
    dense = _mean(vectors) if vectors else _mean(searcher.embedder.embed_passages([text[:2000]]))
    return Probe(sparse, dense, keywords)


def similar_documents(searcher: Searcher, probe: Probe, flt: models.Filter | None, exclude: str | None = None,
                      chunks_per_doc: int = 2) -> RankedDocuments:
    """Every candidate document, best first (callers page)."""
    if exclude:
        flt = models.Filter(must=[flt] if flt else [], must_not=[
            models.FieldCondition(key="doc_id", match=models.MatchValue(value=exclude))])
    depth = searcher.candidates
    lexical = searcher.backend.query(SPARSE_VECTOR, probe.sparse, flt, depth, CANDIDATE_FIELDS)
    semantic = searcher.backend.query(DENSE_VECTOR, probe.dense, flt, depth, CANDIDATE_FIELDS)
    return RankedDocuments(tuple(group_by_document(fuse(lexical, semantic, searcher.lexical_weight), chunks_per_doc)))
