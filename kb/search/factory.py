"""The one place a search engine is built from the settings (weights, depth, synonyms, context)."""

from __future__ import annotations

from typing import Any

from kb.models.base import DenseEmbedder
from kb.search.engine import Clock, SearchEngine
from kb.settings import Settings
from kb.text.synonyms import SynonymExpander


def engine_from_settings(settings: Settings, backend: Any, embedder: DenseEmbedder, *,
                         clock: Clock | None = None) -> SearchEngine:
    extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
    return SearchEngine(backend, embedder, expander=SynonymExpander(settings.synonyms_path),
                        lexical_weight=settings.lexical_weight, candidates=settings.candidates,
                        context_size_weight=settings.context_size_weight,
                        context_area_weight=settings.context_area_weight, **extra)
