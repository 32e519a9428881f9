"""The retrieval core: one typed request -> one ranked page, for every caller (API, web pages, CLI, evaluation,
tuning, benchmarks, the Haystack component), so a quality number describes what a user gets.

    question -> statuses read in it -> filters -> lexical + semantic passages (best `candidates` of each list)
             -> fusion -> documents (newest version) -> "comuni come il mio" -> order -> facets + total
             -> the page: its passages fetched in full and highlighted

Facets are disjunctive (`facets.py`): a facet with a filter of its own is counted over one more retrieval, the same
query without that filter, so its other values stay listed with the count each would give.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from qdrant_client import models

from kb.models.base import DenseEmbedder
from kb.search.calls import deadline_key
from kb.search.context import rerank
from kb.search.facets import (
    FACET_PAYLOAD,
    count_facets,
    newest_payloads,
    refined_facets,
    selected_values,
    without_own_filter,
)
from kb.search.fusion import (
    GROUPING_FIELDS,
    DocumentHit,
    Normalisation,
    best_scores,
    fuse,
    group_by_document,
    with_exact_dense,
)
from kb.search.highlight import Highlighter
from kb.search.intent import call_statuses
from kb.search.probe import Probe, probe_from_document, probe_from_text
from kb.search.types import FoundDocument, Mode, Order, SearchPage, SearchRequest, ShownPassage
from kb.storage.backends.base import Hit, SparseVec
from kb.storage.filters import SearchFilters
from kb.storage.schema import DENSE_VECTOR, SPARSE_VECTOR
from kb.text.analysis import Bm25SparseEncoder, ItalianAnalyzer
from kb.text.synonyms import SynonymExpander

# what a candidate passage carries: grouping, facets, call status and order, the comune context; the passages
# shown are fetched in full, for the page only
CANDIDATE_FIELDS = sorted(set(GROUPING_FIELDS) | set(FACET_PAYLOAD))
Clock = Callable[[], dt.date]


class SearchEngine:
    def __init__(self, backend: Any, embedder: DenseEmbedder, *, analyzer: ItalianAnalyzer | None = None,
                 expander: SynonymExpander | None = None, lexical_weight: float = 0.4, candidates: int = 100,
                 normalisation: Normalisation = Normalisation.zscore, chunk_bonus: float = 0.0,
                 exact_dense: bool = False,
                 context_size_weight: float = 0.3, context_area_weight: float = 0.2, max_facet_values: int = 50,
                 clock: Clock = dt.date.today) -> None:
        if not 0.0 <= lexical_weight <= 1.0:
            raise ValueError("lexical_weight deve essere tra 0 e 1")
        if not 0.0 <= chunk_bonus <= 1.0:
            raise ValueError("chunk_bonus deve essere tra 0 e 1")
        if candidates < 1:
            raise ValueError("candidates deve essere >= 1")
        if context_size_weight < 0 or context_area_weight < 0:
            raise ValueError("i pesi del contesto non possono essere negativi")
        if max_facet_values < 1:
            raise ValueError("max_facet_values deve essere >= 1")
        self.backend, self.embedder = backend, embedder
        self.encoder = Bm25SparseEncoder(analyzer or ItalianAnalyzer())
        self.expander = expander or SynonymExpander()
        self.highlighter = Highlighter(self.encoder.analyzer, self.expander)
        self.lexical_weight, self.candidates = lexical_weight, candidates
        self.normalisation, self.chunk_bonus = Normalisation(normalisation), chunk_bonus
        self.exact_dense = exact_dense
        self.context_weights = (context_size_weight, context_area_weight)
        self.max_facet_values, self.clock = max_facet_values, clock

    # -- the one entry point ------------------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchPage:
        with self.backend.reading():  # one version of every document, from the lists to the shown passages
            return self._search(request)

    def _search(self, request: SearchRequest) -> SearchPage:
        clock = _StepClock()
        today = request.today or self.clock()
        filters, interpreted = self._interpret(request)
        flt = _with_exclusion(filters.to_qdrant(today), request.exclude_doc_id)
        clock.lap("filters")
        query = self.encode(request.query, request.mode)
        lexical, semantic = self.retrieve_encoded(query, request.mode, flt)
        clock.lap("retrieve")
        if request.mode is Mode.hybrid:
            hits = fuse(lexical, semantic, self.lexical_weight, self.normalisation)
            documents = group_by_document(hits, request.passages_per_doc, self.chunk_bonus)
        else:  # one list's raw scores: a document is its best passage
            documents = group_by_document(lexical if request.mode is Mode.lexical else semantic,
                                          request.passages_per_doc)
        context = request.context if request.context is not None and not request.context.empty else None
        boosts: dict[str, float] = {}
        if context is not None and documents:
            documents, boosts = rerank(documents, context, *self.context_weights)
        if request.order is Order.deadline:
            documents.sort(key=lambda d: deadline_key(d.payload, today))
        lexical_scores = best_scores(lexical)
        clock.lap("rank")
        facets = {}
        if request.facets:
            facets = count_facets((d.payload for d in documents), today, self.max_facet_values)
            facets.update(self._refined_facets(request, filters, query, today, lexical + semantic))
        clock.lap("facets")
        page = documents[request.offset:request.offset + request.limit]
        shown = self._show(page, request, boosts, clock) if request.passages else _unshown(page, boosts)
        return SearchPage(shown, len(documents), facets, interpreted, context is not None, lexical_scores, today,
                          clock.laps)

    # -- steps ----------------------------------------------------------------------------------------------------
    def retrieve_passages(self, query: str | Probe, mode: Mode, flt: models.Filter | None
                          ) -> tuple[list[Hit], list[Hit]]:
        """The best `candidates` passages of each list the mode uses (the floor of a search: query encoding and the
        engine queries), each carrying the candidate fields only."""
        return self.retrieve_encoded(self.encode(query, mode), mode, flt)

    def encode(self, query: str | Probe, mode: Mode) -> Probe:
        """The query's vectors, only those the mode uses (computed once per search, facet retrievals included)."""
        if isinstance(query, Probe):
            return query
        sparse = self.sparse_query(query) if mode is not Mode.semantic else SparseVec([], [])
        dense = self.embedder.embed_query(query) if mode is not Mode.lexical else []
        return Probe(sparse, dense, query)

    def retrieve_encoded(self, query: Probe, mode: Mode, flt: models.Filter | None) -> tuple[list[Hit], list[Hit]]:
        lexical: list[Hit] = []
        semantic: list[Hit] = []
        if mode is not Mode.semantic:
            lexical = self.backend.query(SPARSE_VECTOR, query.sparse, flt, self.candidates, CANDIDATE_FIELDS)
        if mode is not Mode.lexical:
            semantic = self.backend.query(DENSE_VECTOR, query.dense, flt, self.candidates, CANDIDATE_FIELDS)
            if mode is Mode.hybrid and self.exact_dense:
                semantic = with_exact_dense(semantic, lexical, self._cosines(query.dense, lexical, semantic))
        return lexical, semantic

    def _refined_facets(self, request: SearchRequest, filters: SearchFilters, query: Probe, today: dt.date,
                        candidates: list[Hit]) -> dict[str, list[dict[str, Any]]]:
        """Each facet with a filter of its own, counted over the result set of the same query without that filter:
        the documents the search would find with every other filter (their newest version, as grouping keeps).

        Reading a payload is what a retrieval costs (about 20 us a passage on Edge, the query itself ~0.2 ms), so
        these retrievals ask for ids only; the payloads come from the search's own candidates, else one fetch per
        facet for the passages not seen yet, shared by the next facets."""
        known = {h.id: h.payload for h in candidates}
        facets = {}
        for name in refined_facets(filters):
            others = _with_exclusion(without_own_filter(filters, name).to_qdrant(today), request.exclude_doc_id)
            ids = self._candidate_ids(query, request.mode, others)
            missing = [i for i in ids if i not in known]
            if missing:
                known.update((h.id, h.payload) for h in self.backend.retrieve(missing))
            payloads = (known[i] for i in ids if i in known)
            facets[name] = count_facets(newest_payloads(payloads), today, self.max_facet_values,
                                        names=(name,), selected={name: selected_values(filters, name)})[name]
        return facets

    def _candidate_ids(self, query: Probe, mode: Mode, flt: models.Filter | None) -> list[str]:
        """The ids of the passages `retrieve_encoded` would return (the exact-dense rescoring adds none)."""
        ids: list[str] = []
        if mode is not Mode.semantic:
            ids += [h.id for h in self.backend.query(SPARSE_VECTOR, query.sparse, flt, self.candidates, False)]
        if mode is not Mode.lexical:
            ids += [h.id for h in self.backend.query(DENSE_VECTOR, query.dense, flt, self.candidates, False)]
        return list(dict.fromkeys(ids))

    def _cosines(self, dense: list[float], lexical: list[Hit], semantic: list[Hit]) -> dict[str, float]:
        """Cosine of the query to the stored vectors of the lexical candidates the semantic list lacks."""
        known = {h.id for h in semantic}
        missing = [h.id for h in lexical if h.id not in known]
        stored = self.backend.retrieve(missing, with_dense=True, with_payload=False) if missing else []
        query = np.asarray(dense, dtype=np.float32)
        return {h.id: float(np.dot(query, np.asarray(h.dense, dtype=np.float32))) for h in stored if h.dense}

    def search_filter(self, request: SearchRequest, today: dt.date) -> models.Filter | None:
        """The engine filter a request runs with (statuses read in the question and the exclusion included)."""
        filters, _ = self._interpret(request)
        return _with_exclusion(filters.to_qdrant(today), request.exclude_doc_id)

    def sparse_query(self, query: str | Probe) -> SparseVec:
        if isinstance(query, Probe):
            return query.sparse
        return SparseVec(*self.encoder.encode_query(self.expander.expand(query)))

    def probe_text(self, text: str) -> Probe:
        return probe_from_text(self.encoder.analyzer, self.embedder, text)

    def probe_document(self, doc_id: str) -> Probe | None:
        with self.backend.reading():
            return probe_from_document(self.encoder.analyzer, self.embedder, self.backend, doc_id)

    def _interpret(self, request: SearchRequest) -> tuple[SearchFilters, dict[str, list[str]]]:
        filters = request.filters or SearchFilters()
        if not request.interpret or isinstance(request.query, Probe) or filters.bando_status:
            return filters, {}
        statuses = call_statuses(request.query)
        if not statuses:
            return filters, {}
        return (filters.model_copy(update={"calls_in_status": statuses}),
                {"bando_status": [s.value for s in statuses]})

    def _show(self, page: list[DocumentHit], request: SearchRequest, boosts: dict[str, float], clock: _StepClock
              ) -> list[FoundDocument]:
        full = {h.id: h.payload for h in self.backend.retrieve([c.id for d in page for c in d.chunks])}
        clock.lap("page_fetch")
        stems = self.highlighter.query_stems(request.text)
        shown = []
        for doc in page:
            chunks = [(c, full[c.id]) for c in doc.chunks if c.id in full]
            if not chunks:  # deleted between retrieval and this page
                continue
            passages = [ShownPassage(c.score, payload, self.highlighter.snippet(str(payload.get("text", "")), stems))
                        for c, payload in chunks]
            shown.append(FoundDocument(doc.doc_id, doc.score, chunks[0][1], passages, boosts.get(doc.doc_id)))
        clock.lap("highlight")
        return shown


class _StepClock:
    """Milliseconds per step of one search (`SearchPage.timings`): what a profile of the core reads."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.laps[step] = (now - self._last) * 1000.0
        self._last = now


def _unshown(page: list[DocumentHit], boosts: dict[str, float]) -> list[FoundDocument]:
    return [FoundDocument(d.doc_id, d.score, d.payload, [ShownPassage(c.score, c.payload) for c in d.chunks],
                          boosts.get(d.doc_id)) for d in page]


def _with_exclusion(flt: models.Filter | None, doc_id: str | None) -> models.Filter | None:
    if not doc_id:
        return flt
    return models.Filter(must=[flt] if flt else [], must_not=[
        models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))])


