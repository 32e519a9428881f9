"""Facet counts over the documents of the result set (all pages)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from haystack import component

from search_api.facets import count_facets
from search_api.searcher import RankedDocuments


@component
class FacetCounter:
    def __init__(self, max_values: int = 50) -> None:
        if max_values < 1:
            raise ValueError("max_values deve essere >= 1")
        self.max_values = max_values

    @component.output_types(facets=dict, total=int)
    def run(self, documents: RankedDocuments, today: dt.date) -> dict[str, Any]:
        return {"facets": count_facets((d.payload for d in documents.documents), today, self.max_values),
                "total": len(documents)}
