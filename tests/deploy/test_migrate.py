"""`kb migrate`: a real Edge index copied to a server collection (qdrant-client's `:memory:` stand-in; a real
server too when KB_QDRANT_URL is set, `pytest -m server`), in batches, resumed after an interruption without
duplicates, and checked by counts and by the same results for a sample of dense and sparse queries."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kb.models.embedders import HashingEmbedder
from kb.storage.backends.base import ChunkPoint, IndexUnavailableError, SparseVec
from kb.storage.backends.edge import EdgeBackend
from kb.storage.backends.server import ServerBackend
from kb.storage.migrate import copy_index, ranking_difference, read_batch, state_path_for, verify_copy
from kb.storage.model_record import ModelMismatchError
from kb.storage.schema import DENSE_VECTOR, SPARSE_VECTOR
from kb.text.analysis import Bm25SparseEncoder

DIM = 32
WORDS = ("comunità energetica fotovoltaico scuola pista ciclabile illuminazione led rifiuti riuso acqua verde "
         "alberi bando contributo normativa decreto cittadini partecipazione municipio pompa calore").split()
SERVER_URL = os.environ.get("KB_QDRANT_URL")


def make_points(n: int, seed: int = 3) -> list[ChunkPoint]:
    """Deterministic chunks; every tenth repeats an earlier text, so equal vectors make ties, as real copies do."""
    rng, embedder, encoder = random.Random(seed), HashingEmbedder(DIM), Bm25SparseEncoder()
    texts: list[str] = []
    points = []
    for i in range(n):
        text = texts[i - 7] if i % 10 == 9 else " ".join(rng.choices(WORDS, k=18))
        texts.append(text)
        indices, values = encoder.encode_document(text)
        payload = {"doc_id": f"doc-{i // 6}", "chunk_index": i % 6, "text": text, "regione": "Veneto",
                   "sdg": [7, 11], "popolazione": 1000 + i}
        points.append(ChunkPoint(str(uuid.uuid5(uuid.NAMESPACE_URL, f"chunk-{seed}-{i}")), payload,
                                 embedder.embed_passages([text])[0], SparseVec(indices, values)))
    return points


@pytest.fixture
def source(tmp_path: Path) -> Iterator[EdgeBackend]:
    edge = EdgeBackend(tmp_path / "index", "test-model")
    edge.ensure_collection(DIM)
    edge.upsert(make_points(230))
    yield edge
    edge.close()


TARGETS = [pytest.param(":memory:", id="memory"),
           pytest.param(SERVER_URL, id="server", marks=[
               pytest.mark.server, pytest.mark.skipif(not SERVER_URL, reason="KB_QDRANT_URL non impostata")])]


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest) -> Iterator[ServerBackend]:
    backend = ServerBackend(request.param, f"kb_migrate_{uuid.uuid4().hex[:8]}", os.environ.get("KB_QDRANT_API_KEY"))
    yield backend
    if backend.url != ":memory:":
        backend.client.delete_collection(backend.collection)
    backend.close()


class InterruptedTarget(ServerBackend):
    """A target that goes away after `fail_after` batches; `lose_answer`: the failing batch is written but its
    answer is lost, so the caller cannot know it landed."""

    def __init__(self, client: object, collection: str, fail_after: int, lose_answer: bool = False) -> None:
        super().__init__(":memory:", collection, client=client)
        self.fail_after, self.lose_answer = fail_after, lose_answer
        self.written: list[str] = []  # ids of the batches whose write was confirmed
        self.batches = 0

    def upsert(self, points: list[ChunkPoint]) -> None:
        if self.batches == self.fail_after:
            if self.lose_answer:
                super().upsert(points)
            raise IndexUnavailableError("server Qdrant non raggiungibile (interruzione simulata)")
        super().upsert(points)
        self.batches += 1
        self.written += [p.id for p in points]


class CountingTarget(ServerBackend):
    def __init__(self, client: object, collection: str) -> None:
        super().__init__(":memory:", collection, client=client)
        self.written: list[str] = []

    def upsert(self, points: list[ChunkPoint]) -> None:
        super().upsert(points)
        self.written += [p.id for p in points]


def test_copy_is_complete_and_identical(source: EdgeBackend, target: ServerBackend) -> None:
    report = copy_index(source, target, batch_size=50)
    assert (report.source_count, report.copied, report.batches, report.resumed_at) == (230, 230, 5, 0)
    assert target.count() == 230
    assert not state_path_for(source.path).exists(), "the checkpoint goes once the copy is complete"
    originals, _ = read_batch(source, None, 1000)
    copies = {r.id: r for r in target.client.retrieve(target.collection, [p.id for p in originals],
                                                      with_payload=True, with_vectors=True)}
    for point in originals:
        copy = copies[point.id]
        vectors: Any = copy.vector
        assert copy.payload == point.payload
        assert vectors[DENSE_VECTOR] == pytest.approx(point.dense, abs=1e-6)
        assert point.sparse is not None
        assert vectors[SPARSE_VECTOR].indices == point.sparse.indices
        assert vectors[SPARSE_VECTOR].values == pytest.approx(point.sparse.values)

    checked = verify_copy(source, target, sample=25)
    assert checked.ok, checked.mismatches
    assert (checked.source_count, checked.target_count, checked.queries) == (230, 230, 50)
    assert checked.sparse_checked


@pytest.mark.parametrize("lose_answer", [False, True], ids=["failed-batch", "lost-answer"])
def test_interrupted_copy_resumes_without_duplicates(source: EdgeBackend, lose_answer: bool) -> None:
    from qdrant_client import QdrantClient

    client = QdrantClient(location=":memory:")
    broken = InterruptedTarget(client, "kb", fail_after=2, lose_answer=lose_answer)
    with pytest.raises(IndexUnavailableError):
        copy_index(source, broken, batch_size=50)
    state = json.loads(state_path_for(source.path).read_text())
    assert state["copied"] == 100
    assert broken.count() == (150 if lose_answer else 100)

    resumed = CountingTarget(client, "kb")
    report = copy_index(source, resumed, batch_size=50)
    assert report.resumed_at == 100
    assert report.copied == 130 and report.batches == 3, "only what the first run had not confirmed"
    assert not set(resumed.written) & set(broken.written), "confirmed batches are not written again"
    assert resumed.count() == 230, "no duplicates, nothing missing"
    assert sorted(broken.written + resumed.written) == sorted(p.id for p in read_batch(source, None, 1000)[0])
    assert verify_copy(source, resumed, sample=10).ok
    assert not state_path_for(source.path).exists()


def test_a_changed_source_is_copied_again_from_the_start(source: EdgeBackend) -> None:
    from qdrant_client import QdrantClient

    client = QdrantClient(location=":memory:")
    with pytest.raises(IndexUnavailableError):
        copy_index(source, InterruptedTarget(client, "kb", fail_after=1), batch_size=50)
    source.upsert(make_points(20, seed=9))
    report = copy_index(source, CountingTarget(client, "kb"), batch_size=50)
    assert report.resumed_at == 0 and report.copied == 250
    assert report.note is not None and "cambiato (230 -> 250" in report.note


def test_a_checkpoint_for_another_target_is_not_used(source: EdgeBackend) -> None:
    from qdrant_client import QdrantClient

    client = QdrantClient(location=":memory:")
    with pytest.raises(IndexUnavailableError):
        copy_index(source, InterruptedTarget(client, "kb", fail_after=3), batch_size=50)
    report = copy_index(source, CountingTarget(client, "altra"), batch_size=50)
    assert report.copied == 230 and report.resumed_at == 0
    assert report.note is not None and "altra destinazione" in report.note


def test_restart_ignores_the_checkpoint(source: EdgeBackend) -> None:
    from qdrant_client import QdrantClient

    client = QdrantClient(location=":memory:")
    with pytest.raises(IndexUnavailableError):
        copy_index(source, InterruptedTarget(client, "kb", fail_after=2), batch_size=50)
    report = copy_index(source, CountingTarget(client, "kb"), batch_size=50, restart=True)
    assert (report.copied, report.resumed_at, report.note) == (230, 0, None)


def test_verification_finds_a_different_copy(source: EdgeBackend, target: ServerBackend) -> None:
    copy_index(source, target, batch_size=100)
    originals, _ = read_batch(source, None, 1000)
    victim = originals[17]
    assert victim.dense is not None
    altered = ChunkPoint(victim.id, victim.payload, [-x for x in victim.dense], victim.sparse)
    target.upsert([altered])
    target.delete_ids([originals[40].id])
    checked = verify_copy(source, target, sample=230)
    assert not checked.ok
    assert (checked.source_count, checked.target_count) == (230, 229)
    assert any(f"ricerca densa dal frammento {victim.id}" in m for m in checked.mismatches)


class ShardedTarget(ServerBackend):
    """A collection of three shards, as a cluster's (the local stand-in has no shards to report)."""

    def collection_shards(self) -> int:
        return 3


