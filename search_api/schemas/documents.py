"""Documents: detail, similar documents, submissions and their status."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from kb.storage.schema import DocType
from search_api.schemas.common import ResultDocument
from search_api.uploads import JobState


class StoredPassage(BaseModel):
    chunk_index: int
    section: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    text: str


class CitedAct(BaseModel):
    reference: str = Field(description="Riferimento dell'atto citato, in forma canonica (es. D.Lgs. 199/2021)")
    key: str
    doc_id: str | None = Field(default=None, description="L'atto nell'archivio, se presente")
    title: str | None = None
    url: str | None = None


class CitingDocument(BaseModel):
    doc_id: str
    title: str | None = None
    doc_type: DocType | None = None
    url: str


class DocumentDetail(BaseModel):
    doc_id: str
    title: str | None = None
    doc_type: DocType | None = None
    bando_status: str | None = None
    metadata: dict[str, Any]
    chunks: int = Field(description="Numero di passaggi indicizzati")
    pages: int | None = Field(default=None, description="Ultima pagina citabile (documenti impaginati)")
    sections: list[str]
    passages: list[StoredPassage]
    url: str
    file_url: str
    similar_url: str
    cited_acts: list[CitedAct] = Field(default_factory=list, description="Atti normativi citati nel testo")
    cited_by: list[CitingDocument] = Field(default_factory=list,
                                           description="Per un atto normativo: i documenti che lo citano")


class SimilarResponse(BaseModel):
    doc_id: str | None = Field(default=None, description="Documento di partenza (se c'è)")
    keywords: str = Field(description="Parole caratteristiche usate per il confronto")
    total: int
    results: list[ResultDocument]


class ProjectMatches(BaseModel):
    keywords: str
    esperienze: list[ResultDocument] = Field(description="Buone pratiche e progetti più simili")
    bandi: list[ResultDocument] = Field(description="Bandi aperti pertinenti (e, se indicati, accessibili al comune)")
    warnings: list[str] = Field(default_factory=list, description="Avvisi sulla lettura del file (es. pagine "
                                "scansionate non lette: l'OCR qui è limitato)")


class SubmissionStatus(BaseModel):
    doc_id: str
    status: JobState = Field(description="in_coda, in_elaborazione, indicizzato, invariato, duplicato, scartato")
    filename: str | None = None
    submitted_at: str | None = None
    finished_at: str | None = None
    chunks: int = Field(default=0, description="Frammenti indicizzati del documento: per invariato quelli già in "
                        "archivio, per scartato quelli della versione precedente che resta consultabile (0: nessuna)")
    code: str | None = Field(default=None, description="Codice del problema, se scartato o duplicato")
    message: str | None = None
    warnings: list[str] | None = None
    kept_version: str | None = Field(default=None, description="Se l'invio sostituiva un documento ed è stato "
                                     "scartato: data (AAAA-MM-GG) della versione che resta in archivio")
    status_url: str
    url: str


class Deleted(BaseModel):
    doc_id: str
    deleted_chunks: int
