"""More like this: a document or a free text described as a query, by a sparse and a dense vector.

The probe's most characteristic stems (frequency in the probe; Qdrant's IDF then discounts common words) make the
sparse vector, the mean of its passages' embeddings the dense one. The engine ranks a probe exactly as a typed
question: same fusion, same grouping, same depth.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from qdrant_client import models

from kb.models.base import DenseEmbedder
from kb.storage.backends.base import SparseVec
from kb.text.analysis import ItalianAnalyzer, term_index

MAX_TERMS = 40
MAX_WINDOWS = 8
WINDOW_WORDS = 100


@dataclass(frozen=True)
class Probe:
    sparse: SparseVec
    dense: list[float]
    keywords: str  # the probe's top words: what results share with it is highlighted


def _mean(vectors: list[list[float]]) -> list[float]:
    mean = [sum(col) / len(vectors) for col in zip(*vectors, strict=True)]
    norm = math.sqrt(sum(v * v for v in mean)) or 1.0
    return [v / norm for v in mean]


def _sparse(analyzer: ItalianAnalyzer, text: str) -> tuple[SparseVec, str]:
    tokens = analyzer.tokens(text)
    counts = Counter(t.stem for t in tokens if len(t.stem) > 2 and not t.stem.isdigit())
    top = counts.most_common(MAX_TERMS)
    surface: dict[str, str] = {}
    for token in tokens:
        surface.setdefault(token.stem, token.surface)
    weights = {term_index(stem): 1.0 + math.log(n) for stem, n in top}
    indices = sorted(weights)
    return SparseVec(indices, [weights[i] for i in indices]), " ".join(surface[s] for s, _ in top)


def probe_from_text(analyzer: ItalianAnalyzer, embedder: DenseEmbedder, text: str) -> Probe:
    """A project description: its words, and the mean embedding of its first windows of ~100 words."""
    words = text.split()
    windows = [" ".join(words[i:i + WINDOW_WORDS]) for i in range(0, len(words), WINDOW_WORDS)][:MAX_WINDOWS]
    sparse, keywords = _sparse(analyzer, text)
    return Probe(sparse, _mean(embedder.embed_passages(windows or [text])), keywords)


def probe_from_document(analyzer: ItalianAnalyzer, embedder: DenseEmbedder, backend: Any, doc_id: str
                        ) -> Probe | None:
    """An indexed document: its title and passages, and the mean of its stored passage vectors."""
    flt = models.Filter(must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))])
    chunks, _ = backend.scroll(flt, limit=10_000, with_dense=True)
    if not chunks:
        return None
    chunks.sort(key=lambda c: int(c.payload.get("chunk_index", 0)))
    text = "\n".join(str(c.payload.get("title", "")) for c in chunks[:1])
    text += "\n" + "\n".join(str(c.payload.get("text", "")) for c in chunks)
    sparse, keywords = _sparse(analyzer, text)
    vectors = [c.dense for c in chunks if c.dense]
    dense = _mean(vectors) if vectors else _mean(embedder.embed_passages([text[:2000]]))
    return Probe(sparse, dense, keywords)
