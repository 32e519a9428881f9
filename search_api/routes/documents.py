"""/documents: a document's card, its original file, similar documents, submission, status and deletion."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from qdrant_client import models

from ingest.doc_ids import DocIdTaken, document_id
from ingest.errors import IngestError
from ingest.formats import MIME_BY_EXTENSION, mime_type
from ingest.prepare import spool_name
from ingest.service import stored_originals
from kb.search.facets import status_of
from kb.search.similar import more_like_this_request
from kb.storage.schema import DeclaredMetadata
from search_api.deps import SEARCH_LIMIT, UPLOAD_LIMIT, BaseUrlDep, ServicesDep, TodayDep, WriteKey
from search_api.documents import act_links, document_url, file_url, public_metadata, render_result
from search_api.errors import ApiError, not_found, validation_details
from search_api.originals import OpenFileResponse, open_original
from search_api.schemas.common import MALFORMED_BODY, TOO_MANY_REQUESTS, ErrorResponse, FormOptional
from search_api.schemas.documents import Deleted, DocumentDetail, SimilarResponse, SubmissionStatus
from search_api.services import Services
from search_api.uploads import JobState

router = APIRouter(prefix="/documents", tags=["documenti"],
                   responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse},
                              503: {"model": ErrorResponse}})
DocId = Annotated[str, PathParam(pattern=r"^[a-z0-9][a-z0-9._-]{0,127}$", description="Identificativo del documento")]


def _doc_filter(doc_id: str) -> models.Filter:
    return models.Filter(must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))])


def _chunks(services: Services, doc_id: str) -> list[Any]:
    hits, _ = services.backend.scroll(_doc_filter(doc_id), limit=10_000)
    return sorted(hits, key=lambda h: int(h.payload.get("chunk_index", 0)))


@router.get("/{doc_id}", response_model=DocumentDetail, summary="Scheda di un documento")
def detail(doc_id: DocId, services: ServicesDep, today: TodayDep, base_url: BaseUrlDep) -> DocumentDetail:
    """Metadati, sezioni e passaggi del documento, con i link al file originale e ai documenti simili."""
    chunks = _chunks(services, doc_id)
    if not chunks:
        raise not_found("documento")
    first = chunks[0].payload
    pages = [p for c in chunks for p in (c.payload.get("page_end"), c.payload.get("page_start")) if p]
    sections = list(dict.fromkeys(str(c.payload["section"]) for c in chunks if c.payload.get("section")))
    return DocumentDetail.model_validate({
        "doc_id": doc_id, "title": first.get("title"), "doc_type": first.get("doc_type"),
        "bando_status": status_of(first, today), "metadata": public_metadata(first), "chunks": len(chunks),
        "pages": max(pages) if pages else None, "sections": sections,
        "passages": [{"chunk_index": c.payload.get("chunk_index", 0), "section": c.payload.get("section") or None,
                      "page_start": c.payload.get("page_start"), "page_end": c.payload.get("page_end"),
                      "text": c.payload.get("text", "")} for c in chunks],
        "url": document_url(base_url, doc_id), "file_url": file_url(base_url, doc_id),
        "similar_url": f"{document_url(base_url, doc_id)}/similar",
        **act_links(services.backend, first, base_url),
    })


@router.get("/{doc_id}/file", summary="File originale (PDF aperto alla pagina indicata)", response_model=None,
            responses={200: {"content": {"application/pdf": {}}}, 307: {"description": "Al file, alla pagina"}})
def original(doc_id: DocId, services: ServicesDep, base_url: BaseUrlDep,
             page: Annotated[int | None, Query(ge=1, le=100_000, description="Pagina da aprire")] = None,
             ) -> OpenFileResponse | RedirectResponse:
    """Il file così come è stato inviato. Con `page` rimanda all'indirizzo `...#page=N`, che i lettori PDF dei
    browser aprono a quella pagina."""
    if page is not None:
        if not stored_originals(services.settings.files_path, doc_id):
            raise not_found("file originale")
        return RedirectResponse(file_url(base_url, doc_id, page), status_code=307)
    opened = open_original(services.settings.files_path, doc_id)
    if opened is None:
        raise not_found("file originale")
    handle, path = opened
    try:
        chunks = services.backend.scroll(_doc_filter(doc_id), limit=1)[0]
    except BaseException:
        handle.close()
        raise
    name = str(chunks[0].payload.get("source")) if chunks else path.name
    # originals are user content: never let one run scripts on the API's origin
    headers = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}
    return OpenFileResponse(handle, path, media_type=MIME_BY_EXTENSION.get(path.suffix, "application/octet-stream"),
                            filename=name, headers=headers)


@router.get("/{doc_id}/similar", response_model=SimilarResponse, summary="Documenti simili (more like this)",
            responses={429: TOO_MANY_REQUESTS}, dependencies=[SEARCH_LIMIT])
def similar(doc_id: DocId, services: ServicesDep, today: TodayDep, base_url: BaseUrlDep,
            limit: Annotated[int, Query(ge=1, le=50)] = 10) -> SimilarResponse:
    """I documenti più vicini per contenuto a questo (esclusi sé stesso), con i passaggi in comune evidenziati."""
    probe = services.engine.probe_document(doc_id)
    if probe is None:
        raise not_found("documento")
    page = services.engine.search(more_like_this_request(probe, doc_id, limit=limit, today=today))
    return SimilarResponse.model_validate({"doc_id": doc_id, "keywords": probe.keywords, "total": page.total,
                                           "results": [render_result(d, today, base_url) for d in page.documents]})


def _status(services: Services, doc_id: str, base_url: str) -> SubmissionStatus:
    job = services.worker.status(doc_id)
    data: dict[str, Any]
    if job is None:
        chunks = services.backend.count(_doc_filter(doc_id))
        if not chunks:
            raise not_found("documento")
        data = {"doc_id": doc_id, "status": JobState.indicizzato, "chunks": chunks}
    else:
        data = dict(vars(job))
    data.update(status_url=f"{document_url(base_url, doc_id)}/status", url=document_url(base_url, doc_id))
    return SubmissionStatus.model_validate(data)


@router.get("/{doc_id}/status", response_model=SubmissionStatus, summary="Stato di un documento inviato")
def submission_status(doc_id: DocId, services: ServicesDep, base_url: BaseUrlDep) -> SubmissionStatus:
    return _status(services, doc_id, base_url)


def _metadata(doc_type: str | None, metadata: str | None) -> dict[str, Any]:
    """The declared metadata, validated now so a bad field is a 422; a type left out is inferred from the text at
    indexing (the status then says the type, or why the file was refused)."""
    try:
        meta = json.loads(metadata) if metadata else {}
    except json.JSONDecodeError as exc:
        raise ApiError(422, "metadati_non_validi", f"metadata non è JSON valido: {exc.msg}") from exc
    except (ValueError, RecursionError) as exc:  # numbers over Python's digit limit, nesting past the stack
        raise ApiError(422, "metadati_non_validi", "metadata non è JSON accettabile (numeri o annidamento "
                       "eccessivi)") from exc
    if not isinstance(meta, dict):
        raise ApiError(422, "metadati_non_validi", "metadata deve essere un oggetto JSON")
    if doc_type:
        meta["doc_type"] = doc_type
    try:
        validated = DeclaredMetadata.model_validate(meta)
    except ValidationError as exc:
        details = validation_details(exc.errors())
        summary = "; ".join(f"{d['campo']}: {d['messaggio']}" for d in details)
        raise ApiError(422, "metadati_non_validi", f"metadati non validi: {summary}"[:500], details) from exc
    if "doc_id" in meta:  # as validated (stripped), never the raw string
        meta["doc_id"] = validated.doc_id
    return meta


def _free_for_upload(services: Services, doc_id: str) -> bool:
    """An upload holds no id beyond its submission: it may take one with no chunks indexed and nothing queued."""
    return not (services.backend.count(_doc_filter(doc_id)) or services.worker.is_pending(doc_id))


@router.post("", status_code=202, response_model=SubmissionStatus, summary="Invia un documento da indicizzare",
             responses={400: MALFORMED_BODY, 401: {"model": ErrorResponse}, 403: {"model": ErrorResponse},
                        409: {"model": ErrorResponse}, 413: {"model": ErrorResponse}, 415: {"model": ErrorResponse},
                        429: TOO_MANY_REQUESTS},
             dependencies=[UPLOAD_LIMIT])
async def submit(services: ServicesDep, base_url: BaseUrlDep, _key: WriteKey,
                 file: Annotated[UploadFile, File(description="PDF, DOCX, ODT, HTML, Markdown o testo")],
                 doc_type: Annotated[str | None, Form(max_length=20, description="buona_pratica, progetto, "
                                                      "normativa o bando; se manca è dedotto dal testo"),
                                     FormOptional] = None,
                 metadata: Annotated[str | None, Form(max_length=20_000,
                                                      description="Metadati in JSON (titolo, comune, sdg...)"),
                                     FormOptional] = None,
                 ) -> SubmissionStatus:
    """Il documento è messo in coda e indicizzato dal server; lo stato si legge su `/documents/{id}/status`.
    Con `doc_id` nei metadati si sostituisce un documento esistente; altrimenti l'id deriva dal nome del file,
    con un suffisso dal contenuto se quel nome è già di un altro documento. Senza `doc_type` il tipo è dedotto dal
    testo; se non è riconoscibile con sicurezza il documento è scartato e lo stato dice perché."""
    limit = services.settings.max_upload_mb * 2**20
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, "file_troppo_grande", f"il file supera {services.settings.max_upload_mb} MB")
    name = Path(file.filename or "documento").name
    filename = spool_name(name)
    try:
        mime_type(Path(filename), data)
    except IngestError as exc:
        status = 422 if exc.code == "empty_file" else 415
        raise ApiError(status, "file_vuoto" if status == 422 else "tipo_non_supportato", exc.message) from exc
    meta = _metadata(doc_type, metadata)
    try:  # the policy of `ingest/doc_ids.py`, the same as `kb ingest`'s
        doc_id = document_id(name, hashlib.sha256(data).hexdigest(), explicit=meta.pop("doc_id", None),
                             is_free=lambda candidate: _free_for_upload(services, candidate))
    except DocIdTaken as exc:
        raise ApiError(409, "id_occupato", str(exc)) from exc
    if services.worker.is_pending(doc_id):
        raise ApiError(409, "in_elaborazione", f"il documento {doc_id} è già in coda: attendere l'esito")
    services.worker.submit(doc_id, filename, data, meta)
    return _status(services, doc_id, base_url)


@router.delete("/{doc_id}", response_model=Deleted, summary="Elimina un documento",
               responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 409: {"model": ErrorResponse}})
def delete(doc_id: DocId, services: ServicesDep, _key: WriteKey) -> Deleted:
    if services.worker.is_pending(doc_id):
        raise ApiError(409, "in_elaborazione", f"il documento {doc_id} è in coda: eliminarlo dopo l'indicizzazione")
    removed = services.ingest.delete(doc_id)
    had_status = services.worker.status(doc_id) is not None
    services.worker.forget(doc_id)
    if not removed and not had_status:
        raise not_found("documento")
    return Deleted(doc_id=doc_id, deleted_chunks=removed)
