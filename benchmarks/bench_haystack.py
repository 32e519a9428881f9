"""Ingestion throughput: our pipeline vs a plain Haystack 3 pipeline on the same PDFs (goal: ours >= 2x).

Run: `python benchmarks/bench_haystack.py --out results/bench/haystack.json` (or import `run` from an orchestrator).
Both sides read every PDF under `corpus/` (21; the recorded run, before the English practices, had 20) with the
same converter (Haystack's `PyPDFToDocument`), embed with the same model on the CPU, batch size 32, and write into a
fresh on-disk Qdrant index each run:

- ours: `IngestService` as configured (`KB_ENCODER`, OCR, chunk sizes) into a Qdrant Edge index; also without OCR
  and, when `KB_ENCODER` is not torch, on torch fp32: the plain pipeline's encoder, to separate the gains;
- plain: PyPDFToDocument -> DocumentSplitter (words) -> SentenceTransformersDocumentEmbedder (torch) ->
  DocumentWriter into qdrant-haystack's `QdrantDocumentStore` (qdrant-client local mode), as the Haystack docs
  build it, with chunks of about our size (`SPLITTER`).

Both are warmed up first (models loaded, one untimed run on one PDF); each timed run goes from the start of the run
to every document written, best of `--repeat` kept, runs interleaved. The bare encoder is timed on each side's
chunk texts for reference. Our pipeline does more work per document than the plain one (`NOTES`).
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # everything loads from local files; the hub is never reached
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")  # no posthog calls during the timed runs
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_ingest import embedded_texts, ingest_once, ocr_warnings, time_encoder
from haystack import Document, Pipeline
from haystack.components.converters import PyPDFToDocument
from haystack.components.preprocessors import DocumentSplitter
from haystack.components.writers import DocumentWriter
from haystack.document_stores.types import DuplicatePolicy
from haystack.utils import ComponentDevice
from haystack_integrations.components.embedders.sentence_transformers import SentenceTransformersDocumentEmbedder
from haystack_integrations.document_stores.qdrant import QdrantDocumentStore

from kb.models.base import DenseEmbedder, resolve_model_path
from kb.models.embedders import SentenceTransformerEmbedder
from kb.models.factory import embedder_from_settings
from kb.settings import get_settings

SPLITTER = {"split_by": "word", "split_length": 60, "split_overlap": 10}  # ~ our chunks in size and count
NOTES = [
    "same converter on both sides: haystack PyPDFToDocument (pypdf, plain extraction mode)",
    "ours OCRs PDF pages without a text layer (tesseract); the plain pipeline leaves them empty: see ours_no_ocr",
    "ours also computes sparse BM25 vectors (Italian analysis) for hybrid search; the plain one only dense vectors",
    "ours enriches metadata (municipality/region/topic detection via gazetteer and the encoder)",
    "ours reads the .meta.yaml sidecars, validates metadata, hashes files for incremental/duplicate checks",
    "ours chunks by structure (headings, paragraphs, Italian sentences) sized in model tokens, with page ranges;"
    " the plain one splits every N words, and chunks over the model window are silently truncated by the encoder",
    "ours embeds title + section + text (index_text); the plain one embeds the chunk text only",
    "KB_ENCODER=onnx/auto: ours encodes passages with ONNX Runtime int8, the plain one with torch fp32;"
    " ours_torch is ours on the plain pipeline's encoder",
    "indexes differ: Qdrant Edge (ours, dense + sparse named vectors) vs qdrant-client local mode (plain, dense only)",
]


def _words(texts: list[str]) -> float:
    return round(statistics.mean(len(t.split()) for t in texts), 1) if texts else 0.0


def _plain_pipeline(store: QdrantDocumentStore, model_path: str) -> Pipeline:
    pipe = Pipeline()
    pipe.add_component("converter", PyPDFToDocument())
    pipe.add_component("splitter", DocumentSplitter(**SPLITTER))
    pipe.add_component("embedder", SentenceTransformersDocumentEmbedder(
        model=model_path, device=ComponentDevice.from_str("cpu"), batch_size=32, progress_bar=False,
        normalize_embeddings=True, local_files_only=True))
    pipe.add_component("writer", DocumentWriter(document_store=store, policy=DuplicatePolicy.OVERWRITE))
    pipe.connect("converter.documents", "splitter.documents")
    pipe.connect("splitter.documents", "embedder.documents")
    pipe.connect("embedder.documents", "writer.documents")
    return pipe


def _plain_once(pdfs: list[Path], model_path: str, dim: int) -> tuple[float, list[Document], int]:
    with tempfile.TemporaryDirectory() as tmp:
        store = QdrantDocumentStore(path=str(Path(tmp) / "qdrant"), index="Document", embedding_dim=dim,
                                    similarity="cosine", recreate_index=True, progress_bar=False)
        store.count_documents()  # creates the collection now, as ensure_collection does on our side
        pipe = _plain_pipeline(store, model_path)
        pipe.warm_up()
        start = time.perf_counter()
        result = pipe.run({"converter": {"sources": pdfs}})
        elapsed = time.perf_counter() - start
        written = int(result["writer"]["documents_written"])
        if store.count_documents() != written:
            raise RuntimeError("chunk count in the store differs from documents_written")
        docs = store.filter_documents()
        store.close()
    return elapsed, docs, written


def _side(documents: int, chunks: int, seconds: list[float], texts: list[str], **extra: Any) -> dict[str, Any]:
    best = min(seconds)
    return {"documents": documents, "chunks": chunks, "seconds": [round(s, 2) for s in seconds],
            "best_seconds": round(best, 2), "chunks_per_s": round(chunks / best, 1),
            "documents_per_s": round(documents / best, 2), "mean_words_per_chunk": _words(texts), **extra}


def _encoder(embedder: DenseEmbedder, texts: list[str], repeat: int) -> dict[str, Any]:
    runs = time_encoder(embedder, texts, repeat)
    return {"chunks": len(texts), "seconds": [round(s, 2) for s in runs],
            "chunks_per_s": round(len(texts) / min(runs), 1), "mean_words_per_text": _words(texts)}


def _in_use(embedder: DenseEmbedder) -> str:
    """The class that really encodes: an ONNX embedder that fell back to torch at warm-up says so."""
    return type(getattr(embedder, "_delegate", None) or embedder).__name__


def _variants(settings: Any) -> dict[str, tuple[DenseEmbedder, bool]]:
    """Ours as configured, without OCR (the plain pipeline has none) and, when the configured encoder is not
    torch, on the plain pipeline's encoder (sentence-transformers fp32): each (embedder, OCR on)."""
    embedder = embedder_from_settings(settings)
    embedder.warm_up()
    embedder.embed_passages(["riscaldamento del modello"] * 8)
    ocr = bool(settings.ocr_enabled)
    variants = {"ours": (embedder, ocr), "ours_no_ocr": (embedder, False)}
    if _in_use(embedder) != SentenceTransformerEmbedder.__name__:
        torch_embedder = SentenceTransformerEmbedder(settings.model, settings.query_prefix, settings.passage_prefix,
                                                     settings.embed_batch_size, settings.device)
        torch_embedder.warm_up()
        torch_embedder.embed_passages(["riscaldamento del modello"] * 8)
        variants["ours_torch"] = (torch_embedder, ocr)
    return variants


