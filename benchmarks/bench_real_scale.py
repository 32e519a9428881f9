"""`make bench-real`: the real-scale run of issue 21, on real open data instead of generated chunks.

All PNRR projects of Italia Domani (52,539 rows, one document per CUP) imported into a fresh index by the real CLI,
`kb import pnrr-progetti <projects> --localizzazioni <locations> --json`, in a subprocess: wall time, records and
chunks per second, its peak RSS and CPU seconds, stored originals sampled as progress. Then the index's disk size
(Qdrant Edge shard and stored originals apart), and the same search figures as the other benchmarks: the floor in
this process (`bench_search.measure_floor`, before and after the server, as `bench_all`), `kb serve` on the index,
its RSS after warm-up and GET /search p50/p95 for the 30 officials' questions with their filters, per mode.

    python benchmarks/bench_real_scale.py --limit 500          # a quick check on the first 500 projects
    python benchmarks/bench_real_scale.py --out results/bench/real-scale.json

Results are written as they come (`partial: true` until the end): an import stopped by --import-timeout, Ctrl-C
or SIGTERM leaves the progress it made (documents stored, elapsed) in the JSON and the Markdown summary. After
--import-timeout the indexed part is optimised and measured; after Ctrl-C/SIGTERM, `--search-only --workdir W`
measures it later.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from bench_search import measure_floor, measure_http
from bench_server import free_port, memory_mb, start_server, stop_server, wait_healthy
from synthetic import disk_bytes

from kb.models.factory import embedder_from_settings
from kb.settings import Settings, get_settings
from kb.storage.backends.edge import EdgeBackend

PNRR = Path("../shared/data/pnrr")
warnings.filterwarnings("ignore", message="The 'fastparquet' engine is deprecated")
MODES = ("hybrid", "lexical", "semantic")


def subset(projects: Path, locations: Path | None, limit: int, into: Path) -> tuple[Path, Path | None]:
    """The first `limit` projects (distinct CUPs, in file order, all their rows) and their locations, as Parquet."""
    frame = pd.read_parquet(projects, engine="fastparquet")
    cups = list(dict.fromkeys(frame["CUP"].astype(str).str.upper()))[:limit]
    chosen = frame[frame["CUP"].astype(str).str.upper().isin(set(cups))]
    into.mkdir(parents=True, exist_ok=True)
    chosen.to_parquet(into / projects.name, engine="fastparquet", index=False)
    if locations is None:
        return into / projects.name, None
    located = pd.read_parquet(locations, engine="fastparquet")
    located[located["CUP"].astype(str).str.upper().isin(set(cups))].to_parquet(
        into / locations.name, engine="fastparquet", index=False)
    return into / projects.name, into / locations.name


def stored_count(files: Path) -> int:
    """Stored originals: one per indexed document, written as each group leaves the pipeline (the progress)."""
    try:
        return sum(1 for e in os.scandir(files) if not e.name.startswith("."))
    except FileNotFoundError:
        return 0


def allocated_bytes(path: Path) -> int:
    """Blocks on disk (`du`): 50k stored originals of ~1 KB take a 4 KB block each, more than their sizes add up to."""
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file())


def run_import(projects: Path, locations: Path | None, workdir: Path, env: dict[str, str], args: argparse.Namespace,
               save: Callable[[dict[str, Any]], None], log: Callable[[str], None]) -> dict[str, Any]:
    """The CLI import in a subprocess, sampled every `--sample` seconds; stopped (SIGINT) at `--import-timeout`."""
    kb = Path(sys.executable).with_name("kb")
    command = [str(kb), "import", "pnrr-progetti", str(projects), "--json"]
    command += ["--localizzazioni", str(locations)] if locations else []
    files, out_path = workdir / "files", workdir / "import.json"
    entry: dict[str, Any] = {"command": " ".join(command[1:]), "progress": []}
    start = time.perf_counter()
    with out_path.open("wb") as out, (workdir / "import.log").open("wb") as err:
        child = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        peak, stopped, last_save = 0.0, None, start
        try:
            while child.poll() is None:
                time.sleep(args.sample)
                elapsed = time.perf_counter() - start
                rss = memory_mb(child.pid)
                peak = max(peak, rss["peak_rss_mb"] or 0.0)
                entry["progress"].append([round(elapsed, 1), stored_count(files), rss["rss_mb"],
                                          round(os.getloadavg()[0], 2)])
                if time.perf_counter() - last_save > 60:
                    log(f"import: {entry['progress'][-1][1]} documents stored in {elapsed:.0f}s, RSS {rss['rss_mb']}")
                    save(entry)
                    last_save = time.perf_counter()
                if args.import_timeout and elapsed > args.import_timeout:
                    stopped = f"--import-timeout {args.import_timeout:.0f}s"
                    break
        except KeyboardInterrupt:
            stopped = "interrupted"
        if stopped:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=120)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # only the import has ended so far
    entry.update(wall_s=round(wall, 1), returncode=child.returncode, stopped=stopped,
                 peak_rss_mb=round(max(peak, usage.ru_maxrss / 1024), 1),
                 cpu_s=round(usage.ru_utime + usage.ru_stime, 1), documents_stored=stored_count(files))
    stored = [p for p in entry["progress"] if p[1]]
    if stored:  # reading the tables and loading the model come before the first document; optimising after the last
        last = next(p for p in stored if p[1] == stored[-1][1])
        entry["before_first_document_s"], entry["last_document_at_s"] = stored[0][0], last[0]
    if stopped or child.returncode != 0:
        entry["documents_per_s_so_far"] = round(entry["documents_stored"] / wall, 2)
        entry["stderr_tail"] = (workdir / "import.log").read_text(errors="replace")[-3000:]
        return entry
    summary = json.loads(out_path.read_text(encoding="utf-8"))
    records = sum(summary["summary"][k] for k in ("nuovi", "modificati", "invariati"))
    chunks = summary["chunks_written"]
    entry.update(records=records, rows_refused=summary["summary"]["righe_scartate"], chunks_written=chunks,
                 run_import_s=summary["seconds"], records_per_s=round(records / wall, 2),
                 chunks_per_s=round(chunks / wall, 2),
                 chunks_per_s_indexing=round(chunks / summary["seconds"], 2) if summary["seconds"] else None,
                 cpu_s_per_1000_chunks=round(entry["cpu_s"] / chunks * 1000, 1) if chunks else None,
                 problems_sample=summary["problems"][:5])
    return entry


def search(workdir: Path, settings: Settings, env: dict[str, str], args: argparse.Namespace,
           log: Callable[[str], None]) -> dict[str, Any]:
    """Floor before, GET /search per mode through `kb serve`, floor after (Edge: one process per index at a time)."""
    today = dt.date.today()
    embedder = embedder_from_settings(settings)
    embedder.warm_up()

    def floor() -> dict[str, Any]:
        backend = EdgeBackend(settings.index_path, settings.model)
        backend.ensure_collection(None)
        try:
            return {"chunks": backend.count(), **measure_floor(backend, embedder, settings, today, args.rounds)}
        finally:
            backend.close()

    before = floor()
    log(f"floor p50 {before['p50']} ms, p95 {before['p95']} ms on {before['chunks']} chunks")
    port, server_log = free_port(), workdir / "server.log"
    server = start_server(settings.index_path, workdir, port, server_log, env=env)
    http: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120.0) as client:
            ready = wait_healthy(client, server, server_log, args.startup_timeout)
            started_memory = memory_mb(server.pid)
            for mode in args.modes:
                http[mode] = measure_http(client, args.rounds, 10, None if mode == "hybrid" else mode)
                http[mode]["server_memory_after"] = memory_mb(server.pid)
                log(f"GET /search {mode}: p50 {http[mode]['p50']} ms, p95 {http[mode]['p95']} ms")
    finally:
        stop_server(server)
    after = floor()
    mean_floor = statistics.fmean([before["p50"], after["p50"]])
    first = http[args.modes[0]]
    result = {"chunks": before["chunks"], "server_ready_s": round(ready, 1), "server_memory_at_ready": started_memory,
              "server_memory_after_warmup": first["server_memory_after"], "http": http,
              "floor": {k: v for k, v in before.items() if k != "chunks"}, "floor_after_http": after}
    if "hybrid" in http:
        result["http_p50_ratio_to_floor"] = round(http["hybrid"]["p50"] / mean_floor, 3)
    return result


def write_markdown(result: dict[str, Any], path: Path) -> None:
    imp, srch = result.get("import", {}), result.get("search", {})
    lines = [f"# Real-scale run ({result['date']}{', PARTIAL' if result.get('partial') else ''})", "",
             f"Machine: {result['machine']['cpus']} CPUs, no GPU, {result['machine']['platform']}; model "
             f"{result['model']}, encoder {result['encoder']}. Source: {result['source']['projects']} "
             f"(limit {result['source']['limit'] or 'none'}).", "", "| measure | value |", "|---|---|"]
    rows: list[tuple[str, Any]] = []
    if imp.get("stopped") or imp.get("returncode"):
        rows += [("import stopped", imp.get("stopped") or f"exit {imp.get('returncode')}"),
                 ("documents stored before the stop", f"{imp.get('documents_stored')} in {imp.get('wall_s')} s "
                  f"({imp.get('documents_per_s_so_far')}/s; first stored at {imp.get('before_first_document_s')} s)"),
                 ("import CPU time, peak RSS", f"{imp.get('cpu_s')} s, {imp.get('peak_rss_mb')} MB"),
                 ("index optimised after the stop", f"{imp.get('optimize_after_stop_s')} s")]
    elif imp.get("records"):
        rows += [("records (documents) / rows refused", f"{imp['records']:,} / {imp['rows_refused']}"),
                 ("chunks written", f"{imp['chunks_written']:,}"),
                 ("import wall time", f"{imp['wall_s']} s (records and chunks indexed in {imp['run_import_s']} s; "
                  f"first document stored at {imp.get('before_first_document_s')} s)"),
                 ("records/s, chunks/s (wall)", f"{imp['records_per_s']}, {imp['chunks_per_s']}"),
                 ("import CPU time, peak RSS", f"{imp['cpu_s']} s ({imp['cpu_s_per_1000_chunks']} s per 1,000 "
                  f"chunks), {imp['peak_rss_mb']} MB")]
    if "disk" in result:
        d = result["disk"]
        rows += [("disk used (du): index / stored originals", f"{d['index_allocated_mb']} MB / "
                  f"{d['files_allocated_mb']} MB ({d['files']} files; apparent sizes {d['index_mb']} MB, sparse "
                  f"files, / {d['files_mb']} MB)")]
    if srch:
        warm = srch["server_memory_after_warmup"]
        rows += [("chunks in the index searched", f"{srch['chunks']:,}")]
        rows += [("server ready, RSS after warm-up", f"{srch['server_ready_s']} s, {warm['rss_mb']} MB "
                  f"(peak {warm['peak_rss_mb']})")]
        rows += [(f"GET /search {mode} p50 / p95", f"{h['p50']} / {h['p95']} ms ({h['samples']} requests, median "
                  f"{h['documents_found_median']} documents found, {h['queries_without_results']} questions without "
                  "results)") for mode, h in srch["http"].items()]
        rows += [("floor p50 / p95 (before, after)", f"{srch['floor']['p50']} / {srch['floor']['p95']} ms, "
                  f"{srch['floor_after_http']['p50']} / {srch['floor_after_http']['p95']} ms"),
                 ("hybrid p50 / mean floor p50", srch.get("http_p50_ratio_to_floor"))]
    lines += [f"| {k} | {v} |" for k, v in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=Path, default=PNRR / "progetti_validati.parquet")
    parser.add_argument("--localizzazioni", type=Path, default=PNRR / "localizzazioni_validate.parquet")
    parser.add_argument("--limit", type=int, default=0, help="import only the first N projects (distinct CUPs)")
    parser.add_argument("--rounds", type=int, default=10, help="rounds over the 30 questions for floor and HTTP")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--sample", type=float, default=2.0, help="seconds between samples of the import")
    parser.add_argument("--import-timeout", type=float, default=0.0, help="stop the import after S seconds (0: never)")
    parser.add_argument("--startup-timeout", type=float, default=900.0)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the index here (must not hold one)")
    parser.add_argument("--search-only", action="store_true",
                        help="measure search on the index a stopped run left in --workdir (import figures from --out)")
    parser.add_argument("--out", type=Path, default=Path("results/bench/real-scale.json"))
    args = parser.parse_args()

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops like Ctrl-C: partial results kept
    base = get_settings()
    result: dict[str, Any] = {
        "benchmark": "real-scale", "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "partial": True,
        "model": base.model, "encoder": str(base.encoder), "candidates": base.candidates,
        "source": {"projects": str(args.projects), "localizzazioni": str(args.localizzazioni), "limit": args.limit},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                    "gpu": False, "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
    }

    def save(import_entry: dict[str, Any] | None = None) -> None:
        if import_entry is not None:
            result["import"] = import_entry
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        write_markdown(result, args.out.with_suffix(".md"))

    with tempfile.TemporaryDirectory(prefix="kb-real-scale-", dir=None) as tmp_name:
        workdir = args.workdir or Path(tmp_name)
        settings = base.model_copy(update={"index_path": workdir / "index", "files_path": workdir / "files"})
        # the ONNX cache by absolute path: the subprocesses must not convert the model again elsewhere
        env = {"KB_ONNX_CACHE": str(base.onnx_cache.resolve())}
        if args.search_only:  # a stopped import's index, kept in --workdir: its import figures are in --out
            if args.workdir is None or not settings.index_path.exists() or not args.out.exists():
                parser.error("--search-only needs --workdir with the index and --out with the import's results")
            result.update({k: v for k, v in json.loads(args.out.read_text(encoding="utf-8")).items()
                           if k in ("date", "source", "import", "machine")})
            stopped = bool(result["import"].get("stopped"))
        else:
            if (workdir / "index").exists():
                parser.error(f"{workdir / 'index'} exists: the run needs a fresh index")
            workdir.mkdir(parents=True, exist_ok=True)
            import_env = dict(os.environ, KB_INDEX_PATH=str(settings.index_path),
                              KB_FILES_PATH=str(settings.files_path), KB_LOG_LEVEL="WARNING", **env)
            projects, locations = args.projects, args.localizzazioni
            if args.limit:
                projects, locations = subset(projects, locations, args.limit, workdir / "source")
            log(f"import of {projects} into {workdir}")
            entry = run_import(projects, locations, workdir, import_env, args, save, log)
            save(entry)
            stopped = bool(entry.get("stopped"))
            timed_out = str(entry.get("stopped") or "").startswith("--import-timeout")
            if (stopped or entry["returncode"] != 0) and not (timed_out and entry["documents_stored"]):
                log(f"import stopped ({entry.get('stopped') or entry['returncode']}): partial results in {args.out}")
                sys.exit(1)
        if stopped:  # what was indexed before the stop is a real base too: optimised as the import would have
            started = time.perf_counter()
            backend = EdgeBackend(settings.index_path, settings.model)
            backend.ensure_collection(None)
            backend.optimize()
            backend.close()
            result["import"]["optimize_after_stop_s"] = round(time.perf_counter() - started, 1)
            log(f"import stopped at {result['import']['documents_stored']} documents; index optimised in "
                f"{result['import']['optimize_after_stop_s']} s, search measured on it")
        files = settings.files_path
        result["disk"] = {"index_mb": round(disk_bytes(settings.index_path) / 2**20, 1),
                          "index_allocated_mb": round(allocated_bytes(settings.index_path) / 2**20, 1),
                          "files_mb": round(disk_bytes(files) / 2**20, 1),
                          "files_allocated_mb": round(allocated_bytes(files) / 2**20, 1), "files": stored_count(files)}
        save()
        result["search"] = search(workdir, settings, env, args, log)
        result["partial"] = stopped
        result["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        save()
    log(f"written to {args.out} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
