"""The judgment pool: what the product itself retrieves for each query, in each mode, and how well it did.

Judging only what some system retrieves is the TREC pooling method; here that system is the product, run with the
settings of `kb.settings.Settings` over the sample corpus, so the pool is reproducible from the commit that made it
(recorded in pool_meta.json). Ranking goes through `evaluation.run.product_ranking`, the same call `kb eval`
measures, so pooling holds no search code of its own.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evaluation.domain.corpus import TYPE_FOLDERS, build_corpus
from evaluation.domain.files import DATASET_DIR, REPO_ROOT, SOURCES, read_jsonl
from evaluation.domain.split import SPLITS
from evaluation.metrics import METRICS, Ranking, compute_metrics
from evaluation.qrels import read_qrels

MODES = ("lexical", "semantic", "hybrid")
POOL_DEPTH = 10
POOL_METRIC = "ndcg@10"  # one of METRICS: the pool is scored with the published definition


def pool_rows(queries: Sequence[dict[str, Any]], rankings: Mapping[str, Ranking]) -> list[dict[str, Any]]:
    """pool.jsonl rows: per query, the union of each mode's documents with their rank in every mode that found them.

    Documents are listed by their best rank over the modes, then id, so the file is stable for a given run.
    """
    rows = []
    for q in queries:
        ranks: dict[str, dict[str, int]] = defaultdict(dict)
        for mode in MODES:
            for rank, (doc_id, _score) in enumerate(rankings.get(mode, {}).get(q["_id"], []), start=1):
                ranks[doc_id].setdefault(mode, rank)
        docs = sorted(ranks.items(), key=lambda kv: (min(kv[1].values()), kv[0]))
        rows.append({"query_id": q["_id"], "text": q["text"],
                     "docs": [{"doc_id": d, "ranks": {m: r[m] for m in MODES if m in r}} for d, r in docs]})
    return rows


def git_commit() -> str | None:
    """The commit the product code was at when pooling (provenance only; None outside a git checkout)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def pool(queries: Sequence[dict[str, Any]], sources: Path = SOURCES, depth: int = POOL_DEPTH,
         workdir: Path | None = None, today: dt.date | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Index the sources into a temporary Qdrant Edge index with the product's code and pool every mode
    (status words in the queries read against `today`, the data set's reference date).

    Settings (model, prefixes, chunking, lexical weight, candidates) come from `kb.settings.Settings`, as in the
    product; the index lives in a temporary directory and never touches KB_INDEX_PATH.
    """
    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from evaluation.run import product_ranking
    from ingest.service import IngestService
    from kb.models.factory import embedder_from_settings
    from kb.search import Mode, engine_from_settings
    from kb.settings import Settings
    from kb.storage.backends.edge import EdgeBackend

    settings = Settings()
    embedder = embedder_from_settings(settings)
    embedder.warm_up()
    expected = {r["_id"] for r in build_corpus(sources)}
    with tempfile.TemporaryDirectory(prefix="domain-pool-", dir=workdir) as tmp:
        backend = EdgeBackend(Path(tmp) / "index", embedder.name)
        backend.ensure_collection(embedder.dimension)
        try:
            service = IngestService.from_settings(backend, embedder, settings, ocr_enabled=False)
            report = service.ingest_paths([sources / folder for folder in TYPE_FOLDERS])
            indexed = {o.doc_id for o in report.by_status("indexed") if o.doc_id}
            if not report.ok or indexed != expected:
                problems = [f"{o.source}: {o.code} {o.message}" for o in report.by_status("skipped")]
                raise RuntimeError(f"indexing does not match corpus.jsonl: missing {sorted(expected - indexed)}, "
                                   f"extra {sorted(indexed - expected)}; {problems}")
            engine = engine_from_settings(settings, backend, embedder)
            texts = {q["_id"]: q["text"] for q in queries}
            rankings = {mode: product_ranking(engine, texts, Mode(mode), ids=None, limit=depth, quiet=True,
                                              today=today)
                        for mode in MODES}
        finally:
            backend.close()
    rows = pool_rows(queries, rankings)
    meta = {"model": embedder.name, "dimension": embedder.dimension, "query_prefix": settings.query_prefix,
            "passage_prefix": settings.passage_prefix, "chunk_max_tokens": settings.chunk_max_tokens,
            "chunk_overlap_tokens": settings.chunk_overlap_tokens,
            "lexical_weight": settings.lexical_weight, "candidates": settings.candidates,
            "depth": depth, "modes": list(MODES), "backend": "edge", "documents": len(indexed),
            "chunks": sum(o.chunks for o in report.by_status("indexed")), "queries": len(rows),
            "git_commit": git_commit()}
    return rows, meta


def runs_from_pool(pool: Sequence[dict[str, Any]]) -> dict[str, Ranking]:
    """mode -> the ranking that mode returned, rebuilt from the ranks stored in pool.jsonl.

    The pool keeps ranks, not scores; each hit gets 1/rank as its score, which only `evaluation.metrics` reads and
    which it replaces by the rank order anyway.
    """
    runs: dict[str, Ranking] = {m: {} for m in MODES}
    for row in pool:
        for mode in MODES:
            ranked = sorted((d["ranks"][mode], d["doc_id"]) for d in row["docs"] if mode in d["ranks"])
            runs[mode][row["query_id"]] = [(doc_id, 1.0 / rank) for rank, doc_id in ranked]
    return runs


def pool_metrics(dataset_dir: Path = DATASET_DIR) -> dict[str, dict[str, float]]:
    """nDCG@10 of each pooled mode on each split (pool-time numbers: the runs that built the pool), through ranx
    with the definition of the published metric (`evaluation.metrics.NDCG`)."""
    runs = runs_from_pool(read_jsonl(dataset_dir / "pool.jsonl"))
    metric = {POOL_METRIC: METRICS[POOL_METRIC]}
    out: dict[str, dict[str, float]] = {}
    for split in (*SPLITS, "all"):
        qrels = read_qrels(dataset_dir / "qrels" / f"{split}.tsv")
        out[split] = {mode: compute_metrics(qrels, runs[mode], metric)[POOL_METRIC] for mode in MODES}
    return out
