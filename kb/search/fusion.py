"""Pure steps of ranking: fuse two scored lists of passages, group passages into documents.

Hybrid fusion is score-aware and weighted: each list's scores are min-max normalised over its candidates and
combined as  w * lexical + (1 - w) * semantic  (a candidate missing from one list gets 0 there). Equal-weight RRF
lets the English-centric default model drag Italian BM25 down (../shared/benchmarks); `w` is a setting tuned on
development data only. The fused list is never cut: the result set is every document owning one of the best
`candidates` passages of either list, so facet counts and results describe the same documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kb.storage.backends.base import Hit

# payload fields grouping needs on every candidate: the document and the version (newest wins)
GROUPING_FIELDS = ("doc_id", "ingested_at")


@dataclass
class DocumentHit:
    """A document of the result set: its score is its best passage's, `chunks` its best passages, best first."""

    doc_id: str
    score: float
    payload: dict[str, Any]
    chunks: list[Hit] = field(default_factory=list)


def normalise(hits: list[Hit]) -> dict[str, float]:
    """Min-max over the list's own candidates (all equal -> 1.0)."""
    if not hits:
        return {}
    scores = [h.score for h in hits]
    low, high = min(scores), max(scores)
    span = high - low
    return {h.id: (h.score - low) / span if span > 0 else 1.0 for h in hits}


def fuse(lexical: list[Hit], semantic: list[Hit], lexical_weight: float) -> list[Hit]:
    """Every candidate of either list with its weighted score, best first (ties by id)."""
    lex, sem = normalise(lexical), normalise(semantic)
    if not lex:
        lexical_weight = 0.0
    elif not sem:
        lexical_weight = 1.0
    by_id = {h.id: h for h in semantic} | {h.id: h for h in lexical}
    fused = [Hit(i, lexical_weight * lex.get(i, 0.0) + (1 - lexical_weight) * sem.get(i, 0.0), by_id[i].payload)
             for i in by_id]
    return sorted(fused, key=lambda h: (-h.score, h.id))


def group_by_document(hits: list[Hit], chunks_per_doc: int = 3) -> list[DocumentHit]:
    """Documents ranked by their best passage (`hits` come best first); only the newest version of each (a
    replacement in flight is never shown mixed)."""
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
        group = groups.setdefault(doc_id, DocumentHit(doc_id, hit.score, hit.payload))
        if len(group.chunks) < chunks_per_doc:
            group.chunks.append(hit)
    return sorted(groups.values(), key=lambda g: (-g.score, g.doc_id))


def best_scores(hits: list[Hit]) -> dict[str, float]:
    """Each document's best score in one list (raw, comparable across documents of that list)."""
    best: dict[str, float] = {}
    for hit in hits:
        doc_id = str(hit.payload.get("doc_id"))
        if hit.score > best.get(doc_id, float("-inf")):
            best[doc_id] = hit.score
    return best
