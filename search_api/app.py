"""The FastAPI application: built by `create_app`, served by `kb serve`."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from kb.settings import Settings, get_settings
from search_api.body_limit import BodyLimitMiddleware
from search_api.deps import require_read_key
from search_api.errors import install_error_handlers
from search_api.hosts import TrustedHosts
from search_api.http_methods import HeadAsGetMiddleware
from search_api.key_gate import KeyGateMiddleware
from search_api.observability import REQUEST_ID_HEADER, Metrics, RequestContextMiddleware
from search_api.routes import bandi, documents, feeds, normativa, ops, raccolte, search, similar, ui
from search_api.routes.raccolte import COLLECTION_KEY_HEADER
from search_api.schemas.common import ErrorResponse
from search_api.security import SecurityHeadersMiddleware
from search_api.services import Clock, build_services

STATIC = Path(__file__).resolve().parent / "ui" / "static"
DESCRIPTION = """
Ricerca ibrida (lessicale italiana + semantica) su buone pratiche, progetti, normativa e bandi per lo sviluppo
sostenibile dei comuni (Agenda 2030). Ogni risultato è un documento con i passaggi più pertinenti, evidenziati e
citati (file e pagina). Gli errori hanno sempre la forma `{"error": {"code", "message", "details"}}`.
Le scritture (invio ed eliminazione di documenti) richiedono l'intestazione `X-API-Key`; se il servizio ha una chiave
di lettura, anche le letture. Ricerche e invii hanno un limite di richieste per chiave o indirizzo: oltre si riceve
429 con `Retry-After`.
"""

TAGS = [
    {"name": "ricerca", "description": "Ricerca con filtri, faccette, estratti evidenziati e citazioni"},
    {"name": "documenti", "description": "Schede, file originali, documenti simili, invio ed eliminazione"},
    {"name": "bandi", "description": "Bandi di finanziamento con stato (aperto, in arrivo, scaduto)"},
    {"name": "normativa", "description": "Quadro normativo per livello (UE, nazionale, regionale)"},
    {"name": "feed", "description": "Feed Atom di ricerche e bandi (ricerche salvate e avvisi), per lettori di feed "
                                    "e portali"},
    {"name": "raccolte", "description": "Raccolte di documenti e passaggi scelti, con nota, esportazione JSON e "
                                        "dossier (EPUB, PDF, DOCX); si modificano con la chiave della raccolta"},
    {"name": "servizio", "description": "Stato del servizio e metriche"},
]


def create_app(settings: Settings | None = None, *, embedder: Any = None, backend: Any = None,
               clock: Clock | None = None) -> FastAPI:
    """The app; model and index are loaded once, in the lifespan. Tests pass a backend, an embedder, a clock."""
    settings = settings or get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_services(settings, embedder=embedder, backend=backend, clock=clock, metrics=metrics)
        app.state.services = services
        # the model's ~600k long-lived objects would make every full collection a ~300 ms pause: move them out of
        # the collector's sight once loaded
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            app.state.services = None
            services.close()

    app = FastAPI(title="Comuni sostenibili: ricerca", description=DESCRIPTION, version="1.0.0",
                  openapi_tags=TAGS, lifespan=lifespan)
    app.state.services = None
    install_error_handlers(app)
    # with a read key every route that shows the knowledge base needs it; probes and metrics stay open
    for module in (search, documents, similar, bandi, feeds, normativa, raccolte, ui):
        if settings.read_api_key:
            app.include_router(module.router, dependencies=[Depends(require_read_key)],
                               responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}})
        else:
            app.include_router(module.router)
    app.include_router(ops.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(HeadAsGetMiddleware)  # innermost: logs and metrics still say HEAD
    app.add_middleware(KeyGateMiddleware)  # inside CORS: a portal can read the refusal
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "PATCH", "DELETE"],
                           allow_headers=["Content-Type", "X-API-Key", COLLECTION_KEY_HEADER, REQUEST_ID_HEADER],
                           expose_headers=[REQUEST_ID_HEADER])
    app.add_middleware(TrustedHosts, allowed_hosts=settings.trusted_hosts, www_redirect=False)
    app.add_middleware(BodyLimitMiddleware, upload_bytes=settings.max_upload_mb * 2**20)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return app
