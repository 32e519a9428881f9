"""The PNRR evaluation set is complete, consistent and in step with the open-data slice `make index` imports.

No model: the corpus is rebuilt with the importers' readers, and the harness's import path runs on the PA digitale
file with the hashing embedder.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from evaluation.domain.files import load_judgments, load_queries, read_jsonl, write_jsonl
from evaluation.domain.pooling import MODES
from evaluation.domain.split import qrels_from_judgments, split_queries
from evaluation.open_data import IMPORTS_FILE, REPO_ROOT, ImportSpec, corpus_rows, index_imports, load_import_specs
from evaluation.pnrr_set import DATASET_DIR
from evaluation.qrels import read_qrels, write_qrels
from evaluation.run import evaluate_dataset
from kb.models.embedders import HashingEmbedder
from kb.settings import Settings

KINDS = {"topic", "place", "small_comuni", "call"}
JUDGED_FIELDS = ("doc_type", "comune", "provincia", "regione", "popolazione", "localizzazioni", "misura", "issuer",
                 "destinatari", "opening_date", "deadline", "dataset")


@pytest.fixture(scope="module")
def queries() -> list[dict]:
    return load_queries(DATASET_DIR / "queries.jsonl")


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return read_jsonl(DATASET_DIR / "corpus.jsonl")


@pytest.fixture(scope="module")
def qrels() -> dict[str, dict[str, dict[str, int]]]:
    return {name: read_qrels(DATASET_DIR / "qrels" / f"{name}.tsv") for name in ("all", "dev", "test")}


def test_between_32_and_40_queries_with_unique_ids_and_a_kind(queries: list[dict]) -> None:
    assert 32 <= len(queries) <= 40
    ids = [q["_id"] for q in queries]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    assert all(q["text"].strip() and q["metadata"]["kind"] in KINDS for q in queries)


def test_the_imports_are_those_of_make_index() -> None:
    """The set's corpus is what a user of `make index` gets: same kinds, same files, same locations file."""
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    folder = re.search(r"^OPEN_DATA\s*:?=\s*(\S+)", makefile, re.M)
    assert folder, "Makefile: OPEN_DATA not found"
    made = []
    for kind, file, rest in re.findall(r"\$\(KB\) import (\S+) (\S+)(.*)", makefile):
        locations = re.search(r"--localizzazioni (\S+)", rest)
        made.append(ImportSpec(kind, REPO_ROOT / file.replace("$(OPEN_DATA)", folder.group(1)),
                               REPO_ROOT / locations.group(1).replace("$(OPEN_DATA)", folder.group(1))
                               if locations else None))
    assert load_import_specs(DATASET_DIR) == made


def _judged_view(row: dict) -> dict:
    """What the judges read: the id, title, text and the fields that say what, where and how big."""
    return {"_id": row["_id"], "title": row["title"], "text": row["text"],
            **{k: row["metadata"].get(k) for k in JUDGED_FIELDS}}


def test_corpus_jsonl_is_the_imported_slice(corpus: list[dict]) -> None:
    """Ids, texts and the judged fields are those the importers make now (other metadata, such as the beneficiary
    vocabulary, may be refined without invalidating a judgment)."""
    specs = load_import_specs(DATASET_DIR)
    assert specs is not None
    rebuilt = corpus_rows(specs, Settings())
    assert [r["_id"] for r in corpus] == [r["_id"] for r in rebuilt], \
        "corpus.jsonl is stale: run `python -m evaluation.pnrr_set build-corpus`"
    stale = [a["_id"] for a, b in zip(corpus, rebuilt, strict=True) if _judged_view(a) != _judged_view(b)]
    assert not stale, f"records changed since they were judged: {stale[:5]}; rebuild corpus.jsonl and re-judge them"
    assert Counter(r["metadata"]["dataset"] for r in corpus) == {"pnrr-progetti": 328, "pnrr-bandi": 229,
                                                                 "padigitale-avvisi": 57}


@pytest.mark.parametrize("split", ["all", "dev", "test"])
def test_qrels_ids_exist_and_grades_are_graded(split: str, qrels: dict, queries: list[dict],
                                               corpus: list[dict]) -> None:
    query_ids, corpus_ids = {q["_id"] for q in queries}, {r["_id"] for r in corpus}
    for qid, docs in qrels[split].items():
        assert qid in query_ids, f"{split}: unknown query {qid}"
        assert set(docs) <= corpus_ids, f"{split}: {qid} -> {sorted(set(docs) - corpus_ids)} not in the slice"
        assert set(docs.values()) <= {1, 2}, f"{split}: {qid} lists grades other than 1 and 2"


