"""What the app builds once in its lifespan and hands to routes through dependencies."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ingest.extract import TextExtractor
from ingest.service import IngestService
from kb.models.base import DenseEmbedder
from kb.search import SearchEngine
from kb.settings import Settings
from runtime import build_runtime
from search_api.observability import Metrics
from search_api.raccolte.service import CollectionService
from search_api.raccolte.store import CollectionStore
from search_api.ratelimit import RateLimiter
from search_api.uploads import IngestWorker, JobStatus

logger = logging.getLogger("kb.api")
Clock = Callable[[], dt.date]


@dataclass
class Services:
    settings: Settings
    backend: Any
    embedder: DenseEmbedder
    engine: SearchEngine
    ingest: IngestService
    extractor: TextExtractor  # POST /similar: with its own, smaller OCR budget
    worker: IngestWorker
    metrics: Metrics
    clock: Clock
    limiter: RateLimiter
    collections: CollectionService

    def today(self) -> dt.date:
        return self.clock()

    def close(self) -> None:
        self.worker.stop()
        self.collections.store.close()
        self.backend.close()


def build_services(settings: Settings, *, embedder: DenseEmbedder | None = None, backend: Any = None,
                   clock: Clock | None = None, metrics: Metrics | None = None) -> Services:
    """Load the model, open (or create) the index, build the search engine and start the ingest worker."""
    runtime = build_runtime(settings, embedder=embedder, backend=backend, clock=clock)
    backend = runtime.backend
    ingest = runtime.ingest_service()
    metrics = metrics or Metrics()

    def finished(status: JobStatus) -> None:
        metrics.uploads.labels(status.status.value).inc()

    worker = IngestWorker(ingest.ingest_bytes, settings.uploads_path, on_finish=finished)
    worker.start()
    logger.info("services ready", extra={"backend": settings.backend, "model": settings.model,
                                         "chunks": backend.count()})
    extractor = TextExtractor(ocr_enabled=settings.ocr_enabled, ocr_language=settings.ocr_language,
                              ocr_max_pages=settings.similar_ocr_pages, ocr_max_seconds=settings.similar_ocr_seconds)
    collections = CollectionService(CollectionStore(settings.collections_db), backend)
    return Services(settings, backend, runtime.embedder, runtime.engine, ingest, extractor, worker, metrics,
                    clock or dt.date.today, RateLimiter(settings), collections)
