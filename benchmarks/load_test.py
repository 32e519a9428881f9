"""Load: many concurrent clients against a real `kb serve` on loopback, for a bounded time and request count.

Run: `make stress` (with the long fuzz), or
`python benchmarks/load_test.py --clients 50 --duration 60 --out results/bench/load.json [--index data/index]`.

* Index: `--index` (an existing Edge index, opened by the server alone), or by default the sample corpus's four type
  folders ingested with `kb ingest` into a temporary index, as `make index` does.
* Server: `kb serve` in a subprocess, as deployed (one process, uvicorn, the model loaded once), log level WARNING.
  Rate limits stay on, at a ceiling this run cannot reach (`--rate-limit`): 50 clients on one address would
  otherwise measure the limiter's 429s, not the service.
* Clients: `--clients` asyncio workers sharing one httpx connection pool (one connection each, keep-alive), each
  sending its next request as soon as the previous one is answered (or, with `--think S`, after a pause drawn
  from an exponential of mean S, as a person reads the answer), until `--duration` seconds or `--max-requests`
  in all. Requests are what officials of comuni ask (benchmarks/bench_search.py's 30 questions, 14 with filters),
  mixed as the service is used: GET /search (with pages and "comuni come il mio" now and then), POST /search,
  GET /bandi for a comune, GET /normativa/overview, a document's card. Latency is measured client-side, from
  sending to the whole body read.
* Errors: any answer that is not 2xx, or a transport failure/timeout (`--timeout`), counted by kind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import QUERIES
from bench_server import free_port, memory_mb, start_server, stop_server, wait_healthy

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIRS = [REPO / "corpus" / d for d in ("buone_pratiche", "progetti", "normativa", "bandi")]
COMUNI = [(850, "Piemonte"), (3200, "Lombardia"), (4500, "Veneto"), (12000, "Toscana"), (48000, "Emilia-Romagna")]
TOPICS = ["comunità energetiche", "efficienza energetica degli edifici pubblici", "mobilità sostenibile",
          "rifiuti ed economia circolare", "adattamento ai cambiamenti climatici"]


def request_mix(rng: random.Random, doc_ids: list[str]) -> tuple[str, str, dict[str, Any]]:
    """(label, method, httpx kwargs) of one request, drawn with the weights of everyday use."""
    query, filters = rng.choice(QUERIES)
    roll = rng.random()
    if roll < 0.60:
        params: dict[str, Any] = {"q": query, **filters, "page_size": 10}
        if rng.random() < 0.2:
            params["page"] = rng.randint(2, 3)
        if rng.random() < 0.25:
            population, regione = rng.choice(COMUNI)
            params |= {"context_population": population, "context_regione": regione}
        return "GET /search", "GET", {"url": "/search", "params": params}
    if roll < 0.75:
        return "POST /search", "POST", {"url": "/search", "json": {"q": query, **filters, "mode": "hybrid"}}
    if roll < 0.87:
        population, regione = rng.choice(COMUNI)
        params = {"status": "aperto", "population": population, "regione": regione}
        if rng.random() < 0.5:
            params["q"] = query
        return "GET /bandi", "GET", {"url": "/bandi", "params": params}
    if roll < 0.94:
        return "GET /normativa/overview", "GET", {"url": "/normativa/overview",
                                                  "params": {"topic": rng.choice(TOPICS)}}
    return "GET /documents/{id}", "GET", {"url": f"/documents/{rng.choice(doc_ids)}"}


async def worker(client: httpx.AsyncClient, seed: int, doc_ids: list[str], stop_at: float,
                 budget: list[int], records: list[tuple[str, float, str]], think_s: float = 0.0) -> None:
    rng = random.Random(seed)
    if think_s > 0:  # users do not start in step
        await asyncio.sleep(rng.uniform(0.0, think_s))
    while time.perf_counter() < stop_at and budget[0] > 0:
        budget[0] -= 1
        label, method, kwargs = request_mix(rng, doc_ids)
        start = time.perf_counter()
        try:
            response = await client.request(method, **kwargs)
            await response.aread()
            outcome = str(response.status_code)
        except httpx.TimeoutException:
            outcome = "timeout"
        except httpx.TransportError as exc:
            outcome = type(exc).__name__
        records.append((label, time.perf_counter() - start, outcome))
        if think_s > 0:  # a person reading the answer before the next question (exponential, mean think_s)
            await asyncio.sleep(rng.expovariate(1.0 / think_s))


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": round(ordered[-1] * 1000, 1)}


async def run_load(base_url: str, clients: int, duration: float, max_requests: int, timeout: float,
                   doc_ids: list[str], think_s: float = 0.0) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    records: list[tuple[str, float, str]] = []
    budget = [max_requests]
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client, seed, doc_ids, started + duration, budget, records, think_s)
                               for seed in range(clients)))
        elapsed = time.perf_counter() - started
    ok = [latency for _, latency, outcome in records if outcome.startswith("2")]
    by_endpoint = {}
    for label in sorted({r[0] for r in records}):
        mine = [r for r in records if r[0] == label]
        done = [latency for _, latency, outcome in mine if outcome.startswith("2")]
        by_endpoint[label] = {"requests": len(mine), "errors": len(mine) - len(done), **summary(done or [0.0])}
    return {
        "requests": len(records), "errors": len(records) - len(ok), "wall_s": round(elapsed, 1),
        "throughput_rps": round(len(records) / elapsed, 1),
        "outcomes": dict(Counter(outcome for _, _, outcome in records)),
        "latency": {**summary(ok), "over_1s": sum(1 for x in ok if x > 1.0)} if ok else {},
        "by_endpoint": by_endpoint,
    }


def ingest_corpus(index: Path, tmp: Path) -> None:
    env = dict(os.environ, KB_INDEX_PATH=str(index), KB_FILES_PATH=str(tmp / "files"), KB_LOG_LEVEL="WARNING")
    kb = Path(sys.executable).with_name("kb")
    subprocess.run([str(kb), "ingest", *map(str, CORPUS_DIRS)], env=env, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, help="existing Edge index (default: ingest the sample corpus)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop earlier past this many")
    parser.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause of each client after an answer, seconds (0: send at once, saturation)")
    parser.add_argument("--rate-limit", default="1000000/minute", help="KB_RATE_LIMIT_SEARCH for the server")
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    parser.add_argument("--out", type=Path, default=REPO / "results" / "bench" / "load.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kb-load-") as tmp_name:
        tmp = Path(tmp_name)
        index = args.index
        t0 = time.perf_counter()
        if index is None:
            index = tmp / "index"
            print("indicizzazione del corpus di esempio...", file=sys.stderr)
            ingest_corpus(index, tmp)
        ingest_s = time.perf_counter() - t0
        port, log = free_port(), tmp / "server.log"
        server = start_server(index, tmp, port, log, args.rate_limit)
        try:
            base_url = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base_url, timeout=120.0) as probe:
                startup = wait_healthy(probe, server, log, args.startup_timeout)
                chunks = probe.get("/ready").json()["chunks"]
                found = probe.get("/search", params={"q": "comune", "page_size": 50}).json()["results"]
                doc_ids = [r["doc_id"] for r in found] or ["documento-inesistente"]
                for _, _, kwargs in (request_mix(random.Random(i), doc_ids) for i in range(30)):  # warm-up
                    probe.request("POST" if "json" in kwargs else "GET", **kwargs)
            print(f"carico: {args.clients} client per {args.duration:.0f} s su {chunks} frammenti", file=sys.stderr)
            result = asyncio.run(run_load(base_url, args.clients, args.duration, args.max_requests, args.timeout,
                                          doc_ids, args.think))
            result["server_peak_rss_mb"] = memory_mb(server.pid)["peak_rss_mb"]
        finally:
            stop_server(server)
        server_errors = [line for line in log.read_text(errors="replace").splitlines() if '"level": "error"' in line]
    report = {
        "what": "concurrent clients on loopback against `kb serve` (one process); client-side latency of 2xx "
                "answers; errors = non-2xx answers or transport failures",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "setup": {"clients": args.clients, "duration_s": args.duration, "think_s": args.think,
                  "max_requests": args.max_requests,
                  "timeout_s": args.timeout, "chunks": chunks, "documents_sampled": len(doc_ids),
                  "rate_limit_search": args.rate_limit, "server_startup_s": round(startup, 1),
                  "corpus_ingest_s": round(ingest_s, 1) if args.index is None else None},
        **result,
        "server_error_log_lines": len(server_errors),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    latency = report.get("latency", {})
    print(f"{report['requests']} richieste, {report['errors']} errori, {report['throughput_rps']} req/s, "
          f"p50 {latency.get('p50_ms')} ms, p95 {latency.get('p95_ms')} ms, p99 {latency.get('p99_ms')} ms "
          f"-> {args.out}")
    if report["errors"] or server_errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
