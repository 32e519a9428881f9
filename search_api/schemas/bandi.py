"""/bandi: funding calls with their status today, and eligibility filters ("bandi per il mio comune")."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from kb.storage.filters import BandoStatus
from kb.storage.schema import BENEFICIARIES
from search_api.schemas.common import Passage

Sdg = Annotated[int, Field(ge=1, le=17)]
ShortValue = Annotated[str, Field(max_length=120)]


class BandiOrder(StrEnum):
    scadenza = "scadenza"
    pertinenza = "pertinenza"


class BandiRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(default=None, max_length=500, description="Argomento (facoltativo), in italiano")
    status: list[BandoStatus] = Field(default_factory=list, max_length=3,
                                      description="aperto, in_arrivo, scaduto; vuoto = tutti")
    beneficiary: list[str] = Field(default_factory=list, max_length=11,
                                   description="Tipo di ente beneficiario (es. comuni, unioni_di_comuni)",
                                   json_schema_extra={"items": {"type": "string", "enum": list(BENEFICIARIES)}})
    population: int | None = Field(default=None, ge=1, le=10_000_000,
                                   description="Abitanti del proprio comune: esclude i bandi con un tetto inferiore")
    regione: str | None = Field(default=None, max_length=60,
                                description="Regione del comune: i suoi bandi regionali e quelli nazionali/UE")
    theme: list[ShortValue] = Field(default_factory=list, max_length=20)
    sdg: list[Sdg] = Field(default_factory=list, max_length=17, description="Obiettivi Agenda 2030 (1-17)")
    order: BandiOrder | None = Field(default=None, description="scadenza (senza q) o pertinenza (con q)")
    page: int = Field(default=1, ge=1, le=50)
    page_size: int = Field(default=20, ge=1, le=100)


class BandoItem(BaseModel):
    doc_id: str
    title: str | None = None
    status: BandoStatus | None = None
    days_left: int | None = Field(default=None, description="Giorni alla scadenza (bandi aperti)")
    issuer: str | None = None
    regione: str | None = None
    opening_date: dt.date | None = None
    deadline: dt.date | None = None
    budget: float | None = None
    beneficiaries: list[str] = Field(default_factory=list)
    population_cap: int | None = None
    themes: list[str] = Field(default_factory=list)
    sdg: list[int] = Field(default_factory=list)
    summary: str | None = None
    destinatari: str | None = Field(default=None, description="Destinatari come li scrive la fonte (dati aperti)")
    stato_fonte: str | None = Field(default=None, description="Stato secondo la fonte, con la data di rilevazione")
    fonte: str | None = Field(default=None, description="Fonte dei dati aperti (es. Italia Domani)")
    url_fonte: str | None = Field(default=None, description="Il bando alla fonte")
    score: float | None = None
    passages: list[Passage] = Field(default_factory=list)
    url: str
    file_url: str


class BandiResponse(BaseModel):
    today: dt.date = Field(description="Data rispetto alla quale è calcolato lo stato")
    total: int
    page: int
    page_size: int
    counts: dict[str, int] = Field(description="Bandi per stato, con gli altri filtri applicati")
    results: list[BandoItem]
