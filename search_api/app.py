"""The FastAPI application: built by `create_app`, served by `kb serve`."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from kb.settings import Settings, get_settings
from search_api.errors import install_error_handlers
from search_api.observability import REQUEST_ID_HEADER, Metrics, RequestContextMiddleware
from search_api.routes import bandi, documents, normativa, ops, search, similar, ui
from search_api.services import Clock, build_services

STATIC = Path(__file__).resolve().parent / "ui" / "static"
DESCRIPTION = """
Ricerca ibrida (lessicale italiana + semantica) su buone pratiche, progetti, normativa e bandi per lo sviluppo
sostenibile dei comuni (Agenda 2030). Ogni risultato è un documento con i passaggi più pertinenti, evidenziati e
citati (file e pagina). Gli errori hanno sempre la forma `{"error": {"code", "message", "details"}}`.
Le scritture (invio ed eliminazione di documenti) richiedono l'intestazione `X-API-Key`.
"""

TAGS = [
    {"name": "ricerca", "description": "Ricerca con filtri, faccette, estratti evidenziati e citazioni"},
    {"name": "documenti", "description": "Schede, file originali, documenti simili, invio ed eliminazione"},
    {"name": "bandi", "description": "Bandi di finanziamento con stato (aperto, in arrivo, scaduto)"},
    {"name": "normativa", "description": "Quadro normativo per livello (UE, nazionale, regionale)"},
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
    for module in (search, documents, similar, bandi, normativa, ops, ui):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Content-Type", "X-API-Key", REQUEST_ID_HEADER],
                           expose_headers=[REQUEST_ID_HEADER])
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return app
