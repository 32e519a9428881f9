"""The domain evaluation set is complete, consistent and in step with corpus/_sources (no model, no index)."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from evaluation.domain.corpus import build_corpus
from evaluation.domain.files import DATASET_DIR, load_judgments, load_queries, read_jsonl
from evaluation.domain.pooling import MODES, pool_metrics, pool_rows, runs_from_pool
from evaluation.domain.split import qrels_from_judgments, split_queries
from evaluation.domain_set import main
from evaluation.qrels import read_qrels, write_qrels


@pytest.fixture(scope="module")
def queries() -> list[dict]:
    return load_queries(DATASET_DIR / "queries.jsonl")


@pytest.fixture(scope="module")
def corpus_ids() -> set[str]:
    return {row["_id"] for row in read_jsonl(DATASET_DIR / "corpus.jsonl")}


@pytest.fixture(scope="module")
def qrels() -> dict[str, dict[str, dict[str, int]]]:
    return {name: read_qrels(DATASET_DIR / "qrels" / f"{name}.tsv") for name in ("all", "dev", "test")}


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


def test_runs_are_rebuilt_from_the_pool_ranks() -> None:
    row = {"query_id": "q", "docs": [{"doc_id": "b", "ranks": {"lexical": 2, "hybrid": 1}},
                                     {"doc_id": "a", "ranks": {"lexical": 1}}]}
    runs = runs_from_pool([row])
    assert [d for d, _ in runs["lexical"]["q"]] == ["a", "b"]
    assert [d for d, _ in runs["hybrid"]["q"]] == ["b"] and runs["semantic"]["q"] == []


def test_pool_rows_keep_each_modes_rank_and_order_by_best_rank() -> None:
    queries = [{"_id": "q1", "text": "led"}, {"_id": "q2", "text": "cer"}]
    rankings = {"lexical": {"q1": [("b", 9.0), ("a", 8.0)]}, "semantic": {"q1": [("c", 0.9), ("b", 0.8)]},
                "hybrid": {"q1": [("a", 1.0)], "q2": []}}
    rows = pool_rows(queries, rankings)
    assert rows == [
        {"query_id": "q1", "text": "led", "docs": [
            {"doc_id": "a", "ranks": {"lexical": 2, "hybrid": 1}},
            {"doc_id": "b", "ranks": {"lexical": 1, "semantic": 2}},
            {"doc_id": "c", "ranks": {"semantic": 1}}]},
        {"query_id": "q2", "text": "cer", "docs": []},
    ]
    assert runs_from_pool(rows)["semantic"]["q1"][0][0] == "c"


def _toy_set(folder: Path) -> None:
    pool = [{"query_id": "q1", "text": "x", "docs": [{"doc_id": "b", "ranks": {"lexical": 1}},
                                                     {"doc_id": "a", "ranks": {"lexical": 2, "semantic": 1}}]},
            {"query_id": "q2", "text": "y", "docs": [{"doc_id": "c", "ranks": {"lexical": 3, "hybrid": 1}},
                                                     {"doc_id": "n", "ranks": {"lexical": 1}},
                                                     {"doc_id": "m", "ranks": {"lexical": 2}}]}]
    (folder / "pool.jsonl").write_text("".join(json.dumps(r) + "\n" for r in pool), encoding="utf-8")
    write_qrels(folder / "qrels" / "dev.tsv", {"q1": {"a": 2, "b": 1}})
    write_qrels(folder / "qrels" / "test.tsv", {"q2": {"c": 1}})
    write_qrels(folder / "qrels" / "all.tsv", {"q1": {"a": 2, "b": 1}, "q2": {"c": 1}})


def test_pool_metrics_are_the_published_ndcg_with_linear_gain(tmp_path: Path) -> None:
    # nDCG@10 with linear gain: DCG = sum(grade_i / log2(rank_i + 1)), ideal from the qrels.
    # q1 (a: 2, b: 1): IDCG = 2 + 1/log2(3)
    #   lexical b, a -> (1 + 2/log2(3)) / IDCG = 0.85972 (gain 2^rel - 1 would give 0.79665)
    #   semantic a   -> 2 / IDCG = 0.76018; hybrid nothing -> 0
    # q2 (c: 1): lexical c at rank 3 -> 1/log2(4) = 0.5; hybrid c at 1 -> 1; semantic nothing -> 0
    _toy_set(tmp_path)
    idcg = 2 + 1 / math.log2(3)
    q1 = {"lexical": (1 + 2 / math.log2(3)) / idcg, "semantic": 2 / idcg, "hybrid": 0.0}
    q2 = {"lexical": 0.5, "semantic": 0.0, "hybrid": 1.0}
    got = pool_metrics(tmp_path)
    assert list(got) == ["dev", "test", "all"]
    assert got["dev"] == pytest.approx(q1, abs=1e-4)
    assert got["test"] == pytest.approx(q2, abs=1e-4)
    assert got["all"] == pytest.approx({m: (q1[m] + q2[m]) / 2 for m in MODES}, abs=1e-4)


def test_metrics_command_prints_the_pool_scores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _toy_set(tmp_path)
    assert main(["metrics", "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ndcg@10") and lines[1].split() == ["split", *MODES]
    assert lines[2].split() == ["dev", "0.8597", "0.7602", "0.0000"]


def test_split_command_rewrites_the_same_qrels(tmp_path: Path) -> None:
    for name in ("queries.jsonl", "judgments.tsv"):
        (tmp_path / name).write_bytes((DATASET_DIR / name).read_bytes())
    assert main(["split", "--out", str(tmp_path)]) == 0
    for name in ("all", "dev", "test"):
        assert (tmp_path / "qrels" / f"{name}.tsv").read_bytes() == (DATASET_DIR / "qrels" / f"{name}.tsv").read_bytes()
