"""GET /search over the sample corpus as `make run` serves it: one real server, one keep-alive client, the
officials' questions (`bench_common.QUERIES`), warm-up round first. Latency client-side, so HTTP, the model's query
encoding and the whole retrieval core are in it. `--filters` sends each question with its filters (half of them
have some: what disjunctive facets cost, one more retrieval per filtered facet).

    python benchmarks/bench_corpus_search.py --index data/index --out results/bench/search-corpus.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import QUERIES, percentiles, tail
from bench_server import free_port, memory_mb, start_server, stop_server, wait_healthy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=Path("data/index"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("results/bench/search-corpus.json"))
    parser.add_argument("--filters", action="store_true", help="each question with its filters")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kb-corpus-search-") as tmp:
        port, log = free_port(), Path(tmp) / "server.log"
        server = start_server(args.index, Path(tmp), port, log)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                ready_s = wait_healthy(client, server, log, 600)
                queries = [{"q": text, **(filters if args.filters else {})} for text, filters in QUERIES]
                for query in queries:  # warm-up
                    client.get("/search", params=query).raise_for_status()
                samples: list[float] = []
                for _ in range(args.rounds):
                    for query in queries:
                        start = time.perf_counter()
                        client.get("/search", params=query).raise_for_status()
                        samples.append(time.perf_counter() - start)
                memory = memory_mb(server.pid)
        finally:
            stop_server(server)
    p50, p95 = percentiles(samples)
    result = {"benchmark": "search-corpus", "index": str(args.index), "queries": len(queries), "rounds": args.rounds,
              "filters": args.filters,
              "p50_ms": p50, "p95_ms": p95,
              "mean_ms": round(statistics.fmean(samples) * 1000, 2), "tail_ms": tail(samples),
              "server_ready_s": round(ready_s, 1), "server_memory_mb": memory,
              "model": os.environ.get("KB_MODEL", "default"), "loadavg_after": [round(x, 2) for x in os.getloadavg()]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
