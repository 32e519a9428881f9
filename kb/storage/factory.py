"""Opens the configured backend: the only place that reads which one is in use."""

from __future__ import annotations

from kb.settings import Backend, Settings
from kb.storage.backends.edge import EdgeBackend
from kb.storage.backends.server import ServerBackend


def open_backend(settings: Settings, dense_dim: int | None, *, any_model: bool = False
                 ) -> EdgeBackend | ServerBackend:
    """Open (or, given a dimension, create) the configured index, refusing one built with another model unless
    `any_model` (maintenance that reads the record itself: `kb reembed`)."""
    model = "" if any_model else settings.model
    backend: EdgeBackend | ServerBackend
    if settings.backend is Backend.server:
        assert settings.qdrant_url is not None  # guaranteed by Settings validation
        backend = ServerBackend(settings.qdrant_url, settings.collection, settings.qdrant_api_key,
                                settings.shard_number, settings.replication_factor, model_name=model)
    else:
        backend = EdgeBackend(settings.index_path, model)
    backend.ensure_collection(dense_dim)
    return backend
