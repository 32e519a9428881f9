"""Operations: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from search_api.deps import ServicesDep

router = APIRouter(tags=["servizio"])


@router.get("/health", summary="Il servizio è avviato (modello e indice caricati)")
def health(services: ServicesDep) -> dict[str, Any]:
    return {"status": "ok", "model": services.settings.model, "backend": str(services.settings.backend)}


@router.get("/ready", summary="Il servizio risponde alle ricerche (indice raggiungibile)")
def ready(services: ServicesDep) -> dict[str, Any]:
    chunks = services.backend.count()  # IndexUnavailableError -> 503 in the error handler
    return {"status": "ready", "chunks": chunks, "ingest_queue": services.worker.pending()}


@router.get("/metrics", summary="Metriche Prometheus", response_class=Response)
def metrics(services: ServicesDep) -> Response:
    services.metrics.queue.set(services.worker.pending())
    services.metrics.chunks.set(services.backend.count())
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)
