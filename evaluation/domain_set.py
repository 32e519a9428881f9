"""The domain evaluation set: Italian queries of municipal officials over corpus/_sources, in BEIR layout.

Files under evaluation/datasets/domain/ (see the README there):
  corpus.jsonl    one line per source document, rebuilt from corpus/_sources      (`build-corpus`)
  queries.jsonl   the hand-written queries, with their kind in `metadata`          (hand-made)
  pool.jsonl      per query, the documents the product retrieved in each mode     (`pool`, needs the model)
  judgments.tsv   every graded (query, document) pair, zeros included             (hand-made)
  qrels/*.tsv     graded qrels (score >= 1) for all queries, the dev and the test half (`split`)

Run with `.venv/bin/python -m evaluation.domain_set build-corpus|pool|split|metrics`. Only `pool` loads the model
and builds an index; the rest is plain file work (and what the tests use).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ingest.metadata import split_front_matter

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCES = REPO_ROOT / "corpus" / "_sources"
DATASET_DIR = Path(__file__).resolve().parent / "datasets" / "domain"
TYPE_FOLDERS = ("bandi", "buone_pratiche", "normativa", "progetti")
MODES = ("lexical", "semantic", "hybrid")
POOL_DEPTH = 10
QRELS_HEADER = ("query-id", "corpus-id", "score")
SPLITS = ("dev", "test")


# -- corpus ------------------------------------------------------------------------------------------------
def source_files(sources: Path = SOURCES) -> list[Path]:
    """The Markdown sources of the four type folders (SCHEMA.md and formats.yaml are not documents)."""
    return sorted(p for folder in TYPE_FOLDERS for p in (sources / folder).glob("*.md") if p.is_file())


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):  # also datetime
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def corpus_record(path: Path) -> dict[str, Any]:
    """BEIR corpus line of one source: the id is the slug (file name without extension), as in the index."""
    front_matter, body = split_front_matter(path.read_bytes(), str(path))
    if not front_matter.get("title"):
        raise ValueError(f"{path}: front matter without a title")
    return {"_id": path.stem, "title": str(front_matter["title"]), "text": body.decode("utf-8").strip(),
            "metadata": _jsonable(front_matter)}


def build_corpus(sources: Path = SOURCES) -> list[dict[str, Any]]:
    records = [corpus_record(p) for p in source_files(sources)]
    ids = [r["_id"] for r in records]
    if len(ids) != len(set(ids)):
        raise ValueError("two sources share a slug: " + ", ".join(sorted({i for i in ids if ids.count(i) > 1})))
    return sorted(records, key=lambda r: r["_id"])


# -- files -------------------------------------------------------------------------------------------------
def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_queries(path: Path = DATASET_DIR / "queries.jsonl") -> list[dict[str, Any]]:
    return read_jsonl(path)


def read_tsv(path: Path) -> list[list[str]]:
    """Rows of a tab-separated file with a header, header excluded."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or tuple(lines[0].split("\t")[:3]) != QRELS_HEADER:
        raise ValueError(f"{path}: expected the header {chr(9).join(QRELS_HEADER)!r}")
    return [line.split("\t") for line in lines[1:] if line.strip()]


def load_judgments(path: Path = DATASET_DIR / "judgments.tsv") -> dict[str, dict[str, int]]:
    """All judged pairs (grade 0 included): query id -> document id -> grade."""
    judged: dict[str, dict[str, int]] = defaultdict(dict)
    for row in read_tsv(path):
        qid, doc_id, grade = row[0], row[1], int(row[2])
        if grade not in (0, 1, 2):
            raise ValueError(f"{path}: grade {grade} for ({qid}, {doc_id}) is not 0, 1 or 2")
        if doc_id in judged[qid] and judged[qid][doc_id] != grade:
            raise ValueError(f"{path}: ({qid}, {doc_id}) judged twice with different grades")
        judged[qid][doc_id] = grade
    return dict(judged)


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for row in read_tsv(path):
        qrels[row[0]][row[1]] = int(row[2])
    return dict(qrels)


