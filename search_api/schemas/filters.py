"""The filters users set (API, web pages), with the limits the OpenAPI spec declares."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.json_schema import JsonDict

from kb.storage.filters import BandoStatus, SearchFilters
from kb.storage.schema import DocType, Level
from kb.text.territory import TERRITORY_FIELDS, canonical_values

_SDG_ITEMS: JsonDict = {"items": {"type": "integer", "minimum": 1, "maximum": 17}}
_VALUE_ITEMS: JsonDict = {"items": {"type": "string", "maxLength": 120}}


class FilterParams(BaseModel):
    """The filters users set (API, web pages, CLI): values of one field are alternatives (OR), different fields
    must all hold (AND)."""

    model_config = ConfigDict(extra="forbid")

    doc_type: list[DocType] = Field(default_factory=list, max_length=4,
                                    description="buona_pratica, progetto, normativa, bando")
    sdg: list[int] = Field(default_factory=list, max_length=17, description="Obiettivi Agenda 2030 (1-17)",
                           json_schema_extra=_SDG_ITEMS)
    theme: list[str] = Field(default_factory=list, max_length=20, description="Temi (es. energia-cer, mobilita)",
                             json_schema_extra=_VALUE_ITEMS)
    regione: list[str] = Field(default_factory=list, max_length=30, json_schema_extra=_VALUE_ITEMS)
    provincia: list[str] = Field(default_factory=list, max_length=120, json_schema_extra=_VALUE_ITEMS)
    comune: list[str] = Field(default_factory=list, max_length=50, json_schema_extra=_VALUE_ITEMS)
    population_band: list[str] = Field(default_factory=list, max_length=10, description="Fascia di popolazione",
                                       json_schema_extra=_VALUE_ITEMS)
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
    def _short_values(cls, value: list[str], info: ValidationInfo) -> list[str]:
        """Trimmed, blanks dropped; places in the spelling the index stores (the pages show them selected)."""
        if any(len(v) > 120 for v in value):
            raise ValueError("valore troppo lungo (massimo 120 caratteri)")
        if info.field_name in TERRITORY_FIELDS:
            return canonical_values(info.field_name, value)
        return [v.strip() for v in value if v.strip()]

    @model_validator(mode="after")
    def _years(self) -> FilterParams:
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise ValueError("year_from è successivo a year_to")
        return self

    def to_filters(self, **extra: Any) -> SearchFilters:
        """The retrieval core's filters: these, plus the ones the service sets (`extra`)."""
        return SearchFilters.model_validate({**self.model_dump(include=set(FilterParams.model_fields)), **extra})
