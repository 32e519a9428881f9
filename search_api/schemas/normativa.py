"""/normativa/overview: the rules on a topic, grouped by level, with their best cited passages."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kb.storage.schema import Level
from kb.text.territory import canonical_regione
from search_api.schemas.common import Passage


class ExportFormat(StrEnum):
    json = "json"
    markdown = "markdown"
    csv = "csv"


class OverviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str = Field(min_length=2, max_length=300, description="Argomento, in italiano (es. comunità energetiche)")
    level: list[Level] = Field(default_factory=list, max_length=3)
    in_force: bool | None = Field(default=None, description="Solo in vigore (true) o solo abrogati (false)")
    regione: str | None = Field(default=None, max_length=60,
                                description="Per il livello regionale: solo gli atti di questa regione")
    per_level: int = Field(default=10, ge=1, le=50, description="Atti al massimo per livello")
    passages: int = Field(default=2, ge=1, le=3, description="Passaggi citati per atto")
    format: ExportFormat = Field(default=ExportFormat.json, description="json, markdown o csv")

    @field_validator("regione")
    @classmethod
    def _regione(cls, value: str | None) -> str | None:
        """The spelling acts are stored in (kb/text/territory.py): `veneto` keeps the acts of `Veneto`."""
        return (canonical_regione(value) or None) if value else None


class Act(BaseModel):
    doc_id: str
    title: str | None = None
    reference: str | None = Field(default=None, description="Estremi dell'atto (es. D.Lgs. 199/2021)")
    act_date: dt.date | None = None
    in_force: bool | None = None
    issuer: str | None = None
    regione: str | None = None
    score: float
    passages: list[Passage]
    url: str
    file_url: str


class LevelGroup(BaseModel):
    level: Level
    label: str
    acts: list[Act]


class OverviewResponse(BaseModel):
    topic: str
    generated_on: dt.date
    total: int
    levels: list[LevelGroup] = Field(description="UE, poi nazionale, poi regionale; livelli senza atti omessi")