def write_qrels(path: Path, qrels: dict[str, dict[str, int]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(QRELS_HEADER)]
    for qid in sorted(qrels):
        for doc_id, grade in sorted(qrels[qid].items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"{qid}\t{doc_id}\t{grade}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- split -------------------------------------------------------------------------------------------------
def _stable_key(qid: str) -> str:
    return hashlib.sha256(qid.encode("utf-8")).hexdigest()


def split_queries(queries: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """Deterministic dev/test halves, stratified by query kind.

    Within each kind the queries are ordered by sha256(query id) and dealt alternately; the kinds are dealt in
    sorted order and each kind starts on the half that is currently smaller, so both halves stay balanced.
    """
    by_kind: dict[str, list[str]] = defaultdict(list)
    for q in queries:
        by_kind[str(q.get("metadata", {}).get("kind", "other"))].append(q["_id"])
    halves: dict[str, list[str]] = {name: [] for name in SPLITS}
    for kind in sorted(by_kind):
        first = 0 if len(halves["dev"]) <= len(halves["test"]) else 1
        for i, qid in enumerate(sorted(by_kind[kind], key=_stable_key)):
            halves[SPLITS[(i + first) % 2]].append(qid)
    return {name: sorted(ids) for name, ids in halves.items()}


def qrels_from_judgments(judged: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """BEIR convention: only grades >= 1 are listed, anything else counts as 0."""
    return {qid: {d: g for d, g in docs.items() if g >= 1} for qid, docs in judged.items()
            if any(g >= 1 for g in docs.values())}


def write_split_qrels(dataset_dir: Path = DATASET_DIR) -> dict[str, int]:
    """qrels/all.tsv, qrels/dev.tsv and qrels/test.tsv from judgments.tsv and the query kinds."""
    queries = load_queries(dataset_dir / "queries.jsonl")
    qrels = qrels_from_judgments(load_judgments(dataset_dir / "judgments.tsv"))
    known = {q["_id"] for q in queries}
    unknown = sorted(set(qrels) - known)
    if unknown:
        raise ValueError(f"judgments for unknown queries: {unknown}")
    halves = split_queries(queries)
    write_qrels(dataset_dir / "qrels" / "all.tsv", qrels)
    for name, ids in halves.items():
        write_qrels(dataset_dir / "qrels" / f"{name}.tsv", {q: qrels[q] for q in ids if q in qrels})
    return {name: len(ids) for name, ids in halves.items()}


# -- metrics -----------------------------------------------------------------------------------------------
def ndcg_at_k(ranking: Sequence[str], rels: dict[str, int], k: int = 10) -> float:
    """nDCG@k with gains 2^rel - 1 and a log2(rank + 1) discount; the ideal ranking uses all judged grades."""
    dcg = sum((2 ** rels.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranking[:k]))
    ideal = sorted((g for g in rels.values() if g > 0), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def runs_from_pool(pool_rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, list[str]]]:
    """mode -> query id -> ranked document ids, rebuilt from the ranks stored in pool.jsonl."""
    runs: dict[str, dict[str, list[str]]] = {m: {} for m in MODES}
    for row in pool_rows:
        for mode in MODES:
            ranked = sorted((d["ranks"][mode], d["doc_id"]) for d in row["docs"] if mode in d["ranks"])
            runs[mode][row["query_id"]] = [doc_id for _, doc_id in ranked]
    return runs


def mean_ndcg(run: dict[str, list[str]], qrels: dict[str, dict[str, int]], k: int = 10) -> float:
    """Mean over the queries of the qrels (a query the run lacks scores 0)."""
    if not qrels:
        return 0.0
    return sum(ndcg_at_k(run.get(qid, []), rels, k) for qid, rels in qrels.items()) / len(qrels)


def pool_metrics(dataset_dir: Path = DATASET_DIR, k: int = 10) -> dict[str, dict[str, float]]:
    """nDCG@k of each pooled mode on each split (pool-time numbers: the runs that built the pool)."""
    runs = runs_from_pool(read_jsonl(dataset_dir / "pool.jsonl"))
    out: dict[str, dict[str, float]] = {}
    for split in (*SPLITS, "all"):
        qrels = load_qrels(dataset_dir / "qrels" / f"{split}.tsv")
        out[split] = {mode: round(mean_ndcg(runs[mode], qrels, k), 4) for mode in MODES}
    return out


# -- pooling -----------------------------------------------------------------------------------------------
def _git_commit() -> str | None:
    """The commit the product code was at when pooling (provenance only; None outside a git checkout)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def pool(queries: Sequence[dict[str, Any]], sources: Path = SOURCES, depth: int = POOL_DEPTH,
         workdir: Path | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Index the sources into a temporary Qdrant Edge index with the product's code and pool every mode.

    Settings (model, prefixes, chunking, lexical weight, candidates) come from `kb.settings.Settings`, as in the
    product; the index lives in a temporary directory and never touches KB_INDEX_PATH.
    """
    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from ingest.service import IngestService
    from kb.index.backends.edge import EdgeBackend
    from kb.index.embedders import embedder_from_settings
    from kb.settings import Settings
    from search_api.searcher import Mode, Searcher

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
            searcher = Searcher(backend, embedder, lexical_weight=settings.lexical_weight,
                                candidates=settings.candidates)
            rows = []
            for q in queries:
                ranks: dict[str, dict[str, int]] = defaultdict(dict)
                for mode in MODES:
                    hits = searcher.search_documents(q["text"], Mode(mode), None, limit=depth)
                    for rank, hit in enumerate(hits, start=1):
                        ranks[hit.doc_id][mode] = rank
                docs = sorted(ranks.items(), key=lambda kv: (min(kv[1].values()), kv[0]))
                rows.append({"query_id": q["_id"], "text": q["text"],
                             "docs": [{"doc_id": d, "ranks": {m: r[m] for m in MODES if m in r}} for d, r in docs]})
            meta = {"model": embedder.name, "dimension": embedder.dimension, "query_prefix": settings.query_prefix,
                    "passage_prefix": settings.passage_prefix, "chunk_max_tokens": settings.chunk_max_tokens,
                    "chunk_overlap_tokens": settings.chunk_overlap_tokens,
                    "lexical_weight": settings.lexical_weight, "candidates": settings.candidates,
                    "depth": depth, "modes": list(MODES), "backend": "edge", "documents": len(indexed),
                    "chunks": sum(o.chunks for o in report.by_status("indexed")), "queries": len(rows),
                    "git_commit": _git_commit()}
        finally:
            backend.close()
    return rows, meta


# -- command line ------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.domain_set", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["build-corpus", "pool", "split", "metrics"])
    parser.add_argument("--sources", type=Path, default=SOURCES, help="corpus/_sources")
    parser.add_argument("--out", type=Path, default=DATASET_DIR, help="dataset folder")
    parser.add_argument("--depth", type=int, default=POOL_DEPTH, help="pool depth per mode (pool)")
    args = parser.parse_args(argv)

    if args.command == "build-corpus":
        corpus = build_corpus(args.sources)
        write_jsonl(args.out / "corpus.jsonl", corpus)
        print(f"corpus.jsonl: {len(corpus)} documents")
    elif args.command == "pool":
        queries = load_queries(args.out / "queries.jsonl")
        rows, meta = pool(queries, args.sources, args.depth)
        write_jsonl(args.out / "pool.jsonl", rows)
        (args.out / "pool_meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n",
                                                  encoding="utf-8")
        pairs = sum(len(r["docs"]) for r in rows)
        print(f"pool.jsonl: {len(rows)} queries, {pairs} pooled pairs ({meta['documents']} documents indexed)")
    elif args.command == "split":
        sizes = write_split_qrels(args.out)
        print(f"qrels written: dev {sizes['dev']} queries, test {sizes['test']} queries")
    else:
        metrics = pool_metrics(args.out)
        print("nDCG@10 (pool-time numbers)")
        print(f"{'split':<6} " + " ".join(f"{m:>9}" for m in MODES))
        for split, by_mode in metrics.items():
            print(f"{split:<6} " + " ".join(f"{by_mode[m]:>9.4f}" for m in MODES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
