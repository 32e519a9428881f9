"""Engine latency per retrieval mode, with and without filters, on an open index (Edge or qdrant-client).

Only the engine is timed: the 30 questions of `bench_search.QUERIES` are encoded once beforehand (dense embedding
of the query; synonym expansion + BM25 encoding for the sparse side), then each measured call is what the API's
retriever sends to the index for one query, with `candidates` hits and the candidate payload fields:

* lexical: one sparse query;  semantic: one dense (HNSW) query;  hybrid: both, plus the score fusion.

"filtered" gives every question a realistic filter: its own when it has one (14 of 30), otherwise one of those 14
in rotation (document type, regione, open calls); "unfiltered" sends none. The same call works on qdrant-client's
local mode (`ServerBackend(":memory:")`), the naive embedded choice, so the two engines get identical work.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from bench_common import QUERIES, percentiles, tail
from qdrant_client import models

from kb.models.base import DenseEmbedder
from kb.search.engine import CANDIDATE_FIELDS
from kb.search.fusion import fuse
from kb.storage.backends.base import SparseVec
from kb.storage.filters import SearchFilters
from kb.storage.schema import DENSE_VECTOR, SPARSE_VECTOR
from kb.text.analysis import Bm25SparseEncoder
from kb.text.synonyms import SynonymExpander

MODES = ("lexical", "semantic", "hybrid")


@dataclass(frozen=True)
class EncodedQuery:
    text: str
    dense: list[float]
    sparse: SparseVec
    flt: models.Filter | None  # the "filtered" case's filter


def encode_queries(embedder: DenseEmbedder, synonyms_path: Any, today: dt.date) -> list[EncodedQuery]:
    """The benchmark questions, encoded as the search API encodes them, each with its filter."""
    encoder, expander = Bm25SparseEncoder(), SynonymExpander(synonyms_path)
    rotation = [f for _, f in QUERIES if f]
    encoded = []
    for i, (text, own) in enumerate(QUERIES):
        params = own or rotation[i % len(rotation)]
        indices, values = encoder.encode_query(expander.expand(text))
        encoded.append(EncodedQuery(text, embedder.embed_query(text), SparseVec(indices, values),
                                    SearchFilters.model_validate(params).to_qdrant(today)))
    return encoded


def _call(backend: Any, mode: str, query: EncodedQuery, flt: models.Filter | None, limit: int,
          lexical_weight: float) -> int:
    if mode == "lexical":
        return len(backend.query(SPARSE_VECTOR, query.sparse, flt, limit, CANDIDATE_FIELDS))
    if mode == "semantic":
        return len(backend.query(DENSE_VECTOR, query.dense, flt, limit, CANDIDATE_FIELDS))
    lexical = backend.query(SPARSE_VECTOR, query.sparse, flt, limit, CANDIDATE_FIELDS)
    semantic = backend.query(DENSE_VECTOR, query.dense, flt, limit, CANDIDATE_FIELDS)
    return len(fuse(lexical, semantic, lexical_weight))


def engine_latency(backend: Any, queries: list[EncodedQuery], *, rounds: int, limit: int,
                   lexical_weight: float, warmup: bool = True) -> dict[str, Any]:
    """{mode: {unfiltered|filtered: p50/p95/tail in ms, hits}} over `rounds` passes of the questions."""
    gc.collect()
    gc.freeze()  # the caller's heap (an index build) must not make the collector's passes part of a query
    result: dict[str, Any] = {}
    for mode in MODES:
        result[mode] = {}
        for case in ("unfiltered", "filtered"):
            def once(q: EncodedQuery, mode: str = mode, case: str = case) -> tuple[float, int]:
                t0 = time.perf_counter()
                hits = _call(backend, mode, q, q.flt if case == "filtered" else None, limit, lexical_weight)
                return time.perf_counter() - t0, hits

            if warmup:
                for q in queries:
                    once(q)
            samples, hits = [], []
            for _ in range(rounds):
                for q in queries:
                    elapsed, n = once(q)
                    samples.append(elapsed)
                    hits.append(n)
            p50, p95 = percentiles(samples)
            result[mode][case] = {"p50_ms": p50, "p95_ms": p95, "samples": len(samples), "tail_ms": tail(samples),
                                  "hits_median": int(np.median(hits))}
    gc.unfreeze()
    return result


def growth(engine_by_size: dict[int, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """p50 at the largest size divided by p50 at the smallest, per mode and case (goal: <= 3)."""
    sizes = sorted(engine_by_size)
    small, large = engine_by_size[sizes[0]], engine_by_size[sizes[-1]]
    return {mode: {case: round(large[mode][case]["p50_ms"] / small[mode][case]["p50_ms"], 2)
                   for case in ("unfiltered", "filtered")} for mode in MODES}
