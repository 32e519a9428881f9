"""`make bench`: the performance picture of the product in one run, written to results/bench/bench.json (+ .md, .png).

Steps, in this order, on a quiet machine (nothing else running; each step alone on the cores):
1. Ingestion (benchmarks/bench_ingest.py, bench_haystack.py): our pipeline vs the bare encoder on the same chunks
   (the sample corpus), and vs a plain Haystack pipeline on the same documents (the corpus's PDFs).
2. Source: the corpus ingested by the product into a temporary index (or `--index`); its real chunks feed the
   generator of synthetic Italian chunks (benchmarks/synthetic.py).
3. For each size (10k, 50k, 100k, 1M by default): a fresh Qdrant Edge index of generated chunks; engine latency per
   mode with and without filters (bench_engine.py); at 50k the same points and calls on qdrant-client's local mode;
   at the HTTP sizes the floor (query encoding + engine) and GET /search through `kb serve` (bench_search.py), with
   the server's resident memory; the index's size on disk; at `--load-size` the 50-client load runs
   (load_test.py): saturation (each client sends again at once) and users (a pause of `--think` s on average).
4. Goals checked, per-100k memory and disk derived, the report (.md) and the plot (.png) written.

Run: `make bench` (about an hour on 2 cores with the 1M size), or e.g.
`python benchmarks/bench_all.py --sizes 10000 100000 --skip-ingest --out /tmp/bench.json` for a shorter look.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_haystack
import bench_ingest
import httpx
from bench_engine import encode_queries, engine_latency, growth
from bench_report import write_report
from bench_search import CORPUS_DIRS, load_source, measure_floor, measure_http
from bench_server import free_port, memory_mb, start_server, stop_server, wait_healthy
from synthetic import ChunkGenerator, build_index, disk_bytes

from kb.models.base import DenseEmbedder
from kb.models.factory import embedder_from_settings
from kb.settings import get_settings
from kb.storage.backends.edge import EdgeBackend
from kb.storage.backends.server import ServerBackend

GOALS = {"http_p50_ratio_to_floor": 1.5, "http_p95_ms_at_100k": 30.0, "ingest_vs_encoder": 0.9,
         "ingest_vs_plain_haystack": 2.0, "engine_growth_10k_to_1m": 3.0, "load_errors": 0, "load_p95_ms": 100.0}


def http_run(path: Path, tmp: Path, size: int, args: argparse.Namespace, encoder: str | None = None) -> dict[str, Any]:
    port, log = free_port(), tmp / f"server-{size}-{encoder}.log"
    server = start_server(path, tmp, port, log, env={"KB_ENCODER": encoder} if encoder else None)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120.0) as client:
            startup = wait_healthy(client, server, log, args.startup_timeout)
            http = measure_http(client, args.rounds, 10)
            http["server_startup_s"] = round(startup, 1)
            http["server_memory"] = memory_mb(server.pid)
    finally:
        stop_server(server)
    return http


def load_run(path: Path, tmp: Path, think: float, args: argparse.Namespace) -> dict[str, Any]:
    out = tmp / f"load-{think}.json"
    script = Path(__file__).with_name("load_test.py")
    subprocess.run([sys.executable, str(script), "--index", str(path), "--clients", str(args.load_clients),
                    "--duration", str(args.load_duration), "--think", str(think), "--out", str(out)], check=False)
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return report


def run_size(size: int, generator: ChunkGenerator, queries: list[Any], embedder: DenseEmbedder, tmp: Path,
             args: argparse.Namespace, log: Any) -> dict[str, Any]:
    settings = get_settings()
    path = tmp / f"edge-{size}"
    backend = EdgeBackend(path, settings.model)
    build = build_index(backend, generator, size, embedder.dimension, batch_size=args.batch_size,
                        workers=args.workers if size >= 100_000 else 1)
    entry: dict[str, Any] = {"chunks": backend.count(), "build_seconds": build}
    log(f"{size}: built in {build['total_s']} s {build}")
    limit, weight = settings.candidates, settings.lexical_weight
    entry["engine"] = engine_latency(backend, queries, rounds=args.engine_rounds, limit=limit, lexical_weight=weight)
    log(f"{size}: engine " + ", ".join(f"{m} {v['unfiltered']['p50_ms']}/{v['filtered']['p50_ms']} ms"
                                      for m, v in entry["engine"].items()))
    if size == args.local_size:
        local = ServerBackend(":memory:", "bench")
        local_build = build_index(local, generator, size, embedder.dimension, batch_size=args.batch_size)
        entry["qdrant_client_local"] = {"build_seconds": local_build,
                                        "engine": engine_latency(local, queries, rounds=1, warmup=False,
                                                                 limit=limit, lexical_weight=weight)}
        local.close()
        log(f"{size}: qdrant-client local built in {local_build['total_s']} s, engine "
            f"{ {m: v['filtered']['p50_ms'] for m, v in entry['qdrant_client_local']['engine'].items()} }")
    if size in args.sizes:
        entry["floor"] = measure_floor(backend, embedder, settings, dt.date.today(), args.rounds)
    compare = size == args.compare_size and args.compare_encoder != str(settings.encoder)
    if compare:  # the same floor and HTTP run with the other encoder: how the ratio depends on the floor
        other = embedder_from_settings(settings.model_copy(update={"encoder": args.compare_encoder}))
        other.warm_up()
        entry["other_encoder"] = {"encoder": args.compare_encoder,
                                  "floor": measure_floor(backend, other, settings, dt.date.today(), args.rounds)}
        del other
    backend.close()  # Edge: one process per index; the server opens it next
    entry["disk_bytes"] = disk_bytes(path)
    if size in args.sizes:
        http = http_run(path, tmp, size, args)
        entry["http"] = http
        # the floor again once the server is gone: the ratio's floor is the mean of the two, so a drift of the
        # machine's speed during the HTTP run is not read as overhead
        backend = EdgeBackend(path, settings.model)
        backend.ensure_collection(None)
        entry["floor_after_http"] = measure_floor(backend, embedder, settings, dt.date.today(), args.rounds)
        backend.close()
        floor = (entry["floor"]["p50"] + entry["floor_after_http"]["p50"]) / 2
        entry["http_p50_ratio_to_floor"] = round(http["p50"] / floor, 3)
        log(f"{size}: floor p50 {entry['floor']['p50']} / {entry['floor_after_http']['p50']} ms, http p50 "
            f"{http['p50']} p95 {http['p95']} ms, ratio {entry['http_p50_ratio_to_floor']}, "
            f"server {http['server_memory']}")
    if compare:
        other_run = entry["other_encoder"]
        other_run["http"] = http_run(path, tmp, size, args, encoder=args.compare_encoder)
        other_run["http_p50_ratio_to_floor"] = round(other_run["http"]["p50"] / other_run["floor"]["p50"], 3)
        log(f"{size}: with {args.compare_encoder}: floor p50 {other_run['floor']['p50']} ms, http p50 "
            f"{other_run['http']['p50']} p95 {other_run['http']['p95']} ms, "
            f"ratio {other_run['http_p50_ratio_to_floor']}")
    if size == args.load_size:
        entry["load"] = {"saturation": load_run(path, tmp, 0.0, args), "users": load_run(path, tmp, args.think, args)}
        log(f"{size}: load {[(k, v['latency'].get('p95_ms'), v['errors']) for k, v in entry['load'].items()]}")
    shutil.rmtree(path, ignore_errors=True)
    return entry


def derive(result: dict[str, Any], args: argparse.Namespace) -> None:
    """Growth, memory and disk per 100k chunks, and which goals were met."""
    sizes = {int(k): v for k, v in result["sizes"].items() if int(k) in args.sizes}
    result["engine_growth"] = growth({s: v["engine"] for s, v in sizes.items()})
    ordered = sorted(sizes)
    if len(ordered) >= 2:
        small, large = ordered[0], ordered[-1]
        span = (large - small) / 100_000
        result["per_100k_chunks"] = {
            "disk_mb": round((sizes[large]["disk_bytes"] - sizes[small]["disk_bytes"]) / span / 2**20, 1),
            "server_rss_mb": round((sizes[large]["http"]["server_memory"]["rss_mb"]
                                    - sizes[small]["http"]["server_memory"]["rss_mb"]) / span, 1),
            "between": [small, large]}
    met: dict[str, bool] = {}
    hundred = sizes.get(100_000)
    if hundred:
        met["http_p50_le_1.5x_floor_at_100k"] = hundred["http_p50_ratio_to_floor"] <= GOALS["http_p50_ratio_to_floor"]
        met["http_p95_le_30ms_at_100k"] = hundred["http"]["p95"] <= GOALS["http_p95_ms_at_100k"]
    ingest = result.get("ingest")
    if ingest:
        met["ingest_ge_0.9x_encoder"] = ingest["pipeline_vs_encoder"]["ratio"] >= GOALS["ingest_vs_encoder"]
        met["ingest_ge_2x_plain_haystack"] = (ingest["vs_plain_haystack"]["ratio_ours_to_haystack_chunks_per_s"]
                                              >= GOALS["ingest_vs_plain_haystack"])
    if len(ordered) >= 2 and ordered[-1] >= 1_000_000:  # the goal is about 1M; smaller runs only report growth
        worst = max(v for cases in result["engine_growth"].values() for v in cases.values())
        met["engine_growth_le_3x"] = worst <= GOALS["engine_growth_10k_to_1m"]
    load = next((v["load"] for v in result["sizes"].values() if "load" in v), None)
    if load:
        for phase, report in load.items():
            met[f"load_{phase}_0_errors"] = report["errors"] == 0
            met[f"load_{phase}_p95_le_100ms"] = report["latency"].get("p95_ms", 1e9) <= GOALS["load_p95_ms"]
    result["goals_met"] = met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="Edge index sizes measured end to end (engine, floor, HTTP, memory, disk)")
    parser.add_argument("--local-size", type=int, default=50_000, help="size of the qdrant-client local comparison")
    parser.add_argument("--load-size", type=int, default=100_000, help="index size of the load runs (0: none)")
    parser.add_argument("--load-clients", type=int, default=50)
    parser.add_argument("--load-duration", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=2.0, help="mean pause of a 'user' client, seconds")
    parser.add_argument("--compare-encoder", default="torch", help="floor and HTTP also with this KB_ENCODER")
    parser.add_argument("--compare-size", type=int, default=100_000, help="at this size (0: no comparison)")
    parser.add_argument("--rounds", type=int, default=20, help="rounds over the 30 questions for floor and HTTP")
    parser.add_argument("--engine-rounds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="generator processes for sizes >= 100k")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--noise", type=float, default=0.02)
    parser.add_argument("--index", type=Path, default=None, help="source chunks from this Edge index")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--ingest-repeat", type=int, default=2)
    parser.add_argument("--startup-timeout", type=float, default=900.0)
    parser.add_argument("--workdir", type=Path, default=None, help="parent of the temporary folder")
    parser.add_argument("--out", type=Path, default=Path("results/bench/bench.json"))
    args = parser.parse_args()

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    settings = get_settings()
    started = dt.datetime.now(dt.UTC)
    result: dict[str, Any] = {
        "benchmark": "all", "date": started.isoformat(timespec="seconds"), "model": settings.model,
        "encoder": str(settings.encoder), "candidates": settings.candidates, "goals": GOALS,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "sizes": {},
    }
    corpus = [Path("corpus") / d for d in CORPUS_DIRS]
    if not args.skip_ingest:
        log("ingestion: pipeline vs bare encoder")
        ours = bench_ingest.run(corpus, args.ingest_repeat)
        log("ingestion: vs plain Haystack pipeline")
        plain = bench_haystack.run(bench_haystack.corpus_pdfs(), args.ingest_repeat)
        result["ingest"] = {"pipeline_vs_encoder": ours, "vs_plain_haystack": plain}
    embedder = embedder_from_settings(settings)
    embedder.warm_up()
    with tempfile.TemporaryDirectory(prefix="bench-all-", dir=args.workdir) as tmp_name:
        tmp = Path(tmp_name)
        source = load_source(argparse.Namespace(index=args.index, docs=corpus), settings, embedder, tmp)
        result["source"] = {"chunks": len(source), "documents": len({c.payload.get("doc_id") for c in source})}
        generator = ChunkGenerator(source, seed=args.seed, noise=args.noise)
        queries = encode_queries(embedder, settings.synonyms_path, dt.date.today())
        for size in sorted(set(args.sizes) | {args.local_size}):
            result["sizes"][str(size)] = run_size(size, generator, queries, embedder, tmp, args, log)
            derive(result, args)
            write_report(result, args.out)  # after every size: an interrupted run keeps what it measured
    result["wall_s"] = round((dt.datetime.now(dt.UTC) - started).total_seconds())
    derive(result, args)
    write_report(result, args.out)
    log(f"written to {args.out} (+ .md, .png); goals: {result['goals_met']}")


if __name__ == "__main__":
    main()