def test_bm25_is_not_compared_across_several_shards(source: EdgeBackend) -> None:
    """Qdrant computes IDF per shard, so BM25 scores of a sharded copy differ by design: dense queries only."""
    target = ShardedTarget(":memory:", "kb")
    copy_index(source, target, batch_size=100)
    checked = verify_copy(source, target, sample=8)
    assert checked.ok and not checked.sparse_checked
    assert checked.queries == 8


def test_ranking_comparison_tolerates_ties_only() -> None:
    assert ranking_difference([("a", 0.9), ("b", 0.8), ("c", 0.8)], [("a", 0.9), ("c", 0.8), ("b", 0.8)]) is None
    # a tie at the cut-off: each side may keep a different member
    assert ranking_difference([("a", 0.9), ("b", 0.5)], [("a", 0.9), ("z", 0.5)]) is None
    assert ranking_difference([("a", 0.9), ("b", 0.8), ("c", 0.7)],
                              [("b", 0.9), ("a", 0.8), ("c", 0.7)]) is not None
    assert ranking_difference([("a", 0.9), ("b", 0.8)], [("a", 0.9), ("b", 0.7)]) == "punteggi diversi"
    assert ranking_difference([("a", 0.9)], []) == "1 risultati nell'origine, 0 nella destinazione"


