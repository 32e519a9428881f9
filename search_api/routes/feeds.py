"""Atom feeds of a search and of a call listing: saved searches and alerts a feed reader or a portal follows."""

from __future__ import annotations

import datetime as dt
import hashlib
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from search_api import atom
from search_api.deps import SEARCH_LIMIT, BaseUrlDep, ServicesDep, TodayDep
from search_api.feeds import bandi_feed, search_feed
from search_api.routes.bandi import BANDI_QUERY
from search_api.routes.search import SEARCH_QUERY
from search_api.schemas.bandi import BandiRequest
from search_api.schemas.common import TOO_MANY_REQUESTS, ErrorResponse
from search_api.schemas.search import SearchRequest

router = APIRouter(tags=["feed"], responses={422: {"model": ErrorResponse}, 429: TOO_MANY_REQUESTS,
                                              503: {"model": ErrorResponse}})
ATOM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "Feed Atom 1.0 (RFC 4287)",
          "content": {atom.MEDIA_TYPE: {"schema": {"type": "string"}}}},
    304: {"description": "Il feed non è cambiato dalla versione indicata in If-None-Match"},
}


def _answer(request: Request, feed: atom.Feed) -> Response:
    """The feed with a validator: a reader that sends back the ETag gets 304 while nothing changed. `no-cache`:
    caches may keep it but ask first (statuses change with the date, and with a read key the answer is private)."""
    body = atom.render(feed)
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache",
               "Last-Modified": format_datetime(feed.updated.astimezone(dt.UTC), usegmt=True)}
    given = {tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")}
    if etag in given or "*" in given:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=f"{atom.MEDIA_TYPE}; charset=utf-8", headers=headers)


@router.get("/search/feed.atom", response_class=Response, responses=ATOM_RESPONSE, dependencies=[SEARCH_LIMIT],
            summary="Feed Atom di una ricerca", openapi_extra=SEARCH_QUERY.openapi)
def search_atom(request: Request, params: Annotated[SearchRequest, Depends(SEARCH_QUERY)], services: ServicesDep,
                today: TodayDep, base_url: BaseUrlDep) -> Response:
    """Gli stessi parametri di GET /search; le voci sono i documenti trovati (tutte le pagine, al massimo 50), dal
    più recente inserito. Un lettore di feed o un portale che si abbona riceve i nuovi documenti che corrispondono
    alla ricerca. `page` e `page_size` non contano."""
    return _answer(request, search_feed(services, params, today, base_url))


@router.get("/bandi/feed.atom", response_class=Response, responses=ATOM_RESPONSE, dependencies=[SEARCH_LIMIT],
            summary="Feed Atom dei bandi (bandi per il mio comune)", openapi_extra=BANDI_QUERY.openapi)
def bandi_atom(request: Request, params: Annotated[BandiRequest, Depends(BANDI_QUERY)], services: ServicesDep,
               today: TodayDep, base_url: BaseUrlDep) -> Response:
    """Gli stessi parametri di GET /bandi (es. `status=aperto&population=4200&regione=Lombardia`); le voci sono i
    bandi che corrispondono, dal più recente inserito (al massimo 50), con ente, stato e scadenza. Un nuovo bando
    per il proprio comune compare come nuova voce. `page`, `page_size` e `order` non contano."""
    return _answer(request, bandi_feed(services, params, today, base_url))
