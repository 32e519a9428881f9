"""The fusion options tuned on dev data: normalisations, the chunk bonus, the exact dense completion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb.search.fusion import Normalisation, fuse, group_by_document, normalise, with_exact_dense
from kb.storage.backends.base import Hit


def _hits(*pairs: tuple[str, float], doc: str | None = None) -> list[Hit]:
    return [Hit(i, s, {"doc_id": doc or i.split(":")[0], "ingested_at": "1"}) for i, s in pairs]


def test_normalisations() -> None:
    hits = _hits(("a", 3.0), ("b", 2.0), ("c", 1.0))
    assert normalise(hits, Normalisation.minmax) == ({"a": 1.0, "b": 0.5, "c": 0.0}, 0.0)
    z, missing = normalise(hits, Normalisation.zscore)
    assert z["b"] == pytest.approx(0.0) and z["a"] == pytest.approx(-z["c"]) and missing == z["c"]
    rrf, missing = normalise(hits, Normalisation.rrf)
    assert rrf["a"] == pytest.approx(1 / 61) and rrf["c"] == pytest.approx(1 / 63) and missing == 0.0
    assert normalise([], Normalisation.zscore) == ({}, 0.0)
    assert normalise(_hits(("a", 1.0), ("b", 1.0)), Normalisation.zscore)[0] == {"a": 0.0, "b": 0.0}


@pytest.mark.parametrize("method", list(Normalisation))
def test_a_candidate_missing_from_one_list_gets_that_lists_lowest_value(method: Normalisation) -> None:
    lexical = _hits(("a", 9.0), ("b", 5.0), ("c", 1.0))
    semantic = _hits(("d", 0.9), ("a", 0.8), ("b", 0.3))
    fused = {h.id: h.score for h in fuse(lexical, semantic, 0.5, method)}
    assert set(fused) == {"a", "b", "c", "d"}
    assert max(fused, key=lambda i: fused[i]) == "a"  # first and second: the best on both
    # c (last lexically, absent semantically) never beats b (ahead of it in both lists)
    assert fused["b"] > fused["c"]


def test_weights_at_the_ends_give_one_list() -> None:
    lexical, semantic = _hits(("a", 2.0), ("b", 1.0)), _hits(("b", 0.9), ("a", 0.1))
    assert [h.id for h in fuse(lexical, semantic, 1.0, Normalisation.zscore)] == ["a", "b"]
    assert [h.id for h in fuse(lexical, semantic, 0.0, Normalisation.zscore)] == ["b", "a"]
    assert [h.id for h in fuse([], semantic, 0.9)] == ["b", "a"]  # an empty list leaves the other alone


def test_chunk_bonus_rewards_a_document_answering_in_several_places() -> None:
    hits = _hits(("x:1", 0.90), ("y:1", 0.85), ("y:2", 0.80), ("y:3", 0.70), ("y:4", 0.60), ("x:2", 0.10))
    assert [d.doc_id for d in group_by_document(hits)] == ["x", "y"]
    boosted = group_by_document(hits, chunks_per_doc=1, chunk_bonus=0.1)
    assert [d.doc_id for d in boosted] == ["y", "x"]
    assert boosted[0].score == pytest.approx(0.85 + 0.1 * (0.80 + 0.70))  # at most two further passages
    assert len(boosted[0].chunks) == 1  # how many are shown does not change the score


def test_exact_dense_completes_the_semantic_list() -> None:
    lexical, semantic = _hits(("a", 5.0), ("b", 4.0)), _hits(("b", 0.8), ("c", 0.7))
    completed = with_exact_dense(semantic, lexical, {"a": 0.75})
    assert [(h.id, h.score) for h in completed] == [("b", 0.8), ("a", 0.75), ("c", 0.7)]
    assert with_exact_dense(semantic, lexical, {}) is semantic


def test_engine_scores_lexical_only_candidates_with_their_stored_vectors(tmp_path: Path) -> None:
    from ingest.service import IngestService
    from kb.models.embedders import HashingEmbedder
    from kb.search import Mode, SearchEngine
    from kb.storage.backends.edge import EdgeBackend
    from tests.conftest import FIXTURE_DOCS

    embedder = HashingEmbedder(32)
    backend = EdgeBackend(tmp_path / "index", embedder.name)
    backend.ensure_collection(32)
    assert IngestService(backend, embedder, files_path=tmp_path / "files").ingest_paths([FIXTURE_DOCS]).ok
    try:
        engine = SearchEngine(backend, embedder, candidates=2, exact_dense=True)
        lexical, semantic = engine.retrieve_passages("impianti energetici rinnovabili montani", Mode.hybrid, None)
        plain = SearchEngine(backend, embedder, candidates=2).retrieve_passages(
            "impianti energetici rinnovabili montani", Mode.hybrid, None)[1]
        assert {h.id for h in lexical} - {h.id for h in plain}, "the test needs a lexical-only candidate"
        assert {h.id for h in lexical} <= {h.id for h in semantic}
        query = np.asarray(embedder.embed_query("impianti energetici rinnovabili montani"))
        stored = {h.id: h.dense for h in backend.retrieve([h.id for h in semantic], with_dense=True)}
        for hit in semantic:
            assert hit.score == pytest.approx(float(query @ np.asarray(stored[hit.id])), abs=1e-5)
    finally:
        backend.close()
