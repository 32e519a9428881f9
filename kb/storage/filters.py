"""Search filters -> one Qdrant filter (the same for both backends and every caller of the retrieval core)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from qdrant_client import models

from kb.storage.schema import DocType, Level, encode_flag
from kb.text.territory import canonical_regione, canonical_values


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


class SearchFilters(BaseModel):
    """Filters of one search: values of one field are alternatives (OR), different fields must all hold (AND).

    The user's filters (the API's `FilterParams` declares their public limits) plus those the service sets itself:
    eligibility of calls for a comune (`beneficiary`, `population`, `eligible_regione`) and statuses read in the
    question (`calls_in_status`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    doc_type: list[DocType] = Field(default_factory=list)
    sdg: list[int] = Field(default_factory=list)
    theme: list[str] = Field(default_factory=list)
    regione: list[str] = Field(default_factory=list)
    provincia: list[str] = Field(default_factory=list)
    comune: list[str] = Field(default_factory=list)
    population_band: list[str] = Field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    bando_status: list[BandoStatus] = Field(default_factory=list)
    level: list[Level] = Field(default_factory=list)
    in_force: bool | None = None
    beneficiary: list[str] = Field(default_factory=list)
    population: int | None = Field(default=None, description="comune eligible by size")
    eligible_regione: str | None = Field(default=None, description="calls of this regione or of none (national)")
    calls_in_status: list[BandoStatus] = Field(default_factory=list,
                                               description="funding calls only in these statuses; other types stay")

    @field_validator("regione", "provincia", "comune")
    @classmethod
    def _territories(cls, value: list[str], info: ValidationInfo) -> list[str]:
        """The spelling documents are stored in (kb/text/territory.py): `lombardia` finds `Lombardia`."""
        return canonical_values(str(info.field_name), value)

    @field_validator("eligible_regione")
    @classmethod
    def _eligible_regione(cls, value: str | None) -> str | None:
        return (canonical_regione(value) or None) if value else None

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
        if self.eligible_regione:
            # a call of the comune's regione, or one with no regione (national, European)
            must.append(models.Filter(should=[
                models.FieldCondition(key="regione", match=models.MatchValue(value=self.eligible_regione)),
                models.IsNullCondition(is_null=models.PayloadField(key="regione")),
                models.IsEmptyCondition(is_empty=models.PayloadField(key="regione")),
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
