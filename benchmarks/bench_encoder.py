"""Encoder speed and agreement: torch fp32 vs ONNX Runtime (`KB_ENCODER=onnx`: passages int8, queries fp32).

Run: `python benchmarks/bench_encoder.py --out results/bench/encoder.json [--squad torch=A.json --squad onnx=B.json]`
Chunks: the sample corpus's Markdown sources, then SQuAD-it paragraphs, cut by the project's chunker and seen as the
ingestion pipeline embeds them (title + section + text), the first `--chunks`. Batch size 32; the encoders take
turns, `--runs` times each, and the median is kept. Query latency: p50 of single SQuAD-it questions. `--squad`
adds the retrieval quality of `kb eval` result files (one per encoder) and their difference.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from haystack import Document

from ingest.components.italian_chunker import ItalianChunker
from ingest.metadata import split_front_matter
from kb.models.base import DenseEmbedder
from kb.models.embedders import SentenceTransformerEmbedder
from kb.models.onnx_encoder import OnnxEmbedder, physical_cores


def chunk_texts(embedder: DenseEmbedder, sources: Path, squad: Path, limit: int) -> list[str]:
    docs = []
    for path in sorted(sources.rglob("*.md")):
        meta, body = split_front_matter(path.read_bytes(), str(path))
        if meta:  # documents have front matter; SCHEMA.md and notes do not
            docs.append(Document(content=body.decode("utf-8"), meta={"title": str(meta.get("title") or path.stem)}))
    with (squad / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            docs.append(Document(content=row["text"], meta={"title": row.get("title") or ""}))
    chunks = ItalianChunker(embedder).run(docs)["documents"]
    texts = [str(c.meta["_index_text"]) for c in chunks][:limit]
    if len(texts) < limit:
        raise SystemExit(f"only {len(texts)} chunks, {limit} asked")
    return texts


def squad_quality(files: list[str], dataset: Path) -> dict[str, Any]:
    """Metrics of each encoder's `kb eval` run files (the product's rankings), and each one minus torch per query
    with a 95% paired bootstrap interval (2,000 resamples). Computed from the TREC files, not copied from the JSON."""
    from evaluation.beir import load_beir
    from evaluation.metrics import compute_metrics, per_query, read_trec
    from evaluation.run import runs_dir

    paths = {enc: Path(path) for enc, path in (item.split("=", 1) for item in files)}
    meta = {enc: json.loads(path.read_text(encoding="utf-8")) for enc, path in paths.items()}
    first = next(iter(meta.values()))
    qrels = load_beir(dataset, first["split"]).limit_queries(first["queries"]).qrels
    modes = [m for m in ("semantic", "hybrid") if all(m in data["modes"] for data in meta.values())]
    rankings = {enc: {m: read_trec(runs_dir(path) / f"{m}.trec") for m in modes} for enc, path in paths.items()}
    out: dict[str, Any] = {"queries": len(qrels), "note": "first N questions of the test split (kb eval "
                           "--max-queries), full corpus; kb eval timings come from runs at different machine loads: "
                           "`speed` is the like-for-like comparison"}
    for enc in paths:
        out[enc] = {"timings": meta[enc]["timings"],
                    **{m: {k: v for k, v in compute_metrics(qrels, rankings[enc][m]).items()
                           if k in ("ndcg@10", "mrr@10", "recall@10")} for m in modes}}
    rng = np.random.default_rng(0)
    for enc in [e for e in paths if e != "torch" and "torch" in paths]:
        delta: dict[str, Any] = {}
        for m in modes:
            for metric in ("ndcg@10", "mrr@10"):
                scores = {e: per_query(qrels, rankings[e][m], metric) for e in ("torch", enc)}
                diff = np.array([scores[enc][q] - scores["torch"][q] for q in qrels])
                low, high = np.percentile(rng.choice(diff, (2000, diff.size)).mean(axis=1), [2.5, 97.5])
                delta.setdefault(m, {})[metric] = {"mean": round(float(diff.mean()), 4),
                                                   "ci95": [round(float(low), 4), round(float(high), 4)],
                                                   "queries_changed": int((diff != 0).sum())}
        out[f"delta_{enc}_minus_torch"] = delta
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("results/bench/encoder.json"))
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dataset", type=Path, default=Path("../shared/benchmarks/squad-it"),
                        help="SQuAD-it in BEIR layout: paragraphs to chunk and questions to time")
    parser.add_argument("--squad", action="append", default=[],
                        help="NAME=kb-eval-result.json (repeatable; `torch` is the reference)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    torch_embedder = SentenceTransformerEmbedder(batch_size=32)
    torch_embedder.warm_up()
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        OnnxEmbedder(cache_dir=Path(cache)).warm_up()  # export + quantize, as a first start-up does
        build_s = time.perf_counter() - start
        onnx_embedder = OnnxEmbedder(batch_size=32, cache_dir=Path(cache))
        start = time.perf_counter()
        onnx_embedder.warm_up()
        load_s = time.perf_counter() - start
        assert onnx_embedder.model_path is not None
        model_mb = onnx_embedder.model_path.stat().st_size / 2**20
        embedders: dict[str, DenseEmbedder] = {"torch_fp32": torch_embedder, "onnx": onnx_embedder}

        texts = chunk_texts(torch_embedder, Path("corpus/_sources"), args.dataset, args.chunks)
        tokens = [min(torch_embedder.count_tokens(t), torch_embedder.max_tokens) for t in texts]
        with (args.dataset / "queries.jsonl").open(encoding="utf-8") as lines:
            queries = [json.loads(line)["text"] for _, line in zip(range(args.queries), lines, strict=False)]
        for embedder in embedders.values():
            embedder.embed_passages(texts[:64])
        load_before = os.getloadavg()
        seconds: dict[str, list[float]] = {name: [] for name in embedders}
        latency: dict[str, list[float]] = {name: [] for name in embedders}
        vectors: dict[str, np.ndarray] = {}
        query_vectors: dict[str, np.ndarray] = {}
        for _ in range(args.runs):
            for name, embedder in embedders.items():
                start = time.perf_counter()
                vectors[name] = np.array(embedder.embed_passages(texts))
                seconds[name].append(time.perf_counter() - start)
                times, out = [], []
                for query in queries:
                    start = time.perf_counter()
                    out.append(embedder.embed_query(query))
                    times.append(time.perf_counter() - start)
                latency[name].append(statistics.median(times) * 1000)
                query_vectors[name] = np.array(out)

    cos = (vectors["torch_fp32"] * vectors["onnx"]).sum(axis=1)
    qcos = (query_vectors["torch_fp32"] * query_vectors["onnx"]).sum(axis=1)
    rate = {name: len(texts) / statistics.median(s) for name, s in seconds.items()}
    p50 = {name: statistics.median(ms) for name, ms in latency.items()}
    speed = {name: {"passages_per_s": round(rate[name], 1),
                    "seconds": [round(x, 2) for x in s],
                    "query_p50_ms": round(p50[name], 2),
                    "query_p50_ms_runs": [round(x, 2) for x in latency[name]]} for name, s in seconds.items()}
    result = {
        "benchmark": "encoder", "model": torch_embedder.name, "chunks": len(texts), "batch_size": 32,
        "runs": args.runs, "chunk_tokens": {"mean": round(float(np.mean(tokens)), 1), "max": max(tokens)},
        "queries": len(queries), "speed": speed,
        "onnx_precision": {"passages": "int8 dynamic, per-channel weights; feed-forward down-projections fp32",
                           "queries": "fp32"},
        "speedup": {"passages": round(rate["onnx"] / rate["torch_fp32"], 2),
                    "query_p50": round(p50["torch_fp32"] / p50["onnx"], 2)},
        "cosine_onnx_vs_torch": {"passages_min": round(float(cos.min()), 4),
                                 "passages_mean": round(float(cos.mean()), 4),
                                 "passages_p1": round(float(np.percentile(cos, 1)), 4),
                                 "queries_min": round(float(qcos.min()), 4),
                                 "queries_mean": round(float(qcos.mean()), 4)},
        "onnx_build": {"export_and_quantize_s": round(build_s, 1), "load_cached_s": round(load_s, 2),
                       "model_mb": round(model_mb, 1)},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "physical_cores": physical_cores(),
                    "loadavg_before": [round(x, 2) for x in load_before],
                    "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
    }
    if args.squad:
        result["squad_it"] = squad_quality(args.squad, args.dataset)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
