"""What goes into the retrieval core and what comes out: one typed request, one typed page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kb.search.context import CommuneContext
from kb.search.highlight import Snippet
from kb.search.probe import Probe
from kb.storage.filters import SearchFilters


class Mode(StrEnum):
    hybrid = "hybrid"
    lexical = "lexical"
    semantic = "semantic"


class Order(StrEnum):
    relevance = "relevance"
    deadline = "deadline"  # funding calls: open ones closing soonest first (kb/search/calls.py)


@dataclass(frozen=True)
class SearchRequest:
    """A question (or a probe: a document or text described by its own vectors) and how to answer it.

    `interpret` reads call statuses in the question ("bandi aperti") unless the filters set a status. `passages`
    False answers with ids and scores only (the ranking is the same; the page's passages are not fetched). `facets`
    False counts none: a caller that shows no facets saves their cost (one more retrieval per filtered facet).
    """

    query: str | Probe
    mode: Mode = Mode.hybrid
    filters: SearchFilters | None = None
    context: CommuneContext | None = None
    interpret: bool = True
    offset: int = 0
    limit: int = 10
    order: Order = Order.relevance
    passages_per_doc: int = 3
    passages: bool = True
    exclude_doc_id: str | None = None
    today: dt.date | None = None
    facets: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.query, str) and not self.query.strip():
            raise ValueError("la domanda è vuota")
        if isinstance(self.query, Probe) and self.mode is not Mode.hybrid:
            raise ValueError("un documento di confronto si cerca solo in modalità ibrida")
        if self.offset < 0 or self.limit < 1:
            raise ValueError("offset deve essere >= 0 e limit >= 1")
        if not 1 <= self.passages_per_doc <= 10:
            raise ValueError("passages_per_doc deve essere tra 1 e 10")

    @property
    def text(self) -> str:
        """The words results are highlighted for: the question, or a probe's top words."""
        return self.query.keywords if isinstance(self.query, Probe) else self.query


@dataclass(frozen=True)
class ShownPassage:
    score: float
    payload: dict[str, Any]
    snippet: Snippet | None = None  # None when the request asked for no passages


@dataclass(frozen=True)
class FoundDocument:
    doc_id: str
    score: float
    payload: dict[str, Any]  # the document's metadata, as its best passage carries it
    passages: list[ShownPassage] = field(default_factory=list)
    boost: float | None = None  # the "comuni come il mio" factor, when a context was given

    @property
    def pages(self) -> list[int]:
        pages = {p for c in self.passages for p in (c.payload.get("page_start"), c.payload.get("page_end")) if p}
        return sorted(pages)


@dataclass(frozen=True)
class SearchPage:
    documents: list[FoundDocument]
    total: int  # documents in the result set, all pages
    facets: dict[str, list[dict[str, Any]]]  # {facet: [{value, count, extracted}]} over the result set
    interpreted: dict[str, list[str]] = field(default_factory=dict)  # filters read in the question
    context_applied: bool = False
    lexical_scores: dict[str, float] = field(default_factory=dict)  # doc id -> best raw BM25 among candidates
    today: dt.date | None = None
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per step of the core, in order
