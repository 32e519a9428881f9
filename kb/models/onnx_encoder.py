"""Fast CPU encoder: the configured sentence-transformers model exported to ONNX and run by onnxruntime with the
`tokenizers` library (no torch or transformers at run time once the files exist). Passages go through the int8
model (throughput), queries through the fp32 export (accuracy; see `kb.models.onnx_export` for the recipe).

Any sentence-transformers model made of Transformer + Pooling (mean or cls) (+ Normalize) works: pooling,
truncation length and lower-casing come from the model folder, so vectors reproduce the torch path's (cosine to
fp32 >= 0.99 for passages, 1.0 for queries with the default model). The first warm-up builds the files (a few
seconds for a small model) under `KB_ONNX_CACHE`; later ones load them.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from kb.models.base import DEFAULT_CACHE, DEFAULT_MODEL, DenseEmbedder, prefixes_for
from kb.models.onnx_export import (
    build_quantized,
    cache_key,
    cpu_has_vnni,
    load_tokenizer,
    model_folder,
    pad,
    pad_id,
    read_layout,
)

logger = logging.getLogger(__name__)


def onnxruntime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def physical_cores() -> int:
    """Physical cores this process may run on (hyper-threads share one core's integer units)."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
    cores: set[tuple[str, ...]] = set()
    for cpu in cpus:
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            cores.add(tuple((topology / f).read_text().strip() for f in ("physical_package_id", "core_id")))
        except OSError:
            cores.add(("", str(cpu)))
    return max(1, len(cores))


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Pooled and L2-normalised sentence vectors, as sentence-transformers' Pooling + Normalize."""
    if mode == "cls":
        vectors = hidden[:, 0]
    else:
        weights = mask[..., None].astype(hidden.dtype)
        vectors = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.clip(norms, 1e-12, None), dtype=np.float32)


class OnnxEmbedder:
    """DenseEmbedder on onnxruntime: passages on the int8 model (throughput), queries on the fp32 export (one short
    text: int8 would save ~1.5 ms and cost most of its accuracy loss), except for large-vocabulary models, whose
    queries share the int8 file (see `kb.models.onnx_export`). With a `fallback`, a model it cannot serve goes to
    that one instead."""

    def __init__(self, model: str = DEFAULT_MODEL, query_prefix: str | None = None,
                 passage_prefix: str | None = None, batch_size: int = 32, cache_dir: Path = DEFAULT_CACHE,
                 fallback: DenseEmbedder | None = None) -> None:
        if batch_size < 1:
            raise ValueError("batch_size deve essere >= 1")
        self.name = model
        self.query_prefix, self.passage_prefix = prefixes_for(model, query_prefix, passage_prefix)
        self.batch_size = batch_size
        self.cache_dir, self.fallback = Path(cache_dir), fallback
        self.model_path: Path | None = None  # the int8 file in use; its fp32 sibling serves queries
        self._session: Any = None
        self._query_session: Any = None
        self._delegate: DenseEmbedder | None = None

    def warm_up(self) -> None:
        if self._session is not None or self._delegate is not None:
            return
        try:
            self._load()
        except Exception as exc:  # any failure of the fast path is reported, then torch serves
            if self.fallback is None:
                raise
            logger.warning("ONNX encoder unavailable for %s (%s: %s): using torch instead", self.name,
                           type(exc).__name__, exc)
            self.fallback.warm_up()
            self._delegate = self.fallback

    def _load(self) -> None:
        import onnxruntime as ort

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # as the torch path: no fork warnings
        layout = read_layout(model_folder(self.name, self.cache_dir))
        tokenizer, counter = load_tokenizer(layout, layout.max_seq_length), load_tokenizer(layout, None)
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", self.name).strip("-.")[-60:] or "model"
        reduce_range = not cpu_has_vnni()
        stem = self.cache_dir / "onnx" / f"{slug}-{cache_key(layout, ort.__version__, reduce_range)[:20]}"
        path = stem.with_name(stem.name + ".int8.onnx")
        fp32_path = None if layout.large_vocabulary else stem.with_name(stem.name + ".fp32.onnx")
        if not (path.exists() and (fp32_path is None or fp32_path.exists())):
            logger.info("building the ONNX encoder for %s into %s (once per model and onnxruntime version)",
                        self.name, path.parent)
            build_quantized(layout, tokenizer, path, fp32_path, reduce_range)
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = physical_cores(), 1
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        query_session = session if fp32_path is None else ort.InferenceSession(
            str(fp32_path), options, providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in session.get_inputs()]
        self._layout, self._tokenizer, self._counter = layout, tokenizer, counter
        self._pad_id, self.model_path, self._query_session = pad_id(layout, tokenizer), path, query_session
        self._session = session

    @property
    def encoder(self) -> str:
        """Which encoder serves: `onnx`, or `fallback` (torch, as built by `embedder_from_settings`)."""
        self._ready()
        return "fallback" if self._delegate is not None else "onnx"

    def _ready(self) -> None:
        if self._session is None and self._delegate is None:
            raise RuntimeError("modello non caricato: chiamare warm_up() prima dell'uso")

    @property
    def dimension(self) -> int:
        self._ready()
        return self._delegate.dimension if self._delegate is not None else self._layout.dimension

    @property
    def max_tokens(self) -> int:
        self._ready()
        return self._delegate.max_tokens if self._delegate is not None else self._layout.max_seq_length

    def count_tokens(self, text: str) -> int:
        self._ready()
        if self._delegate is not None:
            return self._delegate.count_tokens(text)
        return len(self._counter.encode(text).ids)

    def _encode(self, texts: list[str], session: Any) -> np.ndarray:
        """Unit vectors, one row per text; batches of similar length so little padding is computed."""
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        out = np.empty((len(texts), self._layout.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            ids, mask = pad([encodings[i].ids for i in rows], self._pad_id)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(["last_hidden_state"], {n: feed[n] for n in self._inputs})[0]
            out[rows] = pool(hidden, mask, self._layout.pooling)
        return out

    def embed_passages(self, texts: list[str]) -> list[list[float]]:
        self._ready()
        if self._delegate is not None:
            return self._delegate.embed_passages(texts)
        return self._encode([self.passage_prefix + t for t in texts], self._session).tolist() if texts else []

    def embed_query(self, text: str) -> list[float]:
        self._ready()
        if self._delegate is not None:
            return self._delegate.embed_query(text)
        return [float(x) for x in self._encode([self.query_prefix + text], self._query_session)[0]]
