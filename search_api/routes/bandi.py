"""/bandi: funding calls by status and deadline, "bandi per il mio comune"."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from kb.search import Order, SearchRequest
from kb.search.calls import days_left, deadline_key
from kb.search.facets import status_of
from search_api.bandi import all_calls, eligibility
from search_api.deps import SEARCH_LIMIT, BaseUrlDep, ServicesDep, TodayDep
from search_api.documents import document_url, file_url, render_passage
from search_api.query_params import QueryModel
from search_api.schemas.bandi import BandiOrder, BandiRequest, BandiResponse
from search_api.schemas.common import TOO_MANY_REQUESTS, ErrorResponse

router = APIRouter(tags=["bandi"], responses={422: {"model": ErrorResponse}, 429: TOO_MANY_REQUESTS,
                                               503: {"model": ErrorResponse}})
ITEM_FIELDS = ("title", "issuer", "regione", "opening_date", "deadline", "budget", "beneficiaries", "population_cap",
               "themes", "sdg", "summary", "destinatari", "stato_fonte", "fonte", "url_fonte")
BANDI_QUERY = QueryModel(BandiRequest)


@router.get("/bandi", response_model=BandiResponse, summary="Bandi di finanziamento, per stato e scadenza",
            dependencies=[SEARCH_LIMIT], openapi_extra=BANDI_QUERY.openapi)
def list_bandi(params: Annotated[BandiRequest, Depends(BANDI_QUERY)], services: ServicesDep, today: TodayDep,
               base_url: BaseUrlDep) -> BandiResponse:
    """Bandi con stato calcolato dalle date rispetto a oggi (aperto, in arrivo, scaduto). Senza `q` sono ordinati per
    scadenza (prima gli aperti che chiudono prima); con `q` per pertinenza. Con `population` e `regione` restano
    solo i bandi a cui il proprio comune può partecipare."""
    eligible = eligibility(params)
    everything = all_calls(services.backend, eligible.to_qdrant(today))
    with_status = eligible.model_copy(update={"bando_status": params.status}) if params.status else eligible
    order = params.order or (BandiOrder.pertinenza if params.q else BandiOrder.scadenza)
    start = (params.page - 1) * params.page_size
    scores: dict[str, float] = {}
    passages: dict[str, list[dict[str, Any]]] = {}
    if params.q:  # the calls that match the question, each with the passage that matched
        found = services.engine.search(SearchRequest(
            params.q, filters=with_status, interpret=False, offset=start, limit=params.page_size,
            order=Order.deadline if order is BandiOrder.scadenza else Order.relevance, passages_per_doc=1,
            today=today, facets=False))
        page, total = [d.payload for d in found.documents], found.total
        scores = {d.doc_id: round(d.score, 6) for d in found.documents}
        passages = {d.doc_id: [render_passage(p, base_url) for p in d.passages] for d in found.documents}
    else:
        calls = all_calls(services.backend, with_status.to_qdrant(today)) if params.status else list(everything)
        calls.sort(key=lambda p: deadline_key(p, today))
        page, total = calls[start:start + params.page_size], len(calls)
    counts = Counter(status_of(p, today) or "senza_date" for p in everything)
    items = []
    for payload in page:
        doc_id = str(payload["doc_id"])
        item = {k: payload.get(k) for k in ITEM_FIELDS}
        item.update(doc_id=doc_id, status=status_of(payload, today), days_left=days_left(payload, today),
                    score=scores.get(doc_id), passages=passages.get(doc_id, []),
                    url=document_url(base_url, doc_id), file_url=file_url(base_url, doc_id))
        items.append({k: v for k, v in item.items() if v is not None})
    return BandiResponse.model_validate({"today": today, "total": total, "page": params.page,
                                         "page_size": params.page_size, "counts": dict(counts), "results": items})
