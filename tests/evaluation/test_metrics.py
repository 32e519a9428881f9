"""Our ranx wrapper against metrics computed by hand, and TREC run files written and read back."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from evaluation.metrics import METRICS, compute_metrics, per_query, read_trec, recall_curve, write_trec

LOG2_3 = math.log2(3)

QRELS = {
    "q1": {"d1": 1, "d2": 0},  # d2 judged not relevant: it must count as a miss
    "q2": {"d1": 2, "d2": 1},  # graded
    "q3": {"d5": 1},           # never retrieved
}
RANKING = {
    "q1": [("d3", 9.0), ("d1", 8.0), ("d2", 7.0)],
    "q2": [("d2", 3.0), ("d4", 2.0), ("d1", 1.0)],
    "q3": [("d1", 1.0), ("d2", 0.5)],
}


def test_hand_computed_metrics() -> None:
    # nDCG@10 = DCG / IDCG with linear gain (trec_eval, BEIR): DCG = sum(grade_i / log2(rank_i + 1)).
    # q1: relevant d1 at rank 2 -> DCG = 1/log2(3); ideal = 1/log2(2) = 1          -> 1/log2(3) = 0.63093
    # q2: d2 (grade 1) at rank 1, d1 (grade 2) at rank 3 -> DCG = 1/1 + 2/log2(4) = 2;
    #     ideal order d1, d2 -> IDCG = 2/1 + 1/log2(3) = 2.63093                  -> 2 / 2.63093 = 0.76018
    # q3: nothing relevant retrieved                                              -> 0
    ndcg = (1 / LOG2_3 + 2 / (2 + 1 / LOG2_3) + 0) / 3  # 0.46370
    # MRR@10: 1 / rank of the first relevant: q1 1/2, q2 1/1, q3 0                -> 0.5
    mrr = (1 / 2 + 1 + 0) / 3
    # recall@k = relevant in top k / all relevant: @1 q1 0/1, q2 1/2, q3 0/1      -> 0.16667
    recall_1 = (0 + 1 / 2 + 0) / 3
    # @10 and @100: q1 1/1, q2 2/2, q3 0/1                                         -> 0.66667
    recall_10 = (1 + 1 + 0) / 3
    # success@1: a relevant document at rank 1: q1 no, q2 yes, q3 no               -> 0.33333
    success_1 = (0 + 1 + 0) / 3

    got = compute_metrics(QRELS, RANKING)
    assert got == pytest.approx({"ndcg@10": ndcg, "mrr@10": mrr, "recall@1": recall_1, "recall@10": recall_10,
                                 "recall@100": recall_10, "success@1": success_1}, abs=1e-4)
    assert list(got) == ["ndcg@10", "mrr@10", "recall@1", "recall@10", "recall@100", "success@1"]


def test_per_query_values_follow_query_ids_not_ranx_order() -> None:
    # ranx sorts query ids internally; the wrapper must still hand back each query's own value.
    qrels = {"qb": {"x": 1}, "qa": {"y": 1}, "q10": {"z": 1}}
    ranking = {"qb": [("x", 1.0)], "qa": [("n", 2.0), ("y", 1.0)], "q10": []}
    assert per_query(qrels, ranking, "mrr@10") == {"qb": 1.0, "qa": 0.5, "q10": 0.0}


def test_cutoffs_and_missing_queries() -> None:
    # One relevant document at rank 11: outside every @10 metric, inside recall@100.
    ranking = {"q": [(f"n{i}", 20.0 - i) for i in range(10)] + [("rel", 1.0)]}
    got = compute_metrics({"q": {"rel": 1}}, ranking)
    assert got == {"ndcg@10": 0.0, "mrr@10": 0.0, "recall@1": 0.0, "recall@10": 0.0, "recall@100": 1.0,
                   "success@1": 0.0}
    # A query the run lacks counts as 0, it is not dropped from the mean.
    assert compute_metrics({"q": {"a": 1}, "r": {"b": 1}}, {"q": [("a", 1.0)]})["mrr@10"] == 0.5
    # A run that retrieved nothing at all (ranx refuses to build it) scores 0 everywhere.
    assert compute_metrics({"q": {"a": 1}}, {"q": []}) == dict.fromkeys(got, 0.0)
    assert per_query({"q": {"a": 1}, "r": {"b": 1}}, {}, METRICS["ndcg@10"]) == {"q": 0.0, "r": 0.0}


def test_rank_order_wins_over_tied_scores() -> None:
    # Equal scores (common after min-max fusion): the order the product returned is what gets measured.
    first = compute_metrics({"q": {"b": 1}}, {"q": [("a", 0.5), ("b", 0.5)]})
    second = compute_metrics({"q": {"b": 1}}, {"q": [("b", 0.5), ("a", 0.5)]})
    assert (first["mrr@10"], second["mrr@10"]) == (0.5, 1.0)


def test_trec_round_trip_and_recall_curve(tmp_path: Path) -> None:
    path = tmp_path / "run.trec"
    write_trec(path, RANKING, "test-tag")
    lines = path.read_text().splitlines()
    assert lines[0] == "q1 Q0 d3 1 9.000000 test-tag"
    assert all(len(line.split()) == 6 and line.split()[1] == "Q0" for line in lines)
    assert read_trec(path) == RANKING
    # recall@k of the same ranking: @1 as above; from @5 on every retrieved relevant document is in.
    assert recall_curve(QRELS, read_trec(path), (1, 5, 100)) == pytest.approx(
        {1: 1 / 6, 5: 2 / 3, 100: 2 / 3}, abs=1e-4)
