"""The composition root: what the settings describe, built once, for the CLI, the API, evaluation and benchmarks.

The retrieval core (`kb`) imports nothing above it; this package is where ingestion and search meet the settings,
so every caller gets the same engine (weights, depth, synonyms, context) and the same ingestion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingest.service import IngestService
from kb.models.base import DenseEmbedder
from kb.search import SearchEngine
from kb.search.engine import Clock
from kb.search.factory import open_engine
from kb.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    embedder: DenseEmbedder
    backend: Any
    engine: SearchEngine

    def ingest_service(self, *, ocr_enabled: bool | None = None, with_files: bool = True) -> IngestService:
        """The ingestion pipeline as configured, warmed up (originals stored under KB_FILES_PATH unless told not)."""
        service = IngestService.from_settings(self.backend, self.embedder, self.settings, ocr_enabled=ocr_enabled,
                                              files_path=self.settings.files_path if with_files else None)
        service.warm_up()
        return service

    def close(self) -> None:
        self.backend.close()


def build_runtime(settings: Settings, *, embedder: DenseEmbedder | None = None, backend: Any = None,
                  load_model: bool = True, clock: Clock | None = None) -> Runtime:
    """Model, index and engine (`open_engine`), and the ingestion built on the same model and index."""
    engine = open_engine(settings, embedder=embedder, backend=backend, load_model=load_model, clock=clock)
    return Runtime(settings, engine.embedder, engine.backend, engine)
