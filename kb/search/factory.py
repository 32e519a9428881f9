"""The one place a search engine is built from the settings (weights, depth, synonyms, context), and where the
model and index it searches are opened when the caller has none."""

from __future__ import annotations

from typing import Any

from kb.models.base import DenseEmbedder
from kb.models.factory import embedder_from_settings
from kb.search.engine import Clock, SearchEngine
from kb.search.fusion import Normalisation
from kb.settings import Settings
from kb.storage.factory import open_backend
from kb.text.synonyms import SynonymExpander


def engine_from_settings(settings: Settings, backend: Any, embedder: DenseEmbedder, *,
                         clock: Clock | None = None) -> SearchEngine:
    extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
    return SearchEngine(backend, embedder, expander=SynonymExpander(settings.synonyms_path),
                        lexical_weight=settings.lexical_weight, candidates=settings.candidates,
                        normalisation=Normalisation(settings.fusion), chunk_bonus=settings.chunk_bonus,
                        exact_dense=settings.exact_dense,
                        context_size_weight=settings.context_size_weight,
                        context_area_weight=settings.context_area_weight, **extra)


def open_engine(settings: Settings, *, embedder: DenseEmbedder | None = None, backend: Any = None,
                load_model: bool = True, create_index: bool = True, clock: Clock | None = None
                ) -> SearchEngine:
    """The engine over the configured model and index (`engine.embedder`, `engine.backend`), those given excepted.

    `load_model=False` opens an index without loading the model (deleting, counting, lexical search). A missing
    index is created when the model is loaded (its dimension is needed) and `create_index` allows it; otherwise it
    is refused with the backend's message."""
    embedder = embedder or embedder_from_settings(settings)
    if load_model:
        embedder.warm_up()
    if backend is None:
        backend = open_backend(settings, embedder.dimension if load_model and create_index else None)
    return engine_from_settings(settings, backend, embedder, clock=clock)
