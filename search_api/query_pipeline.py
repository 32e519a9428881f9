"""The search service's Haystack query pipeline.

    retriever (passages -> documents) -> context ranker ("comuni come il mio") -> facets
                                                                              \\-> pager (snippets, citations)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from haystack import Pipeline
from haystack.core.errors import PipelineRuntimeError
from qdrant_client import models

from search_api.components.commune_context_ranker import CommuneContextRanker
from search_api.components.document_retriever import DocumentRetriever
from search_api.components.facet_counter import FacetCounter
from search_api.components.result_pager import ResultPager
from search_api.context import CommuneContext
from search_api.highlight import Highlighter
from search_api.searcher import Mode, Searcher


@dataclass
class SearchOutcome:
    results: list[dict[str, Any]]
    total: int
    facets: dict[str, list[dict[str, Any]]]


def build_query_pipeline(searcher: Searcher, highlighter: Highlighter, *, size_weight: float = 0.3,
                         area_weight: float = 0.2, chunks_per_doc: int = 3) -> Pipeline:
    pipeline = Pipeline()
    pipeline.add_component("retriever", DocumentRetriever(searcher, chunks_per_doc))
    pipeline.add_component("ranker", CommuneContextRanker(size_weight, area_weight))
    pipeline.add_component("facets", FacetCounter())
    pipeline.add_component("pager", ResultPager(searcher.backend, highlighter))
    pipeline.connect("retriever.documents", "ranker.documents")
    pipeline.connect("ranker.documents", "facets.documents")
    pipeline.connect("ranker.documents", "pager.documents")
    return pipeline


def run_search(pipeline: Pipeline, query: str, *, mode: Mode, filters: models.Filter | None, today: dt.date,
               offset: int, limit: int, base_url: str, context: CommuneContext | None = None) -> SearchOutcome:
    try:
        out = pipeline.run({
            "retriever": {"query": query, "mode": mode.value, "filters": filters},
            "ranker": {"context": context},
            "facets": {"today": today},
            "pager": {"query": query, "today": today, "offset": offset, "limit": limit, "base_url": base_url},
        })
    except PipelineRuntimeError as exc:  # the component's own error (e.g. index unavailable) is what callers map
        raise (exc.__cause__ or exc) from None
    return SearchOutcome(out["pager"]["results"], out["facets"]["total"], out["facets"]["facets"])