def test_an_index_of_an_older_analyzer_is_not_copied(source: EdgeBackend, target: ServerBackend) -> None:
    """Its sparse vectors would land in a collection that records today's analyzer: `kb reembed` comes first."""
    source.save_model_record({"model": "test-model", "dense_dim": DIM})  # as written before analyzer versions
    with pytest.raises(ModelMismatchError, match="kb reembed"):
        copy_index(source, target, batch_size=50)
    assert not target.client.collection_exists(target.collection)


def test_batch_size_must_be_positive(source: EdgeBackend) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        copy_index(source, ServerBackend(":memory:", "kb"), batch_size=0)


# -- the command -----------------------------------------------------------------------------------------------
def kb(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KB_INDEX_PATH": str(tmp_path / "index"), "HF_HUB_OFFLINE": "1",
           "HAYSTACK_TELEMETRY_ENABLED": "False"}
    env.pop("KB_QDRANT_URL", None)
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)


def test_kb_migrate_command(tmp_path: Path) -> None:
    edge = EdgeBackend(tmp_path / "index", "test-model")
    edge.ensure_collection(DIM)
    edge.upsert(make_points(120))
    edge.close()
    result = kb(tmp_path, "migrate", "--to", ":memory:", "--batch-size", "40", "--sample", "5")
    assert result.returncode == 0, result.stderr
    assert "Copiati 120 frammenti in 3 lotti." in result.stdout
    assert "10/10 ricerche di controllo con gli stessi risultati" in result.stdout
    assert "Migrazione completata" in result.stdout

    as_json = json.loads(kb(tmp_path, "migrate", "--to", ":memory:", "--json").stdout)
    assert as_json["copy"]["copied"] == 120 and as_json["verify"]["ok"] is True


def test_kb_migrate_without_an_index_says_what_to_do(tmp_path: Path) -> None:
    result = kb(tmp_path, "migrate", "--to", ":memory:")
    assert result.returncode == 3
    assert "kb ingest" in result.stderr and "Traceback" not in result.stderr
