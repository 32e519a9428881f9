"""/search: hybrid Italian search, grouped by document, with facets, snippets and citations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Response

from search_api.deps import SEARCH_LIMIT, BaseUrlDep, ServicesDep, TodayDep
from search_api.documents import render_result
from search_api.query_params import QueryModel
from search_api.schemas.common import MALFORMED_BODY, TOO_MANY_REQUESTS, ErrorResponse
from search_api.schemas.search import SearchRequest, SearchResponse

router = APIRouter(tags=["ricerca"], responses={422: {"model": ErrorResponse}, 429: TOO_MANY_REQUESTS,
                                                 503: {"model": ErrorResponse}})
SEARCH_QUERY = QueryModel(SearchRequest)


def execute(request: SearchRequest, services: ServicesDep, today: TodayDep, base_url: str) -> SearchResponse:
    """One search as the API answers it (the web page renders the same response)."""
    page = services.engine.search(request.to_core(today))
    services.metrics.searches.labels(request.mode.value).inc()
    return SearchResponse.model_validate({
        "query": request.q, "mode": request.mode, "total": page.total, "page": request.page,
        "page_size": request.page_size, "results": [render_result(d, today, base_url) for d in page.documents],
        "facets": page.facets, "context_applied": page.context_applied, "interpreted": page.interpreted,
    })


def _json(response: SearchResponse) -> Response:
    # validated once by `execute` and serialised by pydantic directly (FastAPI would dump, re-validate, encode again)
    return Response(response.model_dump_json(), media_type="application/json")


@router.get("/search", response_model=SearchResponse, summary="Cerca nella base di conoscenza",
            dependencies=[SEARCH_LIMIT], openapi_extra=SEARCH_QUERY.openapi)
def search_get(params: Annotated[SearchRequest, Depends(SEARCH_QUERY)], services: ServicesDep, today: TodayDep,
               base_url: BaseUrlDep) -> Response:
    """Ricerca in linguaggio naturale: un risultato per documento, con i passaggi migliori evidenziati e citati
    (file e pagina), i conteggi per filtro (faccette) calcolati sui documenti trovati e, se si indicano abitanti
    e regione del proprio comune, le esperienze di comuni simili più in alto."""
    return _json(execute(params, services, today, base_url))


@router.post("/search", response_model=SearchResponse, summary="Cerca (richiesta nel corpo JSON)",
             responses={400: MALFORMED_BODY, 413: {"model": ErrorResponse}}, dependencies=[SEARCH_LIMIT])
def search_post(body: Annotated[SearchRequest, Body()], services: ServicesDep, today: TodayDep,
                base_url: BaseUrlDep) -> Response:
    """Come GET /search, con i parametri in un oggetto JSON (per domande lunghe o molti filtri)."""
    return _json(execute(body, services, today, base_url))
