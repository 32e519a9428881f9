"""The "similar experiences" judged set and its evaluation: the set is well formed, and the evaluation ranks every
probe with the request its route makes (held to what POST /similar and GET /documents/{id}/similar answer over the
same index) and scores it with the project's metrics. The index is real (Qdrant Edge in a temporary folder, the
product's ingestion) and the embedder the deterministic fake: no model is loaded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from evaluation.beir import BeirDataset
from evaluation.domain.corpus import TYPE_FOLDERS
from evaluation.indexing import index_corpus
from evaluation.qrels import write_qrels
from evaluation.similar import (
    DATASET_DIR,
    MAX_TEXT,
    QRELS_FILE,
    SIMILAR_METRICS,
    SimilarProbe,
    SimilarSet,
    check_coverage,
    document_request,
    document_types,
    evaluate_similar,
    load_probes,
    load_similar_set,
    model_slug,
    score_ranking,
    scoring_qrels,
    similar_ranking,
    sources_dataset,
    text_request,
)
from ingest.doc_ids import base_id
from kb.models.embedders import HashingEmbedder
from kb.search import SearchEngine
from kb.search.similar import EXPERIENCE_TYPES, PASSAGES_PER_DOC
from kb.settings import Settings
from runtime import build_runtime
from search_api.app import create_app
from tests.search_api.api_fixture import LOCAL_URL

REPO = Path(__file__).resolve().parents[2]
EXPERIENCES = {t.value for t in EXPERIENCE_TYPES}
TODAY = dt.date(2026, 12, 2)
# the probes the plumbing tests index and rank: both kinds, several themes, the English practices among the judged
PLUMBING_PROBES = ("t01", "t04", "t12", "t21", "d01", "d03", "d08", "d16")


def shipped_ids() -> set[str]:
    """The ids the product gives the shipped files of the four type folders (file-name slugs)."""
    return {base_id(p.name) for folder in TYPE_FOLDERS for p in (REPO / "corpus" / folder).iterdir()
            if p.is_file() and not p.name.endswith(".meta.yaml")}


@pytest.fixture(scope="module")
def similar_set() -> SimilarSet:
    return load_similar_set(DATASET_DIR)


@pytest.fixture(scope="module")
def doc_types() -> dict[str, str]:
    return document_types(sources_dataset())


# -- (a) the set is well formed ---------------------------------------------------------------------------------
def test_enough_probes_of_both_kinds(similar_set: SimilarSet) -> None:
    kinds = [p.kind for p in similar_set.probes]
    assert len(kinds) >= 30
    assert kinds.count("text") >= 18 and kinds.count("document") >= 10
    texts = [p.text or "" for p in similar_set.probes if p.kind == "text"]
    assert len(set(texts)) == len(texts) and all(len(t.split()) >= 25 for t in texts), "real descriptions"
    assert all(p.note for p in similar_set.probes), "every probe says why it is there"


def test_judged_documents_are_shipped_corpus_documents(similar_set: SimilarSet, doc_types: dict[str, str]) -> None:
    shipped = shipped_ids()
    assert shipped == set(doc_types), "the sources and the shipped files are the same documents"
    judged = {d for rels in similar_set.qrels.values() for d in rels}
    assert judged <= shipped, sorted(judged - shipped)
    check_coverage(similar_set, shipped)


def test_every_probe_has_a_relevant_document_and_never_judges_itself(similar_set: SimilarSet,
                                                                     doc_types: dict[str, str]) -> None:
    for probe in similar_set.probes:
        rels = similar_set.qrels[probe.probe_id]
        assert set(rels.values()) <= {0, 1, 2}, probe.probe_id
        assert any(g >= 1 for g in rels.values()), probe.probe_id
        assert probe.doc_id not in rels, probe.probe_id
        if probe.kind == "document":
            assert doc_types[probe.doc_id or ""] in EXPERIENCES, "document probes are practices or projects"
        else:  # what POST /similar's experiences can return holds a relevant document
            assert any(g >= 1 and doc_types[d] in EXPERIENCES for d, g in rels.items()), probe.probe_id
        # calls and acts are at most "related" (1); only experiences are comparable (2)
        assert all(g <= 1 for d, g in rels.items() if doc_types[d] not in EXPERIENCES), probe.probe_id


def test_qrels_file_is_canonical_and_keeps_the_zeros(similar_set: SimilarSet, tmp_path: Path) -> None:
    write_qrels(tmp_path / "test.tsv", similar_set.qrels)
    assert (tmp_path / "test.tsv").read_bytes() == (DATASET_DIR / QRELS_FILE).read_bytes()
    assert sum(1 for rels in similar_set.qrels.values() for g in rels.values() if g == 0) >= 100


def test_loader_refuses_malformed_probes(tmp_path: Path) -> None:
    bad = tmp_path / "probes.jsonl"
    for line, message in (('{"_id": "x", "kind": "image"}', "kind"), ('{"_id": "x", "kind": "text"}', "text"),
                          ('{"_id": "x", "kind": "document"}', "doc_id"), ("{", "JSON")):
        bad.write_text(line + "\n", encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            load_probes(bad)


def test_text_probes_are_scored_on_the_types_their_route_returns(similar_set: SimilarSet,
                                                                 doc_types: dict[str, str]) -> None:
    scored = scoring_qrels(similar_set.probes, similar_set.qrels, doc_types)
    for probe in similar_set.probes:
        if probe.kind == "text":
            assert {doc_types[d] for d in scored[probe.probe_id]} <= EXPERIENCES
        else:
            assert scored[probe.probe_id] == similar_set.qrels[probe.probe_id]


def test_a_perfect_ranking_scores_one(similar_set: SimilarSet, doc_types: dict[str, str]) -> None:
    qrels = scoring_qrels(similar_set.probes, similar_set.qrels, doc_types)
    ideal = {q: [(d, 1.0) for d, g in sorted(rels.items(), key=lambda kv: (-kv[1], kv[0])) if g > 0]
             for q, rels in qrels.items()}
    scores = score_ranking(similar_set.probes, qrels, ideal)
    for name in ("all", "text", "document"):
        assert scores["aggregate"][name]["ndcg@10"] == 1.0 and scores["aggregate"][name]["mrr@10"] == 1.0
    assert all(s["ndcg@10"] == 1.0 for s in scores["per_probe"].values())
    # listed zeros are "judged, not relevant", the same as unjudged: the numbers do not move
    positives = {q: {d: g for d, g in rels.items() if g > 0} for q, rels in qrels.items()}
    reversed_ = {q: hits[::-1] for q, hits in ideal.items()}
    assert (score_ranking(similar_set.probes, qrels, reversed_)["aggregate"]
            == score_ranking(similar_set.probes, positives, reversed_)["aggregate"])
    worse = score_ranking(similar_set.probes, qrels, {q: [("nessuno", 1.0)] for q in qrels})
    assert worse["aggregate"]["all"] == dict.fromkeys(SIMILAR_METRICS, 0.0)


def test_model_slug() -> None:
    assert model_slug("multilingual-e5-small") == "multilingual-e5-small"
    assert model_slug("intfloat/multilingual-e5-small") == "intfloat-multilingual-e5-small"
    assert model_slug(str(REPO / "evaluation")) == "evaluation"


# -- (b) the plumbing, on a small real index with the fake embedder -----------------------------------------------
@pytest.fixture(scope="module")
def plumbing(tmp_path_factory: pytest.TempPathFactory, similar_set: SimilarSet
             ) -> Iterator[tuple[SearchEngine, TestClient, list[SimilarProbe]]]:
    """The documents of a few probes indexed as `python -m evaluation.similar` indexes the corpus, the engine
    `build_runtime` makes over that index, and the API over the same index (the app closes it)."""
    probes = [p for p in similar_set.probes if p.probe_id in PLUMBING_PROBES]
    wanted = {d for p in probes for d in similar_set.qrels[p.probe_id]} | {p.doc_id for p in probes if p.doc_id}
    full = sources_dataset()
    subset = BeirDataset("similar-plumbing", full.path, "test", {d: full.corpus[d] for d in sorted(wanted)}, {}, {})
    root = tmp_path_factory.mktemp("similar")
    embedder = HashingEmbedder(dimension=32)  # the `fake_embedder` of tests/conftest.py, at module scope
    settings = Settings(_env_file=None, index_path=root / "work" / "index",  # type: ignore[call-arg]
                        files_path=root / "files", uploads_path=root / "uploads", model=embedder.name,
                        rate_limit_enabled=False)
    indexed = index_corpus(subset, embedder, settings, root / "work", "buona_pratica", quiet=True)
    assert indexed.report.summary()["indexed"] == len(subset.corpus) >= 40
    engine = build_runtime(settings, embedder=embedder, backend=indexed.backend).engine
    app = create_app(settings, embedder=embedder, backend=indexed.backend, clock=lambda: TODAY)
    with TestClient(app, base_url=LOCAL_URL) as client:
        yield engine, client, probes


def test_evaluation_ranks_every_probe_and_scores_in_range(
        plumbing: tuple[SearchEngine, TestClient, list[SimilarProbe]], similar_set: SimilarSet,
        doc_types: dict[str, str]) -> None:
    engine, _client, probes = plumbing
    ranking = similar_ranking(engine, probes, today=TODAY)
    assert set(ranking) == {p.probe_id for p in probes}
    for probe in probes:
        hits = [d for d, _s in ranking[probe.probe_id]]
        assert 1 <= len(hits) <= 10 and len(set(hits)) == len(hits), probe.probe_id
        assert probe.doc_id not in hits, "never the probe's own document"
        if probe.kind == "text":
            assert {doc_types[d] for d in hits} <= EXPERIENCES, "POST /similar's experiences"
        scores = [s for _d, s in ranking[probe.probe_id]]
        assert scores == sorted(scores, reverse=True)

    subset = SimilarSet(probes, {p.probe_id: similar_set.qrels[p.probe_id] for p in probes}, similar_set.path)
    results = evaluate_similar(engine, subset, doc_types, today=TODAY)
    assert results["probes"] == {"text": 4, "document": 4}
    for row in results["aggregate"].values():
        assert list(row) == list(SIMILAR_METRICS) and all(0.0 <= v <= 1.0 for v in row.values())
    assert results["aggregate"]["all"]["ndcg@10"] > 0, "the fake embedder and BM25 find some relevant documents"
    for entry in results["per_probe"]:
        assert entry["relevant"] >= 1 and all(0.0 <= entry[m] <= 1.0 for m in SIMILAR_METRICS)
        assert [h["doc_id"] for h in entry["ranking"]] == [d for d, _s in ranking[entry["id"]]]


def test_requests_are_the_routes_requests(plumbing: tuple[SearchEngine, TestClient, list[SimilarProbe]]) -> None:
    """What the evaluation ranks is what the two routes serve, same order and scores, over the same index."""
    engine, client, probes = plumbing
    measured = similar_ranking(engine, probes, today=TODAY)
    for probe in probes:
        if probe.kind == "text":
            answer = client.post("/similar", data={"text": probe.text, "limit": "10"})
            assert answer.status_code == 200, answer.text
            served = [(r["doc_id"], r["score"]) for r in answer.json()["esperienze"]]
        else:
            answer = client.get(f"/documents/{probe.doc_id}/similar", params={"limit": 10})
            assert answer.status_code == 200, answer.text
            served = [(r["doc_id"], r["score"]) for r in answer.json()["results"]]
        expected = measured[probe.probe_id]
        assert [d for d, _ in served] == [d for d, _ in expected], probe.probe_id
        assert all(abs(s - e) <= 1e-6 for (_, s), (_, e) in zip(served, expected, strict=True)), probe.probe_id


def test_request_builders_match_the_route_constants(
        plumbing: tuple[SearchEngine, TestClient, list[SimilarProbe]]) -> None:
    from search_api.routes import similar as similar_route

    engine, _client, probes = plumbing
    assert MAX_TEXT == similar_route.MAX_TEXT
    request = text_request(engine, "comunità energetica sul tetto della scuola", today=TODAY)
    assert request.filters is not None and set(request.filters.doc_type or []) == set(EXPERIENCE_TYPES)
    assert (request.limit, request.passages_per_doc, request.exclude_doc_id) == (10, PASSAGES_PER_DOC, None)
    doc_probe = next(p for p in probes if p.kind == "document")
    request_doc = document_request(engine, doc_probe.doc_id or "", today=TODAY)
    assert request_doc is not None and request_doc.exclude_doc_id == doc_probe.doc_id
    assert request_doc.filters is None and request_doc.passages_per_doc == PASSAGES_PER_DOC
    assert document_request(engine, "non-esiste", today=TODAY) is None
    with pytest.raises(ValueError, match="non è nell'indice"):
        similar_ranking(engine, [SimilarProbe("x", "document", doc_id="non-esiste")])


def test_command_line_writes_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     similar_set: SimilarSet, fake_embedder: HashingEmbedder) -> None:
    """`python -m evaluation.similar` end to end on two probes and their documents: temporary index, ranking,
    scores, results file (the embedder the settings describe replaced by the fake one)."""
    import json
    import shutil

    from evaluation.qrels import read_qrels
    from evaluation.similar import PROBES_FILE, main

    probes = {"t04", "d03"}
    qrels = {q: rels for q, rels in read_qrels(DATASET_DIR / QRELS_FILE).items() if q in probes}
    dataset = tmp_path / "similar"
    write_qrels(dataset / QRELS_FILE, qrels)
    lines = (DATASET_DIR / PROBES_FILE).read_text(encoding="utf-8").splitlines()
    (dataset / PROBES_FILE).write_text("".join(f"{line}\n" for line in lines if json.loads(line)["_id"] in probes),
                                       encoding="utf-8")
    wanted = {d for rels in qrels.values() for d in rels} | {"bp2-tari-puntuale-castelcorvo-bresciano"}
    sources = tmp_path / "sources"
    for folder in TYPE_FOLDERS:
        (sources / folder).mkdir(parents=True)
        for path in (REPO / "corpus" / "_sources" / folder).glob("*.md"):
            if path.stem in wanted:
                shutil.copy(path, sources / folder / path.name)
    monkeypatch.setattr("kb.models.factory.embedder_from_settings", lambda settings: fake_embedder)
    out = tmp_path / "out" / "similar-fake.json"
    assert main(["--dataset", str(dataset), "--sources", str(sources), "--out", str(out), "--today", "2026-12-02",
                 "--quiet"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["documents"] == len(wanted) and data["today"] == "2026-12-02"
    assert data["probes"] == {"text": 1, "document": 1}
    assert set(data["aggregate"]) == {"all", "text", "document"}
    assert [p["id"] for p in data["per_probe"]] == ["t04", "d03"]
    assert all(0.0 <= p["ndcg@10"] <= 1.0 and p["ranking"] for p in data["per_probe"])
    assert main(["--dataset", str(tmp_path / "none"), "--out", str(out)]) == 2
