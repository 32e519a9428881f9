"""Requests and answers of `/raccolte`, with their limits declared (so in the OpenAPI spec), and the JSON export.

The export is also a valid creation body: posting an exported file to `POST /raccolte` re-imports it (a new id and a
new edit key; the snapshots kept as they were).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

COLLECTION_ID = r"^[A-Za-z0-9_-]{8,32}$"
DOC_ID = r"^[a-z0-9][a-z0-9._-]{0,127}$"
MAX_ITEMS = 200  # items per collection
MAX_PASSAGES = 20  # chosen passages per item
EXPORT_FORMAT: Literal["kb-raccolta"] = "kb-raccolta"
EXPORT_VERSION = 1
ItemStatus = Literal["presente", "eliminato", "sostituito"]
ChunkIndex = Annotated[int, Field(ge=0, le=100_000)]


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# the export (and the import)

class ExportedPassage(_Strict):
    text: str = Field(min_length=1, max_length=20_000)
    page_start: int | None = Field(default=None, ge=1, le=100_000)
    page_end: int | None = Field(default=None, ge=1, le=100_000)
    section: str | None = Field(default=None, max_length=500)
    chunk_id: str | None = Field(default=None, max_length=100)


class ExportedItem(_Strict):
    doc_id: str = Field(pattern=DOC_ID, max_length=128)
    title: str = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=2000)
    passages: list[ExportedPassage] = Field(default_factory=list, max_length=MAX_PASSAGES)
    metadata: dict[str, Any] = Field(default_factory=dict, description="Metadati del documento quando è stato "
                                     "aggiunto (istantanea)")
    doc_version: str | None = Field(default=None, max_length=128)
    content_hash: str | None = Field(default=None, max_length=128)
    added_at: dt.datetime | None = None
    missing_since: dt.date | None = Field(default=None, description="Da quando il documento non è più in archivio")


class CollectionExport(_Strict):
    format: Literal["kb-raccolta"] = EXPORT_FORMAT
    format_version: int = EXPORT_VERSION
    title: str
    intro: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    exported_at: dt.datetime
    items: list[ExportedItem]


# requests

class CollectionCreate(_Strict):
    """A new collection: a title, maybe an introduction; `items` only when re-importing an export."""

    title: str = Field(min_length=1, max_length=200, description="Titolo della raccolta")
    intro: str | None = Field(default=None, max_length=4000, description="Breve introduzione")
    items: list[ExportedItem] = Field(default_factory=list, max_length=MAX_ITEMS,
                                      description="Voci di una raccolta esportata (re-importazione)")
    # the export's own fields, accepted so an exported file can be posted as it is, and otherwise ignored
    format: Literal["kb-raccolta"] | None = None
    format_version: int | None = Field(default=None, ge=1, le=EXPORT_VERSION,
                                       description="Versione del formato di esportazione (file più recenti: "
                                                   "aggiornare il servizio)")
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    exported_at: dt.datetime | None = None

    _strip = field_validator("title", "intro", mode="before")(_stripped)


class CollectionPatch(_Strict):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    intro: str | None = Field(default=None, max_length=4000, description="Testo vuoto: toglie l'introduzione")

    _strip = field_validator("title", "intro", mode="before")(_stripped)


class ItemAdd(_Strict):
    doc_id: str = Field(pattern=DOC_ID, max_length=128, description="Documento da aggiungere")
    passages: list[ChunkIndex] = Field(default_factory=list, max_length=MAX_PASSAGES,
                                       description="Passaggi scelti (chunk_index delle citazioni); il testo è copiato "
                                                   "dall'archivio")
    note: str | None = Field(default=None, max_length=2000)
    position: int | None = Field(default=None, ge=0, le=MAX_ITEMS, description="Posizione (0 = prima); "
                                 "predefinita: in fondo")

    _strip = field_validator("note", mode="before")(_stripped)

    @field_validator("passages")
    @classmethod
    def _once(cls, value: list[int]) -> list[int]:
        return list(dict.fromkeys(value))


class ItemPatch(_Strict):
    note: str | None = Field(default=None, max_length=2000, description="Testo vuoto: toglie la nota")
    position: int | None = Field(default=None, ge=0, le=MAX_ITEMS, description="Nuova posizione (0 = prima)")

    _strip = field_validator("note", mode="before")(_stripped)


# answers

class PassageOut(BaseModel):
    text: str
    page_start: int | None = None
    page_end: int | None = None
    section: str | None = None
    chunk_id: str | None = None
    url: str | None = Field(default=None, description="Il file originale, alla pagina del passaggio")


class ItemOut(BaseModel):
    id: int
    position: int = Field(description="Posizione nella raccolta (0 = prima)")
    doc_id: str
    title: str
    note: str | None = None
    passages: list[PassageOut]
    metadata: dict[str, Any] = Field(description="Metadati del documento quando è stato aggiunto")
    added_at: dt.datetime
    status: ItemStatus = Field(description="presente, eliminato (dall'archivio) o sostituito (da una versione "
                                           "più recente)")
    status_note: str | None = Field(default=None, description="Per le voci eliminate o sostituite: che cosa e "
                                                              "quando")
    url: str | None = Field(default=None, description="Scheda del documento (se ancora in archivio)")
    file_url: str | None = None


class CollectionOut(BaseModel):
    id: str
    title: str
    intro: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    count: int
    items: list[ItemOut]
    url: str = Field(description="La raccolta in JSON")
    page_url: str = Field(description="Link pubblico in sola lettura")
    export_url: str = Field(description="Esportazione in JSON (re-importabile con POST /raccolte)")
    dossier_urls: dict[str, str] = Field(description="Dossier in EPUB, PDF e DOCX")


class CollectionCreated(CollectionOut):
    edit_key: str = Field(description="Chiave di modifica: mostrata solo ora, va conservata (X-Collection-Key)")
    edit_url: str = Field(description="Link di modifica (la chiave è nel frammento #chiave=, che il browser non "
                                      "invia al server)")


class CollectionDeleted(BaseModel):
    id: str
    deleted: bool = True
