"""Copy an embedded Edge index to a Qdrant server or cluster (`kb migrate --to URL`), resumably, then check it.
An index built with an older analyzer is refused (`kb reembed` first): the new collection records today's.

Copy: the source is scrolled in id order, in batches, with both vectors and the payload, and every batch is
upserted into the server collection (created with the configured shards and replicas when missing). After each
batch a small JSON checkpoint next to the index (`<index>.migrate.json`) records where to go on from, so an
interrupted run resumes when the same command is run again. The batch that was in flight is written again, which
duplicates nothing: points are upserted by id. A checkpoint made for another target, or before the source changed
(another number of points), is not trusted: the copy starts over. The checkpoint is removed once the copy ends.

Check: the two counts must be equal, and a sample of stored vectors, used as queries on both sides, must give the
same ids in the same order (points with equal scores may come in either order). Dense queries are exact searches
on both sides, so the check is about the data and not about two HNSW graphs. Sparse (BM25) queries are compared
only when the target has one shard: Qdrant computes IDF per shard, so on several shards BM25 scores differ from a
single index by design.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import qdrant_edge as qe

from kb.storage.backends.base import ChunkPoint, SparseVec
from kb.storage.backends.edge import SCHEMA_FILE, EdgeBackend
from kb.storage.backends.server import ServerBackend
from kb.storage.model_record import check_analyzer
from kb.storage.schema import DENSE_VECTOR, SPARSE_VECTOR

STATE_SUFFIX = ".migrate.json"
SCORE_TOLERANCE = 1e-4


@dataclass
class CopyReport:
    source_count: int
    copied: int = 0  # points written by this run
    batches: int = 0  # batches written by this run
    resumed_at: int = 0  # points an earlier, interrupted run had already copied
    note: str | None = None  # why a checkpoint was not used, in Italian


@dataclass
class VerifyReport:
    source_count: int
    target_count: int
    queries: int = 0  # sample queries compared (dense and sparse)
    sparse_checked: bool = True
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.source_count == self.target_count and not self.mismatches


def state_path_for(index_path: Path) -> Path:
    return index_path.with_name(index_path.name + STATE_SUFFIX)


def source_dimension(source: EdgeBackend) -> int:
    """The dense dimension the Edge index was created with (recorded in its schema file)."""
    return int(json.loads((source.path / SCHEMA_FILE).read_text())["dense_dim"])


# -- copy --------------------------------------------------------------------------------------------------------
def copy_index(source: EdgeBackend, target: ServerBackend, *, batch_size: int = 256, state_path: Path | None = None,
               restart: bool = False, progress: Callable[[int], None] | None = None) -> CopyReport:
    """Copy every point of `source` into `target`, resuming from the checkpoint an interrupted run left."""
    if batch_size < 1:
        raise ValueError("batch_size deve essere almeno 1")
    check_analyzer(source.model_record(), str(source.path))  # the target records today's analyzer
    state_path = state_path or state_path_for(source.path)
    target.ensure_collection(source_dimension(source))
    identity = {"source": str(source.path.resolve()), "target": target.url, "collection": target.collection}
    report = CopyReport(source_count=source.count())
    offset: str | None = None
    state = None if restart else _load_state(state_path)
    if state is not None:
        if any(state.get(k) != v for k, v in identity.items()):
            report.note = "il punto di ripresa era per un'altra destinazione: copia dall'inizio"
        elif state.get("source_count") != report.source_count:
            report.note = (f"l'indice di origine è cambiato ({state.get('source_count')} -> {report.source_count} "
                           "frammenti): copia dall'inizio")
        else:
            offset, report.resumed_at = state["offset"], int(state["copied"])
    while True:
        points, next_offset = read_batch(source, offset, batch_size)
        target.upsert(points)
        report.copied += len(points)
        report.batches += 1
        if progress is not None:
            progress(len(points))
        if next_offset is None:
            state_path.unlink(missing_ok=True)
            return report
        offset = next_offset
        _save_state(state_path, {**identity, "source_count": report.source_count, "offset": offset,
                                 "copied": report.resumed_at + report.copied})


def read_batch(source: EdgeBackend, offset: str | None, limit: int) -> tuple[list[ChunkPoint], str | None]:
    """Up to `limit` points from `offset` on (id order), with both vectors and the payload; and the next offset."""
    request = qe.ScrollRequest(offset=offset, limit=limit, with_payload=True, with_vector=True)
    with source.atomic():
        records, next_offset = source.shard.scroll(request)
    return [_chunk_point(r) for r in records], (str(next_offset) if next_offset is not None else None)


def _chunk_point(record: Any) -> ChunkPoint:
    vectors = record.vector if isinstance(record.vector, dict) else {}
    dense, sparse = vectors.get(DENSE_VECTOR), vectors.get(SPARSE_VECTOR)
    return ChunkPoint(str(record.id), dict(record.payload or {}), list(dense) if dense is not None else None,
                      SparseVec(list(sparse.indices), list(sparse.values)) if sparse is not None else None)


def _load_state(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):  # none, or half-written by a crash: not to be trusted
        return None
    return data if isinstance(data, dict) and data.get("offset") else None


def _save_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state))
    tmp.replace(path)  # atomic: a crash leaves the previous checkpoint or the new one, never half of one


# -- check -------------------------------------------------------------------------------------------------------
def verify_copy(source: EdgeBackend, target: ServerBackend, sample: int = 20, limit: int = 10) -> VerifyReport:
    """Counts, then `sample` stored points used as dense and sparse queries on both sides."""
    report = VerifyReport(source.count(), target.count(), sparse_checked=target.collection_shards() == 1)
    ids = sample_ids(source, sample)
    if not ids:
        return report
    with source.atomic():
        records = source.shard.retrieve(ids, with_payload=False, with_vector=True)
    for point in map(_chunk_point, records):
        if point.dense is not None:
            _compare(report, f"ricerca densa dal frammento {point.id}",
                     _edge_dense(source, point.dense, limit),
                     _scored(target.query(DENSE_VECTOR, point.dense, None, limit, with_payload=False, exact=True)))
        if report.sparse_checked and point.sparse is not None and point.sparse.indices:
            _compare(report, f"ricerca lessicale dal frammento {point.id}",
                     _scored(source.query(SPARSE_VECTOR, point.sparse, None, limit, with_payload=False)),
                     _scored(target.query(SPARSE_VECTOR, point.sparse, None, limit, with_payload=False)))
    return report


def sample_ids(source: EdgeBackend, sample: int, page: int = 10_000) -> list[str]:
    """`sample` ids spread evenly over the whole index (deterministic, so a failed check can be repeated)."""
    total = source.count()
    wanted = {i * total // sample for i in range(sample)} if sample > 0 and total else set()
    ids: list[str] = []
    position, offset = 0, None
    while len(ids) < len(wanted):
        with source.atomic():
            records, next_offset = source.shard.scroll(
                qe.ScrollRequest(offset=offset, limit=page, with_payload=False, with_vector=False))
        ids += [str(r.id) for i, r in enumerate(records, position) if i in wanted]
        position += len(records)
        if next_offset is None:
            break
        offset = str(next_offset)
    return ids


def _edge_dense(source: EdgeBackend, vector: list[float], limit: int) -> list[tuple[str, float]]:
    request = qe.QueryRequest(limit=limit, query=qe.Query.Nearest(vector, using=DENSE_VECTOR),
                              params=qe.SearchParams(exact=True), with_payload=False)
    with source.atomic():
        return [(str(p.id), float(p.score)) for p in source.shard.query(request)]


def _scored(hits: list[Any]) -> list[tuple[str, float]]:
    return [(h.id, h.score) for h in hits]


def _compare(report: VerifyReport, what: str, expected: list[tuple[str, float]],
             got: list[tuple[str, float]]) -> None:
    report.queries += 1
    difference = ranking_difference(expected, got)
    if difference is not None:
        report.mismatches.append(f"{what}: {difference}")


def ranking_difference(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> str | None:
    """None when both lists rank the same ids in the same order; within a run of equal scores any order goes, and
    at the cut-off either side may keep a different member of a tie. Otherwise what differs, in Italian."""
    if len(a) != len(b):
        return f"{len(a)} risultati nell'origine, {len(b)} nella destinazione"
    groups_a, groups_b = _tie_groups(a), _tie_groups(b)
    if [len(g) for _, g in groups_a] != [len(g) for _, g in groups_b] or any(
            abs(sa - sb) > SCORE_TOLERANCE for (sa, _), (sb, _) in zip(groups_a, groups_b, strict=True)):
        return "punteggi diversi"
    for rank, ((_, ids_a), (_, ids_b)) in enumerate(zip(groups_a[:-1], groups_b[:-1], strict=True), 1):
        if ids_a != ids_b:
            return f"frammenti diversi al gruppo {rank} ({sorted(ids_a)} contro {sorted(ids_b)})"
    return None


def _tie_groups(hits: list[tuple[str, float]]) -> list[tuple[float, set[str]]]:
    groups: list[tuple[float, set[str]]] = []
    for point_id, score in hits:
        if groups and abs(groups[-1][0] - score) <= SCORE_TOLERANCE / 10:
            groups[-1][1].add(point_id)
        else:
            groups.append((score, {point_id}))
    return groups
