"""How stored chunks become what users see: public metadata, links to documents and originals, citations."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from kb.index.schema import decode_flags

# payload fields that belong to a chunk or to bookkeeping, not to the document's public metadata
INTERNAL_FIELDS = frozenset({
    "text", "chunk_index", "section", "page_start", "page_end", "content_hash", "version", "source_path",
    "ingested_at", "doc_id", "file_path",
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
            "url": file_url(base_url, doc_id, page if isinstance(page, int) else None)}
