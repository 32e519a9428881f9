"""/bandi: funding calls by status and deadline, "bandi per il mio comune"."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from kb.index.filters import SearchFilters
from kb.index.schema import BENEFICIARIES, DocType
from search_api.bandi import all_calls, days_left, deadline_key, eligibility_filter
from search_api.deps import SEARCH_LIMIT, BaseUrlDep, ServicesDep, TodayDep
from search_api.documents import document_url, file_url
from search_api.errors import ApiError
from search_api.facets import status_of
from search_api.query_params import QueryModel
from search_api.schemas.bandi import BandiOrder, BandiRequest, BandiResponse
from search_api.schemas.common import TOO_MANY_REQUESTS, ErrorResponse
from search_api.searcher import DocumentHit, RankedDocuments

router = APIRouter(tags=["bandi"], responses={422: {"model": ErrorResponse}, 429: TOO_MANY_REQUESTS,
                                               503: {"model": ErrorResponse}})
ITEM_FIELDS = ("title", "issuer", "regione", "opening_date", "deadline", "budget", "beneficiaries", "population_cap",
               "themes", "sdg", "summary")
BANDI_QUERY = QueryModel(BandiRequest)


@router.get("/bandi", response_model=BandiResponse, summary="Bandi di finanziamento, per stato e scadenza",
            dependencies=[SEARCH_LIMIT], openapi_extra=BANDI_QUERY.openapi)
def list_bandi(params: Annotated[BandiRequest, Depends(BANDI_QUERY)], services: ServicesDep, today: TodayDep,
               base_url: BaseUrlDep) -> BandiResponse:
    """Bandi con stato calcolato dalle date rispetto a oggi (aperto, in arrivo, scaduto). Senza `q` sono ordinati per
    scadenza (prima gli aperti che chiudono prima); con `q` per pertinenza. Con `population` e `regione` restano
    solo i bandi a cui il proprio comune può partecipare."""
    unknown = [b for b in params.beneficiary if b not in BENEFICIARIES]
    if unknown:
        raise ApiError(422, "richiesta_non_valida", f"beneficiari sconosciuti {unknown}; validi: "
                       f"{', '.join(BENEFICIARIES)}", [{"campo": "beneficiary", "messaggio": "valore non ammesso"}])
    eligibility = SearchFilters(doc_type=[DocType.bando], beneficiary=params.beneficiary,
                                population=params.population, theme=params.theme, sdg=params.sdg)
    eligible = eligibility_filter(eligibility, params.regione, today)
    everything = all_calls(services.backend, eligible)
    with_status, chosen = eligible, everything
    if params.status:
        with_status = eligibility_filter(eligibility.model_copy(update={"bando_status": params.status}),
                                         params.regione, today)
        chosen = all_calls(services.backend, with_status)
    order = params.order or (BandiOrder.pertinenza if params.q else BandiOrder.scadenza)
    ranked: dict[str, DocumentHit] = {}
    if params.q:
        retrieved = services.pipeline.get_component("retriever").run(query=params.q, filters=with_status)
        ranked = {d.doc_id: d for d in retrieved["documents"].documents}
        by_id = {p["doc_id"]: p for p in chosen}
        calls = [by_id[doc_id] for doc_id in ranked if doc_id in by_id]
    else:
        calls = list(chosen)
    if order is BandiOrder.scadenza:
        calls.sort(key=lambda p: deadline_key(p, today))
    counts = Counter(status_of(p, today) or "senza_date" for p in everything)
    start = (params.page - 1) * params.page_size
    page = calls[start:start + params.page_size]
    passages: dict[str, list[dict[str, Any]]] = {}
    if ranked:  # the passage that matched, for the calls shown only
        shown = RankedDocuments(tuple(ranked[str(p["doc_id"])] for p in page))
        results = services.pipeline.get_component("pager").run(documents=shown, query=params.q, today=today,
                                                               limit=len(page), base_url=base_url)["results"]
        passages = {r["doc_id"]: r["passages"][:1] for r in results}
    items = []
    for payload in page:
        doc_id = str(payload["doc_id"])
        item = {k: payload.get(k) for k in ITEM_FIELDS}
        score = round(ranked[doc_id].score, 6) if doc_id in ranked else None
        item.update(doc_id=doc_id, status=status_of(payload, today), days_left=days_left(payload, today),
                    score=score, passages=passages.get(doc_id, []),
                    url=document_url(base_url, doc_id), file_url=file_url(base_url, doc_id))
        items.append({k: v for k, v in item.items() if v is not None})
    return BandiResponse.model_validate({"today": today, "total": len(calls), "page": params.page,
                                         "page_size": params.page_size, "counts": dict(counts), "results": items})
