"""Metrics through ranx, and TREC run files: the one place that turns rankings into numbers.

Every number the project publishes (`kb eval`, the tuning sweep, the failure lists, the domain set's pool-time
scores) is computed here, by ranx, with the definitions below; nothing else implements a metric.

Rankings are handed to ranx with scores derived from the rank (n, n-1, ...), never the raw scores: ranx sorts by
score, and ties (frequent after min-max normalisation in hybrid fusion) would otherwise be re-ordered by ranx
instead of measured in the order the product returned them. The TREC files keep the product's real scores.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluation.qrels import Qrels

NDCG = "ndcg"
"""ranx's nDCG with **linear gain**: DCG@k = sum over ranks i <= k of rel_i / log2(i + 1), divided by the DCG of
the ideal ordering of the query's qrels. This is the formulation of Järvelin & Kekäläinen, "Cumulated gain-based
evaluation of IR techniques", ACM TOIS 20(4), 2002 (doi:10.1145/582415.582418), and the one trec_eval and BEIR
report, so our graded numbers (domain set: grades 1 and 2) compare with published ones. ranx's `ndcg_burges`
(gain 2^rel - 1, Burges et al. 2005) would weigh a grade-2 document three times a grade-1 one instead of twice;
with binary qrels (SQuAD-it) both are the same.
"""

# Our metric names -> ranx's. ranx's `hit_rate@k` is BEIR's success@k (a relevant document in the top k).
METRICS: dict[str, str] = {
    "ndcg@10": f"{NDCG}@10",
    "mrr@10": "mrr@10",
    "recall@1": "recall@1",
    "recall@10": "recall@10",
    "recall@100": "recall@100",
    "success@1": "hit_rate@1",
}
RECALL_KS: tuple[int, ...] = (1, 5, 10, 20, 50, 100)

# qid -> [(doc id, score)] in rank order, best first
Ranking = dict[str, list[tuple[str, float]]]


def _ranx_run(ranking: Ranking) -> dict[str, dict[str, float]]:
    run: dict[str, dict[str, float]] = {}
    for qid, hits in ranking.items():
        scores: dict[str, float] = {}
        for doc_id, _score in hits:
            scores.setdefault(doc_id, float(len(hits) - len(scores)))  # first occurrence wins
        run[qid] = scores
    return run


def _evaluate(qrels: Qrels, ranking: Ranking, names: Sequence[str]) -> tuple[dict[str, float], dict[str, Any]]:
    """(means, per-query values by query id). ranx sorts query ids internally: never zip with qrels' order."""
    from ranx import Qrels as RanxQrels
    from ranx import Run, evaluate

    ranx_qrels = RanxQrels({q: dict(rels) for q, rels in qrels.items()})
    converted = _ranx_run(ranking)  # once: rebuilding it per query made 7,609 SQuAD-it queries quadratic
    if not any(converted.get(q) for q in qrels):  # ranx cannot build a run without a single document
        return dict.fromkeys(names, 0.0), {name: dict.fromkeys(qrels, 0.0) for name in names}
    run = Run({q: converted.get(q, {}) for q in qrels})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's uint64 -> int64 cast notice, harmless here
        result = evaluate(ranx_qrels, run, list(names), make_comparable=True)
    means = dict(result) if isinstance(result, dict) else {names[0]: result}
    return {k: float(v) for k, v in means.items()}, dict(run.scores)


def compute_metrics(qrels: Qrels, ranking: Ranking, metrics: dict[str, str] | None = None) -> dict[str, float]:
    """Mean of each metric over the queries of `qrels` (a query with no results counts as 0)."""
    metrics = metrics or METRICS
    if not qrels:
        return dict.fromkeys(metrics, 0.0)
    means, _ = _evaluate(qrels, ranking, list(metrics.values()))
    return {ours: round(means[theirs], 4) for ours, theirs in metrics.items()}


def per_query(qrels: Qrels, ranking: Ranking, metric: str) -> dict[str, float]:
    """One ranx metric per query id (for failure analysis)."""
    if not qrels:
        return {}
    _, scores = _evaluate(qrels, ranking, [metric])
    return {qid: float(scores[metric][qid]) for qid in qrels}


def recall_curve(qrels: Qrels, ranking: Ranking, ks: Sequence[int] = RECALL_KS) -> dict[int, float]:
    means = compute_metrics(qrels, ranking, {f"recall@{k}": f"recall@{k}" for k in ks})
    return {k: means[f"recall@{k}"] for k in ks}


# -- TREC files ---------------------------------------------------------------------------------------------
def write_trec(path: Path, ranking: Ranking, tag: str) -> None:
    """`qid Q0 docid rank score tag`, one line per retrieved document, ranks from 1."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for qid, hits in ranking.items():
            for rank, (doc_id, score) in enumerate(hits, 1):
                fh.write(f"{qid} Q0 {doc_id} {rank} {score:.6f} {tag}\n")


def read_trec(path: Path) -> Ranking:
    """A TREC run back into a ranking, ordered by the rank column (not the score)."""
    rows: dict[str, list[tuple[int, str, float]]] = {}
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 6:
                raise ValueError(f"{path}:{number}: attese 6 colonne TREC, trovate {len(parts)}")
            qid, _q0, doc_id, rank, score, _tag = parts
            rows.setdefault(qid, []).append((int(rank), doc_id, float(score)))
    return {qid: [(d, s) for _r, d, s in sorted(hits)] for qid, hits in rows.items()}

