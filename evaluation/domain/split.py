"""The dev/test split and the qrels files made from judgments.tsv.

Anything tuned by looking at results is tuned on dev and only reported on test; the split is a pure function of
the query ids and kinds, so it never moves when judgments change and anyone can recompute it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluation.domain.files import DATASET_DIR, load_judgments, load_queries
from evaluation.qrels import Qrels, write_qrels

SPLITS = ("dev", "test")


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


def qrels_from_judgments(judged: Qrels) -> Qrels:
    """BEIR convention: only grades >= 1 are listed, anything else counts as 0."""
    return {qid: {d: g for d, g in docs.items() if g >= 1} for qid, docs in judged.items()
            if any(g >= 1 for g in docs.values())}


def write_split_qrels(dataset_dir: Path = DATASET_DIR) -> dict[str, int]:
    """qrels/all.tsv, qrels/dev.tsv and qrels/test.tsv from judgments.tsv and the query kinds."""
    queries = load_queries(dataset_dir / "queries.jsonl")
    qrels = qrels_from_judgments(load_judgments(dataset_dir / "judgments.tsv"))
    unknown = sorted(set(qrels) - {q["_id"] for q in queries})
    if unknown:
        raise ValueError(f"judgments for unknown queries: {unknown}")
    halves = split_queries(queries)
    write_qrels(dataset_dir / "qrels" / "all.tsv", qrels)
    for name, ids in halves.items():
        write_qrels(dataset_dir / "qrels" / f"{name}.tsv", {q: qrels[q] for q in ids if q in qrels})
    return {name: len(ids) for name, ids in halves.items()}
