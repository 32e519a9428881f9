"""/search request and response. The same request model serves GET (query string) and POST (JSON body)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kb.index.filters import BandoStatus, SearchFilters
from kb.index.schema import DocType, Level
from search_api.context import CommuneContext
from search_api.query_intent import call_statuses
from search_api.schemas.common import FacetValue, ResultDocument
from search_api.searcher import Mode

MAX_PAGE_SIZE = 50
MAX_PAGE = 50


class FilterParams(BaseModel):
    """Filters: values of one field are alternatives (OR), different fields must all hold (AND)."""

    model_config = ConfigDict(extra="forbid")

    doc_type: list[DocType] = Field(default_factory=list, max_length=4,
                                    description="buona_pratica, progetto, normativa, bando")
    sdg: list[int] = Field(default_factory=list, max_length=17, description="Obiettivi Agenda 2030 (1-17)")
    theme: list[str] = Field(default_factory=list, max_length=20, description="Temi (es. energia-cer, mobilita)")
    regione: list[str] = Field(default_factory=list, max_length=30)
    provincia: list[str] = Field(default_factory=list, max_length=120)
    comune: list[str] = Field(default_factory=list, max_length=50)
    population_band: list[str] = Field(default_factory=list, max_length=10, description="Fascia di popolazione")
    year_from: int | None = Field(default=None, ge=1900, le=2100, description="Anno minimo")
    year_to: int | None = Field(default=None, ge=1900, le=2100, description="Anno massimo")
    bando_status: list[BandoStatus] = Field(default_factory=list, max_length=3,
                                            description="Bandi: aperto, in_arrivo, scaduto (a oggi)")
    level: list[Level] = Field(default_factory=list, max_length=3, description="Normativa: UE, nazionale, regionale")
    in_force: bool | None = Field(default=None, description="Normativa: solo in vigore (true) o abrogata (false)")

    @field_validator("sdg")
    @classmethod
    def _sdg_range(cls, value: list[int]) -> list[int]:
        if any(not 1 <= n <= 17 for n in value):
            raise ValueError("gli SDG vanno da 1 a 17")
        return value

    @field_validator("theme", "regione", "provincia", "comune", "population_band")
    @classmethod
    def _short_values(cls, value: list[str]) -> list[str]:
        if any(len(v) > 120 for v in value):
            raise ValueError("valore troppo lungo (massimo 120 caratteri)")
        return [v.strip() for v in value if v.strip()]

    @model_validator(mode="after")
    def _years(self) -> FilterParams:
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise ValueError("year_from è successivo a year_to")
        return self

    def to_filters(self) -> SearchFilters:
        return SearchFilters.model_validate(self.model_dump())


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

    def interpreted_statuses(self) -> list[BandoStatus]:
        """Call statuses read from the question, unless the request filters on status itself or opts out."""
        return call_statuses(self.q) if self.interpret and not self.bando_status else []

    def to_filters(self) -> SearchFilters:
        filters = SearchFilters.model_validate(self.model_dump(include=set(FilterParams.model_fields)))
        return filters.model_copy(update={"calls_in_status": self.interpreted_statuses()})


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
