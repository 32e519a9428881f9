"""The domain evaluation set is complete, consistent and in step with corpus/_sources (no model, no index)."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from evaluation.domain_set import (
    DATASET_DIR,
    MODES,
    build_corpus,
    load_judgments,
    load_qrels,
    load_queries,
    ndcg_at_k,
    qrels_from_judgments,
    read_jsonl,
    runs_from_pool,
    split_queries,
)


@pytest.fixture(scope="module")
def queries() -> list[dict]:
    return load_queries(DATASET_DIR / "queries.jsonl")


@pytest.fixture(scope="module")
def corpus_ids() -> set[str]:
    return {row["_id"] for row in read_jsonl(DATASET_DIR / "corpus.jsonl")}


@pytest.fixture(scope="module")
def qrels() -> dict[str, dict[str, dict[str, int]]]:
    return {name: load_qrels(DATASET_DIR / "qrels" / f"{name}.tsv") for name in ("all", "dev", "test")}


def test_enough_queries_with_unique_ids_and_a_kind(queries: list[dict]) -> None:
    assert len(queries) >= 80
    ids = [q["_id"] for q in queries]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    assert all(q["text"].strip() and q.get("metadata", {}).get("kind") for q in queries)


def test_corpus_jsonl_is_up_to_date_with_the_sources() -> None:
    on_disk = read_jsonl(DATASET_DIR / "corpus.jsonl")
    rebuilt = build_corpus()
    assert [r["_id"] for r in on_disk] == [r["_id"] for r in rebuilt], \
        "corpus.jsonl is stale: run `python -m evaluation.domain_set build-corpus`"
    assert on_disk == rebuilt, "corpus.jsonl is stale: run `python -m evaluation.domain_set build-corpus`"


@pytest.mark.parametrize("split", ["all", "dev", "test"])
def test_qrels_ids_exist_and_grades_are_graded(split: str, qrels: dict, queries: list[dict],
                                               corpus_ids: set[str]) -> None:
    query_ids = {q["_id"] for q in queries}
    for qid, docs in qrels[split].items():
        assert qid in query_ids, f"{split}: unknown query {qid}"
        assert set(docs) <= corpus_ids, f"{split}: {qid} -> {sorted(set(docs) - corpus_ids)} not in corpus.jsonl"
        assert set(docs.values()) <= {1, 2}, f"{split}: {qid} lists grades other than 1 and 2"


def test_every_query_has_an_answer(queries: list[dict], qrels: dict) -> None:
    without = [q["_id"] for q in queries if 2 not in qrels["all"].get(q["_id"], {}).values()]
    assert not without, f"queries without a score-2 document: {without}"


def test_dev_and_test_are_disjoint_halves_covering_all_queries(queries: list[dict], qrels: dict) -> None:
    dev, test = set(qrels["dev"]), set(qrels["test"])
    assert not dev & test
    assert dev | test == {q["_id"] for q in queries} == set(qrels["all"])
    assert abs(len(dev) - len(test)) <= len(queries) // 10


def test_split_files_match_the_split_rule_and_the_judgments(queries: list[dict], qrels: dict) -> None:
    halves = split_queries(queries)
    assert set(halves["dev"]) == set(qrels["dev"]) and set(halves["test"]) == set(qrels["test"])
    expected = qrels_from_judgments(load_judgments(DATASET_DIR / "judgments.tsv"))
    assert qrels["all"] == expected, "qrels are stale: run `python -m evaluation.domain_set split`"
    for name in ("dev", "test"):
        assert qrels[name] == {q: expected[q] for q in halves[name]}


def test_split_is_stratified_by_kind(queries: list[dict]) -> None:
    halves = split_queries(queries)
    kind = {q["_id"]: q["metadata"]["kind"] for q in queries}
    dev, test = Counter(kind[q] for q in halves["dev"]), Counter(kind[q] for q in halves["test"])
    assert all(abs(dev[k] - test[k]) <= 1 for k in set(kind.values()))


def test_every_pooled_pair_is_judged(queries: list[dict], corpus_ids: set[str]) -> None:
    judged = load_judgments(DATASET_DIR / "judgments.tsv")
    pool = read_jsonl(DATASET_DIR / "pool.jsonl")
    assert [row["query_id"] for row in pool] == [q["_id"] for q in queries], "pool.jsonl does not match queries"
    missing = [(row["query_id"], d["doc_id"]) for row in pool for d in row["docs"]
               if d["doc_id"] not in judged.get(row["query_id"], {})]
    assert not missing, f"pooled pairs without a judgment: {missing[:10]}"
    assert all(set(docs) <= corpus_ids for docs in judged.values())
    for row in pool:
        for d in row["docs"]:
            assert d["ranks"] and set(d["ranks"]) <= set(MODES) and all(1 <= r <= 10 for r in d["ranks"].values())


def test_ndcg_formula() -> None:
    rels = {"a": 2, "b": 1}
    assert ndcg_at_k(["a", "b", "c"], rels) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], rels) == 0.0
    ideal = 3 + 1 / math.log2(3)
    assert ndcg_at_k(["b", "a"], rels) == pytest.approx((1 + 3 / math.log2(3)) / ideal)
    assert ndcg_at_k(["a"], {}) == 0.0


def test_runs_are_rebuilt_from_the_pool_ranks() -> None:
    row = {"query_id": "q", "docs": [{"doc_id": "b", "ranks": {"lexical": 2, "hybrid": 1}},
                                     {"doc_id": "a", "ranks": {"lexical": 1}}]}
    runs = runs_from_pool([row])
    assert runs["lexical"]["q"] == ["a", "b"] and runs["hybrid"]["q"] == ["b"] and runs["semantic"]["q"] == []
