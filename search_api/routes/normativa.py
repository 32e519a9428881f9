"""/normativa/overview: rules on a topic by level, as JSON, Markdown or CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from kb.search import SearchFilters, SearchRequest
from kb.storage.schema import DocType
from search_api.deps import SEARCH_LIMIT, BaseUrlDep, ServicesDep, TodayDep
from search_api.documents import render_result
from search_api.normativa import group_by_level, pertinent_acts, to_csv, to_markdown
from search_api.query_params import QueryModel
from search_api.schemas.common import TOO_MANY_REQUESTS, ErrorResponse
from search_api.schemas.normativa import ExportFormat, OverviewRequest, OverviewResponse

router = APIRouter(tags=["normativa"], responses={422: {"model": ErrorResponse}, 429: TOO_MANY_REQUESTS,
                                                   503: {"model": ErrorResponse}})
OVERVIEW_QUERY = QueryModel(OverviewRequest)


@router.get("/normativa/overview", response_model=OverviewResponse,
            summary="Quadro normativo per livello (UE, nazionale, regionale)",
            responses={200: {"content": {"text/markdown": {}, "text/csv": {}}}}, dependencies=[SEARCH_LIMIT],
            openapi_extra=OVERVIEW_QUERY.openapi)
def overview(params: Annotated[OverviewRequest, Depends(OVERVIEW_QUERY)], services: ServicesDep, today: TodayDep,
             base_url: BaseUrlDep) -> OverviewResponse | Response:
    """Gli atti pertinenti all'argomento, raggruppati per livello, ciascuno con estremi, data, stato (in vigore o
    abrogato) e i passaggi più pertinenti citati con pagina. `format=markdown` o `format=csv` per esportarlo."""
    filters = SearchFilters(doc_type=[DocType.normativa], level=params.level, in_force=params.in_force)
    found = services.engine.search(SearchRequest(params.topic, filters=filters, interpret=False,
                                                 limit=params.per_level * 3 * 3, today=today, facets=False))
    pertinent = pertinent_acts(found.lexical_scores)
    acts = [render_result(d, today, base_url) for d in found.documents if d.doc_id in pertinent]
    results = [r for r in acts if (
        not params.regione or r["metadata"].get("level") != "regionale"
        or str(r["metadata"].get("regione", "")).lower() == params.regione.lower())]
    levels = OverviewResponse.model_validate({
        "topic": params.topic, "generated_on": today, "total": 0,
        "levels": group_by_level(results, params.per_level, params.passages)})
    levels.total = sum(len(g.acts) for g in levels.levels)
    if params.format is ExportFormat.json:
        return levels
    dumped = [g.model_dump() for g in levels.levels]
    name = "quadro-normativo"
    if params.format is ExportFormat.markdown:
        return Response(to_markdown(params.topic, today, dumped), media_type="text/markdown; charset=utf-8",
                        headers={"Content-Disposition": f'inline; filename="{name}.md"'})
    return Response(to_csv(dumped), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