def test_every_query_has_a_relevant_document(queries: list[dict], qrels: dict) -> None:
    without = [q["_id"] for q in queries if not qrels["all"].get(q["_id"])]
    assert not without, f"queries without a judged-relevant document: {without}"


def test_every_pooled_pair_is_judged_with_a_reason(queries: list[dict], corpus: list[dict]) -> None:
    judged = load_judgments(DATASET_DIR / "judgments.tsv")
    pool = read_jsonl(DATASET_DIR / "pool.jsonl")
    assert [row["query_id"] for row in pool] == [q["_id"] for q in queries], "pool.jsonl does not match queries"
    missing = [(row["query_id"], d["doc_id"]) for row in pool for d in row["docs"]
               if d["doc_id"] not in judged.get(row["query_id"], {})]
    assert not missing, f"pooled pairs without a judgment: {missing[:10]}"
    corpus_ids = {r["_id"] for r in corpus}
    assert all(set(docs) <= corpus_ids for docs in judged.values())
    for row in pool:
        for d in row["docs"]:
            assert d["ranks"] and set(d["ranks"]) <= set(MODES) and all(1 <= r <= 10 for r in d["ranks"].values())
    with (DATASET_DIR / "judgments.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    assert rows[0] == ["query-id", "corpus-id", "score", "reason"]
    assert all(len(r) == 4 and r[3].strip() for r in rows[1:]), "every judgment says why in one line"


def test_split_files_match_the_split_rule_and_the_judgments(queries: list[dict], qrels: dict) -> None:
    halves = split_queries(queries)
    assert not set(halves["dev"]) & set(halves["test"])
    assert set(halves["dev"]) | set(halves["test"]) == {q["_id"] for q in queries}
    expected = qrels_from_judgments(load_judgments(DATASET_DIR / "judgments.tsv"))
    assert qrels["all"] == expected, "qrels are stale: run `python -m evaluation.pnrr_set split`"
    for name in ("dev", "test"):
        assert qrels[name] == {q: expected[q] for q in halves[name]}
    kind = {q["_id"]: q["metadata"]["kind"] for q in queries}
    dev, test = Counter(kind[q] for q in halves["dev"]), Counter(kind[q] for q in halves["test"])
    assert all(abs(dev[k] - test[k]) <= 1 for k in KINDS)


def _padigitale_set(folder: Path) -> list[dict]:
    """A data set whose corpus is the PA digitale import alone, with two judged queries."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / IMPORTS_FILE).write_text(
        "imports:\n  - kind: padigitale-avvisi\n    file: corpus/dati_aperti/avvisi_padigitale2026.json\n",
        encoding="utf-8")
    specs = load_import_specs(folder)
    assert specs is not None
    rows = corpus_rows(specs, Settings())
    write_jsonl(folder / "corpus.jsonl", rows)
    write_jsonl(folder / "queries.jsonl", [{"_id": "a", "text": "app IO comuni"}, {"_id": "b", "text": "pagoPA"}])
    io = [r["_id"] for r in rows if "app IO - Comuni" in r["title"]]
    write_qrels(folder / "qrels" / "test.tsv", {"a": dict.fromkeys(io, 2),
                                                "b": {r["_id"]: 2 for r in rows if "pagoPA" in r["title"]}})
    return rows


def test_the_harness_indexes_an_import_set_through_the_importers(tmp_path: Path) -> None:
    rows = _padigitale_set(tmp_path / "set")
    out = tmp_path / "eval" / "padigitale.json"
    results = evaluate_dataset(tmp_path / "set", out, Settings(), modes=["lexical"], embedder=HashingEmbedder(),
                               quiet=True)
    manifest = json.loads((out.parent / "runs" / "padigitale" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["ingest"] == {"indexed": 57, "unchanged": 0, "duplicate": 0, "skipped": 0}
    assert manifest["doc_ids_mapped"] == 0, "imported ids are the product's own"
    run = (out.parent / "runs" / "padigitale" / "lexical.trec").read_text(encoding="utf-8")
    ranked = [line.split()[2] for line in run.splitlines()]
    assert ranked and set(ranked) <= {r["_id"] for r in rows}
    assert results["modes"]["lexical"]["recall@100"] == 1.0


def test_a_stale_corpus_is_refused(tmp_path: Path) -> None:
    rows = _padigitale_set(tmp_path)
    specs = load_import_specs(tmp_path)
    assert specs is not None
    with pytest.raises(ValueError, match="build-corpus"):
        index_imports(specs, HashingEmbedder(), Settings(), tmp_path / "work", {r["_id"] for r in rows} | {"extra"},
                      quiet=True)
