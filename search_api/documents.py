"""How stored chunks become what users see: public metadata, links to documents and originals, citations."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from qdrant_client import models

from kb.search import FoundDocument, ShownPassage
from kb.search.facets import status_of
from kb.search.highlight import Snippet
from kb.storage.schema import decode_flags

# a document's first passage carries its metadata: one hit per document
FIRST_PASSAGE = models.FieldCondition(key="chunk_index", match=models.MatchValue(value=0))
# payload fields that belong to a chunk or to bookkeeping, not to the document's public metadata
INTERNAL_FIELDS = frozenset({
    "text", "chunk_index", "section", "page_start", "page_end", "content_hash", "version", "source_path",
    "ingested_at", "doc_id", "file_path", "chunk_count", "cited_acts", "cited_act_labels", "reference_key",
})


def public_metadata(payload: dict[str, Any]) -> dict[str, Any]:
    """Document metadata with yes/no fields as booleans and empty values left out."""
    return {k: v for k, v in decode_flags(payload).items()
            if k not in INTERNAL_FIELDS and v is not None and v != [] and v != ""}


def document_url(base_url: str, doc_id: str) -> str:
    return f"{base_url.rstrip('/')}/documents/{quote(doc_id)}"


def file_url(base_url: str, doc_id: str, page: int | None = None) -> str:
    """Link to the original; `#page=N` makes browsers' PDF viewers open it at that page."""
    url = f"{document_url(base_url, doc_id)}/file"
    return f"{url}#page={page}" if page else url


def citation(base_url: str, payload: dict[str, Any]) -> dict[str, Any]:
    doc_id = str(payload.get("doc_id"))
    page = payload.get("page_start")
    return {"doc_id": doc_id, "title": payload.get("title"), "source": payload.get("source"),
            "section": payload.get("section") or None, "page_start": page, "page_end": payload.get("page_end"),
            "chunk_index": payload.get("chunk_index"),
            "url": file_url(base_url, doc_id, page if isinstance(page, int) else None)}


def render_passage(passage: ShownPassage, base_url: str) -> dict[str, Any]:
    snippet = passage.snippet or Snippet(str(passage.payload.get("text", "")))
    return {"text": snippet.text, "html": snippet.html, "highlights": snippet.highlights,
            "score": round(passage.score, 6), "citation": citation(base_url, passage.payload)}


def render_result(doc: FoundDocument, today: dt.date, base_url: str) -> dict[str, Any]:
    """A found document as every JSON route and web page shows it (`ResultDocument`)."""
    payload = doc.payload
    return {"doc_id": doc.doc_id, "title": payload.get("title"), "doc_type": payload.get("doc_type"),
            "score": round(doc.score, 6), "boost": doc.boost, "bando_status": status_of(payload, today),
            "metadata": public_metadata(payload), "passages": [render_passage(p, base_url) for p in doc.passages],
            "url": document_url(base_url, doc.doc_id), "file_url": file_url(base_url, doc.doc_id)}


def _first_chunks(backend: Any, conditions: list[models.FieldCondition], limit: int) -> list[dict[str, Any]]:
    """One payload per document (its first chunk) among those matching all conditions."""
    hits, _ = backend.scroll(models.Filter(must=[*conditions, FIRST_PASSAGE]), limit=limit)
    return [h.payload for h in hits]


def act_links(backend: Any, payload: dict[str, Any], base_url: str) -> dict[str, list[dict[str, Any]]]:
    """Acts the document cites, each linked to the indexed act when there is one (the same regione first, for
    regional laws sharing a number), and for an act the documents that cite it."""
    keys = list(payload.get("cited_acts") or [])
    labels = list(payload.get("cited_act_labels") or [])
    indexed: dict[str, list[dict[str, Any]]] = {}
    if keys:
        for act in _first_chunks(backend, [
                models.FieldCondition(key="doc_type", match=models.MatchValue(value="normativa")),
                models.FieldCondition(key="reference_key", match=models.MatchAny(any=keys))], limit=4 * len(keys)):
            indexed.setdefault(str(act.get("reference_key")), []).append(act)
    cited = []
    for key, label in zip(keys, labels, strict=False):
        matches = sorted(indexed.get(key, []), key=lambda a: a.get("regione") != payload.get("regione"))
        target: dict[str, Any] | None = matches[0] if matches else None
        cited.append({"reference": label, "key": key, "doc_id": target.get("doc_id") if target else None,
                      "title": target.get("title") if target else None,
                      "url": document_url(base_url, str(target["doc_id"])) if target else None})
    cited_by = []
    if payload.get("reference_key"):
        for doc in _first_chunks(backend, [models.FieldCondition(
                key="cited_acts", match=models.MatchValue(value=str(payload["reference_key"])))], limit=100):
            cited_by.append({"doc_id": doc.get("doc_id"), "title": doc.get("title"), "doc_type": doc.get("doc_type"),
                             "url": document_url(base_url, str(doc["doc_id"]))})
    return {"cited_acts": cited, "cited_by": cited_by}
