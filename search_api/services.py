"""What the app builds once in its lifespan and hands to routes through dependencies."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from haystack import Pipeline

from ingest.extract import TextExtractor
from ingest.service import IngestService
from kb.index.embedders import DenseEmbedder, embedder_from_settings
from kb.index.factory import open_backend
from kb.index.synonyms import SynonymExpander
from kb.settings import Settings
from search_api.highlight import Highlighter
from search_api.observability import Metrics
from search_api.query_pipeline import build_query_pipeline
from search_api.ratelimit import RateLimiter
from search_api.searcher import Searcher
from search_api.uploads import IngestWorker, JobStatus

logger = logging.getLogger("kb.api")
Clock = Callable[[], dt.date]


@dataclass
class Services:
    settings: Settings
    backend: Any
    embedder: DenseEmbedder
    searcher: Searcher
    highlighter: Highlighter
    pipeline: Pipeline
    ingest: IngestService
    extractor: TextExtractor
    worker: IngestWorker
    metrics: Metrics
    clock: Clock
    limiter: RateLimiter

    def today(self) -> dt.date:
        return self.clock()

    def close(self) -> None:
        self.worker.stop()
        self.backend.close()


def build_services(settings: Settings, *, embedder: DenseEmbedder | None = None, backend: Any = None,
                   clock: Clock | None = None, metrics: Metrics | None = None) -> Services:
    """Load the model, open (or create) the index, assemble the query pipeline and start the ingest worker."""
    embedder = embedder or embedder_from_settings(settings)
    embedder.warm_up()
    backend = backend or open_backend(settings, embedder.dimension)
    expander = SynonymExpander(settings.synonyms_path)
    searcher = Searcher(backend, embedder, expander=expander, lexical_weight=settings.lexical_weight,
                        candidates=settings.candidates)
    highlighter = Highlighter(searcher.encoder.analyzer, expander)
    pipeline = build_query_pipeline(searcher, highlighter, size_weight=settings.context_size_weight,
                                    area_weight=settings.context_area_weight)
    ingest = IngestService.from_settings(backend, embedder, settings, files_path=settings.files_path)
    ingest.warm_up()
    metrics = metrics or Metrics()

    def finished(status: JobStatus) -> None:
        metrics.uploads.labels(status.status.value).inc()

    worker = IngestWorker(ingest.ingest_bytes, settings.uploads_path, on_finish=finished)
    worker.start()
    logger.info("services ready", extra={"backend": settings.backend, "model": settings.model,
                                         "chunks": backend.count()})
    extractor = TextExtractor(ocr_enabled=settings.ocr_enabled, ocr_language=settings.ocr_language)
    return Services(settings, backend, embedder, searcher, highlighter, pipeline, ingest, extractor, worker, metrics,
                    clock or dt.date.today, RateLimiter(settings))
