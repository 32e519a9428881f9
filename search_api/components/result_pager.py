"""One page of results: full passages fetched for the documents shown, highlighted and cited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from haystack import component

from search_api.documents import citation, document_url, file_url, public_metadata
from search_api.facets import status_of
from search_api.highlight import Highlighter
from search_api.searcher import RankedDocuments


@component
class ResultPager:
    def __init__(self, backend: Any, highlighter: Highlighter | None = None) -> None:
        if backend is None:
            raise ValueError("ResultPager richiede un indice")
        self.backend = backend
        self.highlighter = highlighter or Highlighter()

    @component.output_types(results=list)
    def run(self, documents: RankedDocuments, query: str, today: dt.date, offset: int = 0, limit: int = 10,
            base_url: str = "") -> dict[str, Any]:
        page = documents.documents[offset:offset + limit]
        full = {h.id: h.payload for h in self.backend.retrieve([c.id for d in page for c in d.chunks])}
        stems = self.highlighter.query_stems(query)
        results = []
        for doc in page:
            chunks = [(c, full[c.id]) for c in doc.chunks if c.id in full]
            if not chunks:  # deleted between retrieval and this page
                continue
            payload = chunks[0][1]
            passages = []
            for chunk, chunk_payload in chunks:
                snippet = self.highlighter.snippet(str(chunk_payload.get("text", "")), stems)
                passages.append({"text": snippet.text, "html": snippet.html, "highlights": snippet.highlights,
                                 "score": round(chunk.score, 6), "citation": citation(base_url, chunk_payload)})
            results.append({
                "doc_id": doc.doc_id, "title": payload.get("title"), "doc_type": payload.get("doc_type"),
                "score": round(doc.score, 6), "boost": documents.boosts.get(doc.doc_id),
                "bando_status": status_of(payload, today), "metadata": public_metadata(payload),
                "passages": passages, "url": document_url(base_url, doc.doc_id),
                "file_url": file_url(base_url, doc.doc_id),
            })
        return {"results": results}
