"""The web interface: the same searches as the JSON API, rendered in Italian; the state lives in the URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from kb.text.territory import TERRITORY_FIELDS, canonical_values
from search_api.deps import SEARCH_LIMIT, BaseUrlDep, ServicesDep, TodayDep
from search_api.errors import ApiError, validation_details
from search_api.ratelimit import Budget
from search_api.routes.bandi import BANDI_QUERY, list_bandi
from search_api.routes.documents import DocId, similar
from search_api.routes.normativa import OVERVIEW_QUERY, overview
from search_api.routes.raccolte import CollectionId
from search_api.routes.raccolte import read as read_collection
from search_api.routes.search import SEARCH_QUERY, execute
from search_api.schemas.bandi import BandiRequest
from search_api.schemas.normativa import OverviewRequest
from search_api.schemas.search import MAX_PAGE, SearchRequest
from search_api.security import UI_CSP
from search_api.ui import labels

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "ui" / "templates")
templates.env.globals.update(labels=labels, label=labels.label)
EXAMPLES = (
    "come ha fatto un piccolo comune a creare una comunità energetica?",
    "bandi aperti per piste ciclabili",
    "illuminazione pubblica LED PNRR",
    "raccolta differenziata porta a porta e tariffa puntuale",
)
# the pages take the three APIs' parameters: their list fields, as the APIs read them
LIST_FIELDS = SEARCH_QUERY.lists | BANDI_QUERY.lists | OVERVIEW_QUERY.lists


def _params(request: Request) -> dict[str, Any]:
    """Query string as a dict: list fields as lists, empty values dropped, places in the spelling the facets show
    (so `regione=lombardia` checks the "Lombardia" box it filters by)."""
    data: dict[str, Any] = {}
    for key in request.query_params:
        values = [v for v in request.query_params.getlist(key) if v.strip()]
        if key in TERRITORY_FIELDS:
            values = canonical_values(key, values)
        if values:
            data[key] = values if key in LIST_FIELDS else values[-1]
    return data


def _url(path: str, params: dict[str, Any], **changes: Any) -> str:
    merged = {**params, **changes}
    pairs = [(k, v) for k, vs in merged.items() if vs not in (None, "", []) for v in (vs if isinstance(vs, list)
                                                                                         else [vs])]
    return f"{path}?{urlencode(pairs)}" if pairs else path


def _errors(exc: ValidationError) -> list[str]:
    return [f"{d['campo']}: {d['messaggio']}" if d["campo"] else d["messaggio"]
            for d in validation_details(exc.errors())]


def _page(request: Request, name: str, **context: Any) -> HTMLResponse:
    # the pages' own policy: their script and style sheet only, nothing inline (search_api/security.py)
    return templates.TemplateResponse(request, name, {"url": _url, **context},
                                      headers={"Content-Security-Policy": UI_CSP})


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request, services: ServicesDep, today: TodayDep, base_url: BaseUrlDep) -> HTMLResponse:
    params = _params(request)
    context: dict[str, Any] = {"params": params, "examples": EXAMPLES, "errors": [], "body": None}
    if params.get("q"):
        try:
            search = SearchRequest.model_validate(params)
        except ValidationError as exc:
            return _page(request, "search.html", **{**context, "errors": _errors(exc)})
        services.limiter.check(Budget.search, request)
        body = execute(search, services, today, base_url)
        context["body"] = body
        context["pages"] = min(max(1, -(-body.total // search.page_size)), MAX_PAGE)
    return _page(request, "search.html", **context)


@router.get("/ui/bandi", response_class=HTMLResponse, dependencies=[SEARCH_LIMIT])
def bandi_page(request: Request, services: ServicesDep, today: TodayDep, base_url: BaseUrlDep) -> HTMLResponse:
    params = _params(request)
    try:
        body = list_bandi(BandiRequest.model_validate(params), services, today, base_url)
    except (ValidationError, ApiError) as exc:
        errors = _errors(exc) if isinstance(exc, ValidationError) else [exc.message]
        return _page(request, "bandi.html", params=params, body=None, errors=errors)
    return _page(request, "bandi.html", params=params, body=body, errors=[])


@router.get("/ui/normativa", response_class=HTMLResponse)
def normativa_page(request: Request, services: ServicesDep, today: TodayDep, base_url: BaseUrlDep) -> HTMLResponse:
    params = _params(request)
    body, errors = None, []
    if params.get("topic"):
        services.limiter.check(Budget.search, request)
        try:
            request_model = OverviewRequest.model_validate({k: v for k, v in params.items() if k != "format"})
            body = overview(request_model, services, today, base_url)
        except ValidationError as exc:
            errors = _errors(exc)
    return _page(request, "normativa.html", params=params, body=body, errors=errors)


@router.get("/ui/simili/{doc_id}", response_class=HTMLResponse, dependencies=[SEARCH_LIMIT])
def similar_page(request: Request, doc_id: DocId, services: ServicesDep, today: TodayDep,
                 base_url: BaseUrlDep) -> HTMLResponse:
    body = similar(doc_id, services, today, base_url, limit=10)
    return _page(request, "similar.html", params={}, body=body, errors=[])


@router.get("/ui/invia", response_class=HTMLResponse)
def submit_page(request: Request) -> HTMLResponse:
    return _page(request, "submit.html", params={}, errors=[])


@router.get("/ui/raccolte", response_class=HTMLResponse)
def collections_page(request: Request) -> HTMLResponse:
    """The collections this browser can edit (their keys are in its storage: app.js lists them), create, import."""
    return _page(request, "raccolta_elenco.html", params={}, errors=[])


@router.get("/ui/raccolte/{raccolta_id}", response_class=HTMLResponse)
def collection_page(request: Request, raccolta_id: CollectionId, services: ServicesDep, today: TodayDep,
                    base_url: BaseUrlDep) -> HTMLResponse:
    """The public page of a collection; with its edit key in this browser, app.js adds the editing controls."""
    collection = read_collection(raccolta_id, services, today, base_url)
    return _page(request, "raccolta.html", params={}, c=collection, errors=[])
