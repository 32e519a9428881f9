"""The knowledge base as one Haystack component: a question and filters in, ranked Haystack `Document`s out.

A team building a RAG chatbot on Haystack plugs the Italian index in with one line; the ranking is the retrieval
core's (`SearchEngine.search`, the one every API route uses): Italian analysis, synonyms, hybrid fusion, grouping by
document, newest version only. One `Document` per knowledge-base document: `content` is its best passages in full,
`meta` its metadata plus where the passages come from (file, section, pages), `score` its relevance.
"""

from __future__ import annotations

from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict
from pydantic import ValidationError

from kb.search import Mode, SearchEngine, SearchFilters, SearchRequest
from kb.search.types import FoundDocument
from kb.settings import Settings

PASSAGE_SEPARATOR = "\n\n"


@component
class KnowledgeBaseRetriever:
    """Given an engine, searches it; without one, `warm_up()` opens the index and model the settings describe
    (`KB_*` variables, `.env`), so building the component never loads a model or opens an index."""

    def __init__(self, engine: SearchEngine | None = None, *, top_k: int = 10, mode: str = "hybrid",
                 passages_per_doc: int = 3) -> None:
        if top_k < 1:
            raise ValueError("top_k deve essere >= 1")
        if not 1 <= passages_per_doc <= 10:
            raise ValueError("passages_per_doc deve essere tra 1 e 10")
        self.mode = _mode(mode)
        self.engine, self.top_k, self.passages_per_doc = engine, top_k, passages_per_doc
        self._given_engine = engine is not None

    def warm_up(self) -> None:
        if self.engine is None:
            self.engine = self._open()

    @staticmethod
    def _open() -> SearchEngine:
        from kb.search.factory import open_engine

        return open_engine(Settings(), create_index=False)

    def to_dict(self) -> dict[str, Any]:
        """Serialisable when the component opens the configured index itself (no engine passed in)."""
        if self._given_engine:
            raise TypeError("un retriever costruito con un motore già aperto non si serializza: costruirlo senza "
                            "motore, così apre l'indice indicato da KB_INDEX_PATH / KB_QDRANT_URL")
        return default_to_dict(self, top_k=self.top_k, mode=self.mode.value, passages_per_doc=self.passages_per_doc)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KnowledgeBaseRetriever:
        return default_from_dict(cls, data)

    @component.output_types(documents=list[Document])
    def run(self, query: str, filters: dict[str, Any] | None = None, top_k: int | None = None,
            mode: str | None = None) -> dict[str, list[Document]]:
        """`filters` uses the knowledge base's own fields, as in the API (`doc_type`, `sdg`, `theme`, `regione`,
        `provincia`, `comune`, `population_band`, `year_from`, `year_to`, `bando_status`, `level`, `in_force`)."""
        if self.engine is None:
            self.engine = self._open()
        try:
            chosen = SearchFilters.model_validate(filters or {})
        except ValidationError as exc:
            raise ValueError(f"filtri non validi ({exc.error_count()} errori); campi ammessi: "
                             f"{', '.join(SearchFilters.model_fields)}") from exc
        page = self.engine.search(SearchRequest(query, _mode(mode) if mode else self.mode, chosen,
                                                limit=top_k or self.top_k, passages_per_doc=self.passages_per_doc,
                                                facets=False))
        return {"documents": [to_haystack(d) for d in page.documents]}


def to_haystack(found: FoundDocument) -> Document:
    payload = found.payload
    meta = {k: v for k, v in payload.items() if k not in ("text", "chunk_index", "section", "page_start", "page_end")}
    meta["passages"] = [{"section": p.payload.get("section") or None, "page_start": p.payload.get("page_start"),
                         "page_end": p.payload.get("page_end"), "score": p.score} for p in found.passages]
    meta["pages"] = found.pages
    content = PASSAGE_SEPARATOR.join(str(p.payload.get("text", "")) for p in found.passages)
    return Document(id=found.doc_id, content=content, meta=meta, score=found.score)


def _mode(value: str) -> Mode:
    try:
        return Mode(value)
    except ValueError:
        raise ValueError(f"modalità {value!r} non valida; valide: {', '.join(m.value for m in Mode)}") from None
