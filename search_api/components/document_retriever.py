"""Query -> documents: hybrid (or lexical, or semantic) passage retrieval grouped by document."""

from __future__ import annotations

from typing import Any

from haystack import component
from qdrant_client import models

from search_api.facets import FACET_PAYLOAD
from search_api.searcher import GROUPING_FIELDS, Mode, RankedDocuments, Searcher, group_by_document

CANDIDATE_FIELDS = sorted(set(GROUPING_FIELDS) | set(FACET_PAYLOAD))


@component
class DocumentRetriever:
    """Every document owning one of the best passages (up to `candidates` per retrieval list) after filters.

    Candidates carry only the fields grouping, facets and the comune context need; the passages shown are fetched
    in full later, for the page only.
    """

    def __init__(self, searcher: Searcher, chunks_per_doc: int = 3) -> None:
        if not 1 <= chunks_per_doc <= 10:
            raise ValueError("chunks_per_doc deve essere tra 1 e 10")
        self.searcher, self.chunks_per_doc = searcher, chunks_per_doc

    @component.output_types(documents=RankedDocuments)
    def run(self, query: str, mode: str = Mode.hybrid.value, filters: models.Filter | None = None) -> dict[str, Any]:
        hits = self.searcher.search_chunks(query, Mode(mode), filters, self.searcher.candidates,
                                           payload=CANDIDATE_FIELDS)
        return {"documents": RankedDocuments(tuple(group_by_document(hits, self.chunks_per_doc)))}
