"""User-facing search filters -> one Qdrant filter (the same for both backends, the API, the CLI and the UI)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import JsonDict
from qdrant_client import models

from kb.index.schema import DocType, Level, encode_flag


class BandoStatus(StrEnum):
    aperto = "aperto"
    in_arrivo = "in_arrivo"
    scaduto = "scaduto"


def bando_status(opening: dt.date | None, deadline: dt.date | None, today: dt.date) -> BandoStatus | None:
    if deadline is not None and deadline < today:
        return BandoStatus.scaduto
    if opening is not None and opening > today:
        return BandoStatus.in_arrivo
    if deadline is None and opening is None:
        return None
    return BandoStatus.aperto


# What the validators below enforce on each value, stated in the JSON schema too (the OpenAPI spec of the service)
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
    def _short_values(cls, value: list[str]) -> list[str]:
        if any(len(v) > 120 for v in value):
            raise ValueError("valore troppo lungo (massimo 120 caratteri)")
        return [v.strip() for v in value if v.strip()]

    @model_validator(mode="after")
    def _years(self) -> FilterParams:
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise ValueError("year_from è successivo a year_to")
        return self


class SearchFilters(FilterParams):
    """The user's filters plus those the service sets itself (eligibility of calls, statuses read in the question)."""

    beneficiary: list[str] = Field(default_factory=list, max_length=11)
    population: int | None = Field(default=None, ge=0, le=100_000_000, description="comune eligible by size")
    calls_in_status: list[BandoStatus] = Field(default_factory=list, max_length=3,
                                               description="funding calls only in these statuses; other types stay")

    def to_qdrant(self, today: dt.date | None = None) -> models.Filter | None:
        must: list[models.Condition] = []
        keywords: dict[str, list[str]] = {
            "doc_type": [d.value for d in self.doc_type], "themes": self.theme, "regione": self.regione,
            "provincia": self.provincia, "comune": self.comune, "population_band": self.population_band,
            "level": [lv.value for lv in self.level], "beneficiaries": self.beneficiary,
        }
        for key, values in keywords.items():
            if values:
                must.append(models.FieldCondition(key=key, match=models.MatchAny(any=values)))
        if self.sdg:
            must.append(models.FieldCondition(key="sdg", match=models.MatchAny(any=self.sdg)))
        if self.year_from is not None or self.year_to is not None:
            must.append(models.FieldCondition(key="year", range=models.Range(gte=self.year_from, lte=self.year_to)))
        if self.in_force is not None:
            flag = encode_flag(self.in_force)
            must.append(models.FieldCondition(key="in_force", match=models.MatchValue(value=flag)))
        if self.bando_status:
            must.append(_status_filter(self.bando_status, today or dt.date.today()))
        if self.calls_in_status:
            must.append(models.Filter(should=[
                models.Filter(must_not=[models.FieldCondition(key="doc_type", match=models.MatchValue(value="bando"))]),
                _status_filter(self.calls_in_status, today or dt.date.today()),
            ]))
        if self.population is not None:
            # no cap, or a cap the comune fits under
            must.append(models.Filter(should=[
                models.IsNullCondition(is_null=models.PayloadField(key="population_cap")),
                models.IsEmptyCondition(is_empty=models.PayloadField(key="population_cap")),
                models.FieldCondition(key="population_cap", range=models.Range(gte=self.population)),
            ]))
        return models.Filter(must=must) if must else None


def _status_filter(statuses: list[BandoStatus], day: dt.date) -> models.Filter:
    """Calls in any of `statuses` on `day`, as `bando_status()` labels them (results, facets): a call with only a
    deadline, or only an opening date, has a status too; documents that are not calls have none."""
    expired = models.FieldCondition(key="deadline", range=models.DatetimeRange(lt=day))
    upcoming = models.FieldCondition(key="opening_date", range=models.DatetimeRange(gt=day))
    by_status: dict[BandoStatus, models.Condition] = {
        BandoStatus.scaduto: expired,
        BandoStatus.in_arrivo: models.Filter(must=[upcoming], must_not=[expired]),
        # neither expired nor upcoming, and at least one date (then the ones present bracket the day)
        BandoStatus.aperto: models.Filter(must_not=[expired, upcoming], should=[
            models.FieldCondition(key="opening_date", range=models.DatetimeRange(lte=day)),
            models.FieldCondition(key="deadline", range=models.DatetimeRange(gte=day)),
        ]),
    }
    call = models.FieldCondition(key="doc_type", match=models.MatchValue(value="bando"))
    return models.Filter(must=[call], should=[by_status[s] for s in statuses])