def run(pdfs: list[Path], repeat: int = 2, log: Callable[..., Any] = print) -> dict[str, Any]:
    """Benchmark both pipelines on `pdfs` (runs interleaved, best of `repeat` kept); a JSON-ready dict."""
    settings = get_settings()
    variants = _variants(settings)
    embedder = variants["ours"][0]
    model_path, dim = resolve_model_path(settings.model), embedder.dimension

    log("warm-up (untimed): one PDF through each pipeline")
    for emb, ocr in variants.values():
        ingest_once(pdfs[:1], emb, settings, ocr)
    _plain_once(pdfs[:1], model_path, dim)

    seconds: dict[str, list[float]] = {name: [] for name in [*variants, "haystack"]}
    last: dict[str, tuple[list[dict], Any]] = {}
    for i in range(repeat):  # interleaved, so that load from elsewhere on the machine hits every side alike
        for name, (emb, ocr) in variants.items():
            elapsed, payloads, report = ingest_once(pdfs, emb, settings, ocr)
            seconds[name].append(elapsed)
            last[name] = (payloads, report)
            log(f"{name} run {i + 1}/{repeat}: {len(payloads)} chunks in {elapsed:.1f}s {report.summary()}")
        elapsed, docs, written = _plain_once(pdfs, model_path, dim)
        seconds["haystack"].append(elapsed)
        log(f"haystack run {i + 1}/{repeat}: {written} chunks in {elapsed:.1f}s")

    result: dict[str, Any] = {
        "benchmark": "haystack", "model": settings.model, "model_path": model_path, "encoder": str(settings.encoder),
        "encoder_in_use": _in_use(embedder), "embed_batch_size": settings.embed_batch_size,
        "pdfs": [str(p) for p in pdfs], "repeat": repeat}
    texts: dict[str, list[str]] = {}
    for name, (emb, _) in variants.items():
        payloads, report = last[name]
        embedded = embedded_texts(payloads)
        texts.setdefault("ours_texts", embedded)
        result[name] = _side(report.summary()["indexed"], len(payloads), seconds[name],
                             [str(p.get("text") or "") for p in payloads], encoder_in_use=_in_use(emb),
                             mean_words_per_embedded_text=_words(embedded), report=report.summary(),
                             ocr_warnings=ocr_warnings(report))
    plain_texts = texts["haystack_texts"] = [d.content or "" for d in docs]
    result["haystack"] = _side(
        len(pdfs), written, seconds["haystack"], plain_texts, encoder_in_use="SentenceTransformer (torch fp32)",
        splitter=SPLITTER, source_documents_with_chunks=len({str(d.meta.get("file_path")) for d in docs}),
        chunks_over_model_window=sum(1 for t in plain_texts if embedder.count_tokens(t) > embedder.max_tokens),
        empty_chunks=sum(1 for t in plain_texts if not t.strip()))

    log("bare encoder on each side's chunk texts")
    encoders = {_in_use(emb): emb for emb, _ in variants.values()}
    result["bare_encoder"] = {name: {k: _encoder(emb, v, repeat) for k, v in texts.items()}
                              for name, emb in encoders.items()}
    for name in variants:
        for unit in ("chunks", "documents"):
            ratio = result[name][f"{unit}_per_s"] / result["haystack"][f"{unit}_per_s"]
            result[f"ratio_{name}_to_haystack_{unit}_per_s"] = round(ratio, 3)
    result.update(goal_ratio=2.0, notes=NOTES, machine={
        "python": platform.python_version(), "cpus": os.cpu_count(), "load_average_1m": os.getloadavg()[0]})
    return result


def corpus_pdfs(root: Path = Path("corpus")) -> list[Path]:
    return [p for p in sorted(root.rglob("*.pdf")) if "_sources" not in p.relative_to(root).parts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("results/bench/haystack.json"))
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per side (best kept)")
    args = parser.parse_args()
    result = run(corpus_pdfs(), repeat=args.repeat)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
