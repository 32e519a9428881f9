"""POST /similar: a project (text or file) -> similar experiences and the open funding calls that fit it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from ingest.errors import IngestError
from ingest.extract import Extracted, TextExtractor
from ingest.prepare import spool_name
from kb.search import SearchFilters, SearchRequest
from kb.search.similar import PASSAGES_PER_DOC, experiences_request
from kb.storage.filters import BandoStatus
from kb.storage.schema import DocType
from search_api.deps import SEARCH_LIMIT, BaseUrlDep, ServicesDep, TodayDep
from search_api.documents import render_result
from search_api.errors import ApiError
from search_api.ratelimit import Budget
from search_api.schemas.common import MALFORMED_BODY, TOO_MANY_REQUESTS, ErrorResponse, FormOptional
from search_api.schemas.documents import ProjectMatches

router = APIRouter(tags=["documenti"], responses={400: MALFORMED_BODY, 413: {"model": ErrorResponse},
                                                  415: {"model": ErrorResponse}, 422: {"model": ErrorResponse},
                                                  429: TOO_MANY_REQUESTS, 503: {"model": ErrorResponse}})
MAX_TEXT = 100_000


@router.post("/similar", response_model=ProjectMatches, summary="Esperienze simili e bandi per un progetto",
             dependencies=[SEARCH_LIMIT])
async def similar_to_project(
    request: Request, services: ServicesDep, today: TodayDep, base_url: BaseUrlDep,
    text: Annotated[str | None, Form(max_length=MAX_TEXT, description="Descrizione del progetto"), FormOptional] = None,
    file: Annotated[UploadFile | None, File(description="Oppure il documento del progetto")] = None,
    population: Annotated[int | None, Form(ge=1, le=10_000_000, description="Abitanti del comune"),
                          FormOptional] = None,
    regione: Annotated[str | None, Form(max_length=60, description="Regione del comune"), FormOptional] = None,
    limit: Annotated[int, Form(ge=1, le=20)] = 5,
) -> ProjectMatches:
    """Dato un progetto (testo oppure file), le buone pratiche e i progetti più simili e i bandi aperti pertinenti;
    con abitanti e regione restano i bandi a cui il comune può partecipare. Il file non viene indicizzato."""
    if file is not None and file.filename:
        services.limiter.check(Budget.upload, request)  # extraction (maybe OCR) costs like an upload
        limit_bytes = services.settings.max_upload_mb * 2**20
        data = await file.read(limit_bytes + 1)
        if len(data) > limit_bytes:
            raise ApiError(413, "file_troppo_grande", f"il file supera {services.settings.max_upload_mb} MB")
        extracted = await run_in_threadpool(_extract, services.extractor, file.filename, data)
        project, warnings = extracted.text, _unread_warning(extracted)
    elif text and text.strip():
        project, warnings = text, []
    else:
        raise ApiError(422, "richiesta_non_valida", "indicare il testo del progetto (text) oppure un file (file)",
                       [{"campo": "text", "messaggio": "campo obbligatorio se manca file"}])
    probe = await run_in_threadpool(services.engine.probe_text, project[:MAX_TEXT])
    calls = SearchFilters(doc_type=[DocType.bando], bando_status=[BandoStatus.aperto], population=population,
                          eligible_regione=regione)
    requests = {"esperienze": experiences_request(probe, limit=limit, today=today),
                "bandi": SearchRequest(probe, filters=calls, limit=limit, passages_per_doc=PASSAGES_PER_DOC,
                                       today=today, facets=False)}
    found = {}
    for name, search in requests.items():
        page = await run_in_threadpool(services.engine.search, search)
        found[name] = [render_result(d, today, base_url) for d in page.documents]
    return ProjectMatches.model_validate({"keywords": probe.keywords, **found, "warnings": warnings})


def _unread_warning(extracted: Extracted) -> list[str]:
    """Say which scanned pages the comparison left out (OCR is capped here: KB_SIMILAR_OCR_PAGES / _SECONDS)."""
    if not extracted.unread_pages:
        return []
    total = f" su {extracted.page_count}" if extracted.page_count else ""
    read = f"lette con OCR {len(extracted.ocr_pages)} pagine scansionate{total}; " if extracted.ocr_pages else ""
    return [f"{read}pagine non lette: {_pages(extracted.unread_pages)}. Il confronto usa solo il testo letto: per "
            "l'intero documento incollarne il testo nel campo text o inviare un PDF con il testo"]


def _pages(pages: list[int]) -> str:
    return ", ".join(map(str, pages[:10])) + (f" e altre {len(pages) - 10}" if len(pages) > 10 else "")


def _extract(extractor: TextExtractor, filename: str, data: bytes) -> Extracted:
    with tempfile.TemporaryDirectory(prefix="kb-similar-") as tmp:
        path = Path(tmp) / spool_name(filename)  # the same sanitising as uploads: never a path
        path.write_bytes(data)
        try:
            return extractor.extract(path, data)
        except IngestError as exc:
            status = 415 if exc.code in ("unsupported_type", "type_mismatch") else 422
            raise ApiError(status, "tipo_non_supportato" if status == 415 else "file_non_leggibile",
                           exc.message) from exc
