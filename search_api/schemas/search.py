"""/search request and response. The same request model serves GET (query string) and POST (JSON body)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, field_validator

from kb.search import CommuneContext, Mode
from kb.search import SearchRequest as CoreRequest
from search_api.schemas.common import FacetValue, ResultDocument
from search_api.schemas.filters import FilterParams

MAX_PAGE_SIZE = 50
MAX_PAGE = 50


class SearchRequest(FilterParams):
    q: str = Field(min_length=1, max_length=500, description="Domanda o parole chiave, in italiano")
    mode: Mode = Field(default=Mode.hybrid, description="hybrid (predefinito), lexical o semantic")
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=10, ge=1, le=MAX_PAGE_SIZE)
    context_population: int | None = Field(default=None, ge=1, le=10_000_000,
                                           description="'Comuni come il mio': abitanti del proprio comune")
    context_regione: str | None = Field(default=None, max_length=60,
                                        description="'Comuni come il mio': regione del proprio comune")
    interpret: bool = Field(default=True, description="Riconoscere nella domanda lo stato dei bandi ('bandi aperti')")

    @field_validator("q")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("la domanda è vuota")
        return value.strip()

    def context(self) -> CommuneContext | None:
        ctx = CommuneContext(self.context_population, (self.context_regione or "").strip() or None)
        return None if ctx.empty else ctx

    def to_core(self, today: dt.date) -> CoreRequest:
        """The retrieval core's request for this page."""
        return CoreRequest(self.q, self.mode, self.to_filters(), self.context(), self.interpret,
                           offset=(self.page - 1) * self.page_size, limit=self.page_size, today=today)


class SearchResponse(BaseModel):
    query: str
    mode: Mode
    total: int = Field(description="Documenti nel risultato (tutte le pagine)")
    page: int
    page_size: int
    results: list[ResultDocument]
    facets: dict[str, list[FacetValue]] = Field(description="Conteggi per valore, sui documenti del risultato")
    context_applied: bool = Field(description="Vero se 'comuni come il mio' ha riordinato le esperienze")
    interpreted: dict[str, list[str]] = Field(
        default_factory=dict, description="Filtri letti nella domanda (es. bando_status: aperto per 'bandi aperti')")
