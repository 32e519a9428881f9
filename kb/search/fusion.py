"""Pure steps of ranking: fuse two scored lists of passages, group passages into documents.

Hybrid fusion is weighted:  w * lexical + (1 - w) * semantic  over each list's normalised scores. Normalisation is
a setting (`KB_FUSION`, zscore): min-max over the list's candidates, z-score (mean 0, deviation 1), or reciprocal rank
(1 / (60 + rank), i.e. weighted RRF). A candidate missing from one list gets that list's lowest value (0 for
min-max and RRF). `w`, the normalisation and the chunk bonus are tuned on development data only (README,
"Qualità"). The fused list is never cut: the result set is every document owning one of the best `candidates`
passages of either list, so facet counts and results describe the same documents.

A document's score is its best passage's, plus, when `chunk_bonus` > 0, that share of its next best passages'
fused scores (at most `BONUS_PASSAGES`): a document that answers in several places edges out one lucky passage.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kb.storage.backends.base import Hit

# payload fields grouping needs on every candidate: the document and the version (newest wins)
GROUPING_FIELDS = ("doc_id", "ingested_at")
RRF_K = 60
BONUS_PASSAGES = 2  # further passages that may add to a document's score (independent of how many are shown)


class Normalisation(StrEnum):
    minmax = "minmax"
    zscore = "zscore"
    rrf = "rrf"


@dataclass
class DocumentHit:
    """A document of the result set: its score is its best passage's, `chunks` its best passages, best first."""

    doc_id: str
    score: float
    payload: dict[str, Any]
    chunks: list[Hit] = field(default_factory=list)
    further: list[float] = field(default_factory=list)  # next best passage scores, for the chunk bonus


def normalise(hits: list[Hit], method: Normalisation = Normalisation.minmax) -> tuple[dict[str, float], float]:
    """Each candidate's normalised score, and the value a candidate missing from the list gets."""
    if not hits:
        return {}, 0.0
    if method is Normalisation.rrf:  # hits come best first
        return {h.id: 1.0 / (RRF_K + rank) for rank, h in enumerate(hits, start=1)}, 0.0
    scores = [h.score for h in hits]
    if method is Normalisation.zscore:
        mean, spread = statistics.fmean(scores), statistics.pstdev(scores)
        values = {h.id: (h.score - mean) / spread if spread > 0 else 0.0 for h in hits}
        return values, min(values.values())
    low, high = min(scores), max(scores)
    span = high - low
    return {h.id: (h.score - low) / span if span > 0 else 1.0 for h in hits}, 0.0


def with_exact_dense(semantic: list[Hit], lexical: list[Hit], cosines: dict[str, float]) -> list[Hit]:
    """The semantic list completed with the exact cosine of the lexical candidates it lacks (`cosines`, computed
    from their stored vectors): fusion then weighs every candidate on both scores instead of giving a passage found
    by one list the other list's lowest value."""
    extra = [Hit(h.id, cosines[h.id], h.payload) for h in lexical if h.id in cosines]
    return sorted(semantic + extra, key=lambda h: (-h.score, h.id)) if extra else semantic


def fuse(lexical: list[Hit], semantic: list[Hit], lexical_weight: float,
         normalisation: Normalisation = Normalisation.minmax) -> list[Hit]:
    """Every candidate of either list with its weighted score, best first (ties by id)."""
    (lex, lex_missing), (sem, sem_missing) = normalise(lexical, normalisation), normalise(semantic, normalisation)
    if not lex:
        lexical_weight = 0.0
    elif not sem:
        lexical_weight = 1.0
    by_id = {h.id: h for h in semantic} | {h.id: h for h in lexical}
    fused = [Hit(i, lexical_weight * lex.get(i, lex_missing) + (1 - lexical_weight) * sem.get(i, sem_missing),
                 by_id[i].payload) for i in by_id]
    return sorted(fused, key=lambda h: (-h.score, h.id))


def group_by_document(hits: list[Hit], chunks_per_doc: int = 3, chunk_bonus: float = 0.0) -> list[DocumentHit]:
    """Documents ranked by their best passage (`hits` come best first) plus the chunk bonus; only the newest
    version of each (a replacement in flight is never shown mixed)."""
    groups: dict[str, DocumentHit] = {}
    versions: dict[str, str] = {}
    for hit in hits:
        doc_id = str(hit.payload.get("doc_id"))
        version = str(hit.payload.get("ingested_at", ""))
        if doc_id in versions and version != versions[doc_id]:
            if version < versions[doc_id]:
                continue
            del groups[doc_id]
        versions[doc_id] = version
        group = groups.get(doc_id)
        if group is None:
            group = groups[doc_id] = DocumentHit(doc_id, hit.score, hit.payload)
        elif len(group.further) < BONUS_PASSAGES:
            group.further.append(hit.score)
        if len(group.chunks) < chunks_per_doc:
            group.chunks.append(hit)
    if chunk_bonus > 0:
        for group in groups.values():
            group.score += chunk_bonus * sum(max(0.0, s) for s in group.further)
    return sorted(groups.values(), key=lambda g: (-g.score, g.doc_id))


def best_scores(hits: list[Hit]) -> dict[str, float]:
    """Each document's best score in one list (raw, comparable across documents of that list)."""
    best: dict[str, float] = {}
    for hit in hits:
        doc_id = str(hit.payload.get("doc_id"))
        if hit.score > best.get(doc_id, float("-inf")):
            best[doc_id] = hit.score
    return best
