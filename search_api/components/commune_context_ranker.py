"""Re-ranks experiences for "comuni come il mio" (formula in search_api/context.py)."""

from __future__ import annotations

from typing import Any

from haystack import component

from search_api.context import CommuneContext, boost_factor
from search_api.searcher import DocumentHit, RankedDocuments


@component
class CommuneContextRanker:
    """Without a context the ranking is left as retrieval made it (the one evaluated)."""

    def __init__(self, size_weight: float = 0.3, area_weight: float = 0.2) -> None:
        if size_weight < 0 or area_weight < 0:
            raise ValueError("i pesi del contesto non possono essere negativi")
        self.size_weight, self.area_weight = size_weight, area_weight

    @component.output_types(documents=RankedDocuments)
    def run(self, documents: RankedDocuments, context: CommuneContext | None = None) -> dict[str, Any]:
        if context is None or context.empty or not documents:
            return {"documents": documents}
        best = max(d.score for d in documents.documents)
        boosts: dict[str, float] = {}
        ranked = []
        for doc in documents.documents:
            relevance = max(doc.score, 0.0) / best if best > 0 else 0.0
            boosts[doc.doc_id] = boost_factor(doc.payload, context, self.size_weight, self.area_weight)
            ranked.append(DocumentHit(doc.doc_id, relevance * boosts[doc.doc_id], doc.payload, doc.chunks))
        ranked.sort(key=lambda d: (-d.score, d.doc_id))
        return {"documents": RankedDocuments(tuple(ranked), boosts)}
