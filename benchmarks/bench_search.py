"""Search latency: `/search` over HTTP at 10k and 100k chunks vs the floor measured in the same run.

Goal (per size): HTTP p50 <= 1.5x the floor p50, and HTTP p95 <= 30 ms.

Run: `make bench-search` (or `python benchmarks/bench_search.py --sizes 10000 100000 --out results/bench/search.json`).

What is measured, and why
-------------------------
* Source: the real chunks of the sample corpus (its four type folders), ingested by the product's own pipeline
  into a temporary Qdrant Edge index (or read from `--index`), with their payload, dense vector (the embedding
  model's) and BM25 sparse vector (re-encoded from the same text ingestion embeds: title, section and passage).
* Indexes of 10k and 100k chunks are SYNTHETIC, generated from those real chunks by `benchmarks/synthetic.py`
  (new texts from their sentences and vocabulary, places and years varied among the corpus's values, vectors mixed
  from the source chunks' real vectors; see its docstring). Points are written in batches, then flushed and
  optimised (HNSW built).
* Floor: what any implementation of this search has to pay per query, measured in this process on the same index
  before the server starts: query encoding (synonym expansion + BM25 encoding, and the dense embedding of the
  query) plus the two engine queries the API makes (sparse and dense, `candidates` hits each, same filter, same
  candidate payload fields), i.e. `SearchEngine.retrieve_passages` as the retrieval core calls it.
  The objects this process made while building the index are frozen out of garbage collection first
  (`gc.freeze()`), so the collector's full passes over them do not count as query work.
* HTTP: the real server (`kb serve`) started on that index in a subprocess; the same queries through GET /search
  (page_size 10) from a keep-alive httpx client; latency measured client-side, so it includes HTTP, validation,
  the retrieval core (fusion, grouping, facets, fetching and highlighting the page's passages) and serialisation.
* Core: `SearchEngine.search` for the same requests, in this process: HTTP minus core is the web layer's share.

Both measurements run warm (one warm-up round first), sequentially, on the same machine: the ratio is what
matters, absolute numbers depend on the CPU. `tail_ms` (p99, max, samples over 100 ms) shows pauses that p50/p95
hide or that come from outside the query (the server is measured as it is, garbage collector included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from bench_common import QUERIES, percentiles, tail
from bench_server import free_port, start_server, stop_server, wait_healthy
from synthetic import ChunkGenerator, SourceChunk, build_index

from ingest.components.italian_chunker import index_text
from ingest.service import IngestService
from kb.models.base import DenseEmbedder
from kb.models.factory import embedder_from_settings
from kb.search import Mode, engine_from_settings
from kb.settings import Settings, get_settings
from kb.storage.backends.base import SparseVec
from kb.storage.backends.edge import EdgeBackend
from kb.text.analysis import Bm25SparseEncoder
from search_api.schemas.search import SearchRequest

CORPUS_DIRS = ("buone_pratiche", "progetti", "normativa", "bandi")

# -- source chunks ---------------------------------------------------------------------------------------------
def _scroll_all(backend: EdgeBackend) -> Iterator[Any]:
    offset: str | None = None
    while True:
        hits, offset = backend.scroll(None, 1000, offset, with_dense=True)
        yield from hits
        if offset is None:
            return


def load_source(args: argparse.Namespace, settings: Settings, embedder: DenseEmbedder, tmp: Path) -> list[SourceChunk]:
    """The corpus's real chunks: ingested into `tmp` by the product's pipeline, or read from `--index`."""
    if args.index is not None:
        backend = EdgeBackend(args.index, settings.model)
        backend.ensure_collection(None)
    else:
        backend = EdgeBackend(tmp / "source", settings.model)
        backend.ensure_collection(embedder.dimension)
        service = IngestService.from_settings(backend, embedder, settings)
        service.warm_up()
        start = time.perf_counter()
        report = service.ingest_paths(args.docs)
        print(f"source: ingested {report.summary()} in {time.perf_counter() - start:.1f}s", flush=True)
    encoder = Bm25SparseEncoder()
    chunks = []
    for hit in _scroll_all(backend):
        if hit.dense is None:
            continue
        payload = hit.payload
        # exactly what ingestion encodes (ingest/components/italian_chunker.py, sparse_embedder.py)
        indices, values = encoder.encode_document(
            index_text(str(payload.get("title") or ""), payload.get("section"), str(payload.get("text") or "")))
        chunks.append(SourceChunk(payload, np.asarray(hit.dense, dtype=np.float32), SparseVec(indices, values)))
    backend.close()
    # a stable order (scroll order is by id): documents together, chunks in reading order
    chunks.sort(key=lambda c: (str(c.payload.get("doc_id")), int(c.payload.get("chunk_index") or 0)))
    return chunks


# -- floor -----------------------------------------------------------------------------------------------------
def measure_floor(backend: EdgeBackend, embedder: DenseEmbedder, settings: Settings, today: dt.date,
                  rounds: int, page_size: int = 10) -> dict[str, Any]:
    """The floor: query encoding + the two engine queries, exactly as the retrieval core makes them
    (`SearchEngine.retrieve_passages`, hybrid mode, the request's filters). In the same rounds, the whole core
    (`SearchEngine.search` for the request GET /search builds), so the work beyond the floor is split into the
    core's own steps (fusion, grouping, facets, the page's passages) and the web layer (HTTP minus core)."""
    engine = engine_from_settings(settings, backend, embedder)
    requests = [SearchRequest.model_validate({"q": q, "page_size": page_size, **f}).to_core(today) for q, f in QUERIES]
    filters = [engine.search_filter(r, today) for r in requests]

    steps: dict[str, list[float]] = {}

    def once(index: int) -> tuple[float, float, float, float]:
        query = requests[index].text
        t0 = time.perf_counter()
        engine.retrieve_passages(query, Mode.lexical, filters[index])
        t1 = time.perf_counter()
        engine.retrieve_passages(query, Mode.semantic, filters[index])
        t2 = time.perf_counter()
        embedder.embed_query(query)  # the encoding alone, for the breakdown (not part of the floor)
        t3 = time.perf_counter()
        page = engine.search(requests[index])
        elapsed = time.perf_counter() - t3
        for step, ms in page.timings.items():
            steps.setdefault(step, []).append(ms / 1000.0)
        return t2 - t0, t1 - t0, t3 - t2, elapsed

    for index in range(len(requests)):  # warm-up
        once(index)
    # this process built the index: its heap would make the collector's full passes (pauses of hundreds of ms)
    # part of the floor; the floor is the work a query needs, so those objects are left out of collection
    gc.collect()
    gc.freeze()
    steps.clear()
    total, lexical, embed, core = [], [], [], []
    for _ in range(rounds):
        for index in range(len(requests)):
            t, lx, em, whole = once(index)
            total.append(t)
            lexical.append(lx)
            embed.append(em)
            core.append(whole)
    semantic_engine = [t - lx - em for t, lx, em in zip(total, lexical, embed, strict=True)]
    p50, p95 = percentiles(total)
    core_p50, core_p95 = percentiles(core)
    return {"p50": p50, "p95": p95, "samples": len(total), "tail": tail(total),
            "core_p50": core_p50, "core_p95": core_p95,
            "core_steps_p50_ms": {step: percentiles(values)[0] for step, values in steps.items()},
            "breakdown_p50_ms": {"lexical_encode_and_query": percentiles(lexical)[0],
                                 "dense_query_embedding": percentiles(embed)[0],
                                 "dense_engine_query": percentiles(semantic_engine)[0]}}


# -- HTTP ------------------------------------------------------------------------------------------------------
def measure_http(client: httpx.Client, rounds: int, page_size: int, mode: str | None = None) -> dict[str, Any]:
    """GET /search for the 30 questions with their filters, `rounds` times after a warm-up round; `mode` (lexical,
    semantic) instead of the default hybrid."""
    requests = [{"q": q, "page_size": page_size, **f, **({"mode": mode} if mode else {})} for q, f in QUERIES]

    def once(params: dict[str, Any]) -> tuple[float, int]:
        t0 = time.perf_counter()
        response = client.get("/search", params=params)
        elapsed = time.perf_counter() - t0
        response.raise_for_status()
        return elapsed, int(response.json()["total"])

    totals = [once(p)[1] for p in requests]  # warm-up
    samples = [once(p)[0] for _ in range(rounds) for p in requests]
    p50, p95 = percentiles(samples)
    return {"p50": p50, "p95": p95, "samples": len(samples), "tail": tail(samples),
            "documents_found_median": int(np.median(totals)),
            "queries_without_results": sum(1 for t in totals if t == 0)}


# -- driver ----------------------------------------------------------------------------------------------------
def run_size(size: int, source: list[SourceChunk], args: argparse.Namespace, settings: Settings,
             embedder: DenseEmbedder, tmp: Path, log: Callable[[str], None]) -> dict[str, Any]:
    path = tmp / f"synthetic-{size}"
    backend = EdgeBackend(path, settings.model)
    generator = ChunkGenerator(source, seed=args.seed, noise=args.noise)
    build = build_index(backend, generator, size, embedder.dimension, batch_size=args.batch_size)
    chunks = backend.count()
    log(f"{size}: built {chunks} chunks in {build['total_s']}s {build}")
    today = dt.date.today()
    try:
        floor = measure_floor(backend, embedder, settings, today, args.rounds, args.page_size)
    finally:
        backend.close()  # the server needs the shard: Edge allows one process per index
    log(f"{size}: floor p50 {floor['p50']} ms, p95 {floor['p95']} ms {floor['breakdown_p50_ms']}; "
        f"core p50 {floor['core_p50']} ms")

    port = free_port()
    server_log = tmp / f"server-{size}.log"
    server = start_server(path, tmp, port, server_log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120.0) as client:
            startup = wait_healthy(client, server, server_log, args.startup_timeout)
            http = measure_http(client, args.rounds, args.page_size)
    finally:
        stop_server(server)
    log(f"{size}: http p50 {http['p50']} ms, p95 {http['p95']} ms (server ready in {startup:.1f}s)")

    ratio = http["p50"] / floor["p50"] if floor["p50"] else float("inf")
    return {
        "chunks": chunks, "synthetic": True,
        "build_seconds": build,
        "floor_p50_ms": floor["p50"], "floor_p95_ms": floor["p95"], "floor_breakdown_p50_ms": floor["breakdown_p50_ms"],
        "core_p50_ms": floor["core_p50"], "core_p95_ms": floor["core_p95"],
        "core_steps_p50_ms": floor["core_steps_p50_ms"],
        "http_p50_ms": http["p50"], "http_p95_ms": http["p95"], "ratio_p50": round(ratio, 3),
        "beyond_floor_p50_ms": {"core": round(floor["core_p50"] - floor["p50"], 2),
                                "web": round(http["p50"] - floor["core_p50"], 2),
                                "total": round(http["p50"] - floor["p50"], 2)},
        "samples": {"floor": floor["samples"], "http": http["samples"]},
        "tail_ms": {"floor": floor["tail"], "http": http["tail"]},
        "documents_found_median": http["documents_found_median"],
        "queries_without_results": http["queries_without_results"],
        "server_startup_s": round(startup, 1),
        "goals": {"p50_le_1.5x_floor": ratio <= args.goal_ratio, "p95_le_30ms": http["p95"] <= args.goal_p95_ms},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path, nargs="+", default=[Path("corpus") / d for d in CORPUS_DIRS],
                        help="corpus folders ingested into a temporary source index")
    parser.add_argument("--index", type=Path, default=None,
                        help="read the source chunks from this Edge index instead (not while a server holds it)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds over the queries (after a warm-up)")
    parser.add_argument("--page-size", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=1000, help="points per upsert")
    parser.add_argument("--noise", type=float, default=0.02, help="sigma of the Gaussian noise on generated vectors")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--startup-timeout", type=float, default=600.0)
    parser.add_argument("--goal-ratio", type=float, default=1.5)
    parser.add_argument("--goal-p95-ms", type=float, default=30.0)
    parser.add_argument("--workdir", type=Path, default=None, help="parent of the temporary folder (default: TMPDIR)")
    parser.add_argument("--out", type=Path, default=Path("results/bench/search.json"))
    args = parser.parse_args()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    settings = get_settings()
    embedder = embedder_from_settings(settings)
    embedder.warm_up()
    started = dt.datetime.now(dt.UTC)
    sizes: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-search-", dir=args.workdir) as tmp_name:
        tmp = Path(tmp_name)
        source = load_source(args, settings, embedder, tmp)
        documents = len({c.payload.get("doc_id") for c in source})
        log(f"source: {len(source)} chunks of {documents} documents")
        for size in args.sizes:
            sizes[str(size)] = run_size(size, source, args, settings, embedder, tmp, log)

    result = {
        "benchmark": "search", "date": started.isoformat(timespec="seconds"), "model": settings.model,
        "source": {"chunks": len(source), "documents": documents,
                   "from": str(args.index) if args.index else [str(d) for d in args.docs]},
        "queries": len(QUERIES), "filtered_queries": sum(1 for _, f in QUERIES if f), "rounds": args.rounds,
        "page_size": args.page_size, "candidates": settings.candidates,
        "goals": {"p50_ratio_to_floor": args.goal_ratio, "p95_ms": args.goal_p95_ms},
        "sizes": sizes,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "notes": [
            f"Indexes are SYNTHETIC, generated from the corpus's {len(source)} real chunks by "
            "benchmarks/synthetic.py: new texts from their sentences and vocabulary, comune/regione/year varied "
            f"among the corpus's values, dense vectors mixed from the source chunks' vectors plus noise (sigma "
            f"{args.noise}), sparse vectors as ingestion encodes the new text.",
            "floor = SearchEngine.retrieve_passages (lexical, then semantic) in this process (query encoding, "
            "synonym expansion, "
            f"sparse and dense engine queries with limit {settings.candidates}, same filter, candidate payload "
            "fields only), on the same index, before the server starts.",
            "http = client-side latency of GET /search (keep-alive httpx) against `kb serve` on the same index; "
            "one warm-up round, then sequential requests.",
            "floor measured after gc.collect() + gc.freeze() in the bench process (its heap holds the index build); "
            "the server runs unchanged.",
            "floor_breakdown_p50_ms.dense_query_embedding is measured separately and is not added to the floor "
            "twice; dense_engine_query = the semantic retrieval minus that; core = SearchEngine.search for the same "
            "request as GET /search, in process.",
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{'chunks':>8} {'floor p50':>10} {'floor p95':>10} {'http p50':>9} {'http p95':>9} {'ratio':>6}  goals")
    for row in sizes.values():
        goals = " ".join(f"{k}={'ok' if v else 'NO'}" for k, v in row["goals"].items())
        print(f"{row['chunks']:>8} {row['floor_p50_ms']:>10} {row['floor_p95_ms']:>10} {row['http_p50_ms']:>9} "
              f"{row['http_p95_ms']:>9} {row['ratio_p50']:>6}  {goals}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
