"""Response parts shared by every endpoint: documents, passages with citations, facets, errors."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, BeforeValidator, Field

from kb.storage.schema import DocType


class ErrorDetail(BaseModel):
    campo: str | None = Field(default=None, description="Parametro o campo interessato")
    messaggio: str


class ErrorInfo(BaseModel):
    code: str = Field(description="Codice macchina stabile (es. richiesta_non_valida, indice_non_disponibile)")
    message: str = Field(description="Spiegazione in italiano")
    details: list[ErrorDetail] = Field(default_factory=list)
    request_id: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorInfo


class Citation(BaseModel):
    """Where a passage comes from: the file and its pages, with a link that opens the original there."""

    doc_id: str
    title: str | None = None
    source: str | None = Field(default=None, description="Nome del file originale")
    section: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    chunk_index: int | None = Field(default=None, description="Il passaggio nel documento (per aggiungerlo a una "
                                                              "raccolta: POST /raccolte/{id}/voci)")
    url: str | None = Field(default=None, description="Link al file originale, aperto alla pagina citata")


class Passage(BaseModel):
    text: str = Field(description="Estratto del passaggio; '…' dove è tagliato")
    html: str = Field(description="Estratto con i termini della domanda in <mark>, HTML già sicuro")
    highlights: list[tuple[int, int]] = Field(default_factory=list,
                                              description="Posizioni [inizio, fine) dei termini evidenziati")
    score: float
    citation: Citation


class ResultDocument(BaseModel):
    doc_id: str
    title: str | None = None
    doc_type: DocType | None = None
    score: float = Field(description="Punteggio di pertinenza (più alto = più pertinente)")
    boost: float | None = Field(default=None, description="Fattore 'comuni come il mio' applicato, se richiesto")
    bando_status: str | None = Field(default=None, description="Per i bandi: aperto, in_arrivo o scaduto, a oggi")
    metadata: dict[str, Any] = Field(default_factory=dict)
    passages: list[Passage] = Field(default_factory=list)
    url: str = Field(description="Scheda del documento (API)")
    file_url: str | None = Field(default=None, description="File originale")


class FacetValue(BaseModel):
    value: str | int | bool
    count: int = Field(description="Numero di documenti del risultato con questo valore")
    extracted: int = Field(default=0, description="Di cui con il valore estratto automaticamente dal testo "
                                                  "(non dichiarato da chi ha inviato il documento)")


def _absent(value: Any) -> Any:
    return None if isinstance(value, str) and value.strip() in ("", "null") else value


# an optional form field sent empty (an HTML form's blank input) or as `null` (what JSON-minded clients write) is
# absent: a form has no null, yet the spec says these fields may be one
FormOptional = BeforeValidator(_absent)

MALFORMED_BODY: dict[str, Any] = {"model": ErrorResponse, "description": "Corpo illeggibile (JSON o modulo malformato)"}
TOO_MANY_REQUESTS: dict[str, Any] = {"model": ErrorResponse,
                                     "description": "Troppe richieste: riprovare dopo i secondi di Retry-After"}
