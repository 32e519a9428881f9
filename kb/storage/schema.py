"""The index schema: document metadata, chunk payload, vectors and payload indexes.

Ingestion validates metadata with these models, backends create the collection from these constants and the
search service filters on these field names. Changing a field here changes it everywhere.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from kb.text.territory import canonical

DENSE_VECTOR = "dense"
SPARSE_VECTOR = "bm25"
CHUNK_NAMESPACE = uuid.UUID("6f1c1d8e-4a8b-4f43-9a53-6d0b8e0c2a17")


class DocType(StrEnum):
    buona_pratica = "buona_pratica"
    progetto = "progetto"
    normativa = "normativa"
    bando = "bando"


class Level(StrEnum):
    UE = "UE"
    nazionale = "nazionale"
    regionale = "regionale"


BENEFICIARIES = (
    "comuni",
    "unioni_di_comuni",
    "comunita_montane",
    "province",
    "citta_metropolitane",
    "enti_pubblici",
    "scuole",
    "imprese",
    "enti_terzo_settore",
    "cittadini",
    "cer",
)


@lru_cache(maxsize=1)
def theme_labels() -> dict[str, str]:
    """Theme taxonomy (slug -> Italian label) from the data file experts edit."""
    text = resources.files("kb.data").joinpath("themes.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


class DeclaredMetadata(BaseModel):
    """Metadata of one document, as declared in front matter, a sidecar file, the CLI or the API. The type may be
    left out: ingestion then infers it from the text (`ingest/enrich/doctype.py`) or refuses the file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    doc_id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9._-]{0,127}$")
    title: str | None = Field(default=None, min_length=1, max_length=300)
    doc_type: DocType | None = None
    language: str = Field(default="it", pattern=r"^[a-z]{2}$")
    summary: str | None = Field(default=None, max_length=1000)
    sdg: list[int] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)
    year: int | None = Field(default=None, ge=1900, le=2100)
    date: dt.date | None = None
    illustrativo: bool = False
    comune: str | None = Field(default=None, max_length=120)
    provincia: str | None = Field(default=None, max_length=120)
    regione: str | None = Field(default=None, max_length=120)
    popolazione: int | None = Field(default=None, ge=0, le=100_000_000)
    # normativa
    level: Level | None = None
    reference: str | None = Field(default=None, max_length=200)
    act_date: dt.date | None = None
    in_force: bool | None = None
    # bando
    issuer: str | None = Field(default=None, max_length=200)
    opening_date: dt.date | None = None
    deadline: dt.date | None = None
    budget: float | None = Field(default=None, ge=0)
    beneficiaries: list[str] = Field(default_factory=list)
    population_cap: int | None = Field(default=None, ge=0)
    destinatari: str | None = Field(default=None, max_length=500, description="Destinatari come li scrive la fonte")
    stato_fonte: str | None = Field(default=None, max_length=300, description="Stato del bando secondo la fonte")
    # records imported from public open data (`kb import`): where they come from, as the source publishes them
    fonte: str | None = Field(default=None, max_length=200)
    fonte_rilascio: dt.date | None = Field(default=None, description="Rilascio della fonte di questa versione")
    url_fonte: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")
    dataset: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    titolo_originale: str | None = Field(default=None, max_length=1000)
    # progetto PNRR
    cup: str | None = Field(default=None, pattern=r"^[A-Z0-9]{15}$")
    missione: str | None = Field(default=None, max_length=10)
    componente: str | None = Field(default=None, max_length=20)
    misura: str | None = Field(default=None, max_length=40)
    misura_descrizione: str | None = Field(default=None, max_length=400)
    submisure: list[str] = Field(default_factory=list, max_length=50)
    amministrazione_titolare: str | None = Field(default=None, max_length=300)
    soggetto_attuatore: str | None = Field(default=None, max_length=300)
    importo_pnrr: float | None = Field(default=None, ge=0)
    importo_totale: float | None = Field(default=None, ge=0)
    localizzazioni: list[str] = Field(default_factory=list, max_length=500)
    sdg_prevalente: int | None = Field(default=None, ge=1, le=17)

    @field_validator("sdg")
    @classmethod
    def _sdg_range(cls, value: list[int]) -> list[int]:
        wrong = [n for n in value if not 1 <= n <= 17]
        if wrong:
            raise ValueError(f"gli SDG vanno da 1 a 17, non {wrong}")
        return sorted(set(value))

    @field_validator("themes")
    @classmethod
    def _known_themes(cls, value: list[str]) -> list[str]:
        known = theme_labels()
        wrong = [t for t in value if t not in known]
        if wrong:
            raise ValueError(f"temi sconosciuti {wrong}; validi: {', '.join(known)}")
        return list(dict.fromkeys(value))

    @field_validator("comune", "provincia", "regione")
    @classmethod
    def _territory(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Stored in the spelling filters look for (kb/text/territory.py); a blank value is no value."""
        if value is None:
            return None
        return canonical(str(info.field_name), value) or None

    @field_validator("beneficiaries")
    @classmethod
    def _known_beneficiaries(cls, value: list[str]) -> list[str]:
        wrong = [b for b in value if b not in BENEFICIARIES]
        if wrong:
            raise ValueError(f"beneficiari sconosciuti {wrong}; validi: {', '.join(BENEFICIARIES)}")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.opening_date and self.deadline and self.opening_date > self.deadline:
            raise ValueError("opening_date è successiva a deadline")
        if self.year is None:
            for candidate in (self.date, self.act_date, self.deadline):
                if candidate:
                    self.year = candidate.year
                    break
        return self


class DocumentMetadata(DeclaredMetadata):
    """Metadata of a document whose type is known: declared, or inferred by ingestion."""

    doc_type: DocType


# Payload fields with an index: (field, kind). Kinds map to Qdrant payload schema types in each backend.
PAYLOAD_INDEXES: tuple[tuple[str, str], ...] = (
    ("doc_id", "keyword"),
    ("content_hash", "keyword"),
    ("version", "keyword"),
    ("doc_type", "keyword"),
    ("sdg", "integer"),
    ("themes", "keyword"),
    ("comune", "keyword"),
    ("provincia", "keyword"),
    ("regione", "keyword"),
    ("popolazione", "integer"),
    ("population_band", "keyword"),
    ("year", "integer"),
    ("level", "keyword"),
    ("in_force", "keyword"),
    ("beneficiaries", "keyword"),
    ("population_cap", "integer"),
    ("deadline", "datetime"),
    ("opening_date", "datetime"),
    ("illustrativo", "keyword"),
    ("extracted_fields", "keyword"),
    ("cited_acts", "keyword"),
    ("reference_key", "keyword"),
    ("dataset", "keyword"),
    ("cup", "keyword"),
    ("missione", "keyword"),
    ("misura", "keyword"),
)

POPULATION_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("fino a 1.000", 0, 1_000),
    ("1.001-5.000", 1_001, 5_000),
    ("5.001-20.000", 5_001, 20_000),
    ("20.001-100.000", 20_001, 100_000),
    ("oltre 100.000", 100_001, None),
)


def population_band(population: int | None) -> str | None:
    if population is None:
        return None
    for label, low, high in POPULATION_BANDS:
        if population >= low and (high is None or population <= high):
            return label
    return None


def chunk_point_id(doc_id: str, version: str, chunk_index: int) -> str:
    """Deterministic id: the same version of a document (file bytes, metadata, pipeline, model) always yields the
    same chunk ids."""
    return str(uuid.uuid5(CHUNK_NAMESPACE, f"{doc_id}:{version}:{chunk_index}"))


# Yes/no fields are stored as keywords: qdrant-edge-py 0.9 passes Python booleans to the engine as integers, so a
# boolean match never hits on Edge (found by the congruence suite). Keywords behave the same on both backends.
FLAG_FIELDS = ("in_force", "illustrativo")


def encode_flag(value: bool) -> str:
    return "si" if value else "no"


def decode_flags(payload: dict[str, Any]) -> dict[str, Any]:
    """Payload as users see it: yes/no fields back to booleans."""
    return {k: (v == "si" if k in FLAG_FIELDS and isinstance(v, str) else v) for k, v in payload.items()}


def metadata_payload(meta: DeclaredMetadata) -> dict[str, Any]:
    """Document metadata as stored on every chunk (JSON-friendly, derived fields added); a type left out is None
    until ingestion infers it."""
    data = meta.model_dump(mode="json", exclude={"doc_id"})
    data["population_band"] = population_band(meta.popolazione)
    for key in FLAG_FIELDS:
        if isinstance(data.get(key), bool):
            data[key] = encode_flag(data[key])
    return data
