"""Generator of realistic Italian chunks for the benchmarks, drawn from the sample corpus's real chunks.

Why not copies: a base of copies has identical BM25 posting lists and near-identical vectors, so the engine's work
(posting-list lengths, score spread, HNSW neighbourhoods) would not grow as on a real regional base. Each synthetic
chunk is new text instead:

* a synthetic document takes a real document of the corpus as its template (type, title, sections, metadata) and
  a partner document of the same type; the document's place and year are varied among the corpus's values (a
  practice of another comune, another year), and the template comune's name is replaced in title and text;
* each chunk is sentences sampled from the template's chunks (about 2/3) and the partner's (about 1/3), in a new
  order, cut to the length of one of the template's real chunks (so lengths follow the pipeline's: median ~65
  words); about 4% of the words are swapped for words drawn from the corpus vocabulary by frequency, and numbers
  are redrawn, so texts and posting lists differ as real documents do (a one-sentence chunk with no word swapped
  comes out as it was: 0.1% of a base);
* its dense vector is the mix of its source chunks' real vectors (weighted by the words each gave) plus Gaussian
  noise, re-normalised: near the corpus's real topic clusters without encoding millions of texts ("precomputed
  vectors", as the issue allows for the engine part); its sparse vector is what ingestion computes for its text.

Generation is deterministic (seed, size, position) and streams in batches, so 1M chunks never sit in memory.
"""

from __future__ import annotations

import multiprocessing
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.components.italian_chunker import index_text
from ingest.sentences import split_sentences
from kb.storage.backends.base import ChunkPoint, SparseVec
from kb.text.analysis import Bm25SparseEncoder

BENCH_NAMESPACE = uuid.UUID("0b7d5c52-3f2e-4d0a-9a4c-5e1f6b8c2d31")
LOCATION_FIELDS = ("comune", "provincia", "regione", "popolazione", "population_band")
WORD = re.compile(r"[A-Za-zÀ-ÿ']{4,}")
NUMBER = re.compile(r"\b\d[\d.,]*\b")


@dataclass
class SourceChunk:
    """A real chunk of the corpus: payload (with its text), dense vector, BM25 sparse vector."""

    payload: dict[str, Any]
    dense: np.ndarray
    sparse: SparseVec


@dataclass
class _Doc:
    doc_id: str
    chunks: list[int]  # positions in the source list, in reading order
    doc_type: str


class ChunkGenerator:
    """New chunks from the corpus's sentences and vocabulary; see the module docstring."""

    def __init__(self, source: list[SourceChunk], *, seed: int = 0, noise: float = 0.02,
                 swap_rate: float = 0.04) -> None:
        if not source:
            raise ValueError("no source chunks")
        self.source, self.seed, self.noise, self.swap_rate = source, seed, noise, swap_rate
        self.sentences = [split_sentences(str(c.payload.get("text") or "")) for c in source]
        self.lengths = [len(str(c.payload.get("text") or "").split()) for c in source]
        docs: dict[str, _Doc] = {}
        for i, chunk in enumerate(source):
            p = chunk.payload
            doc = docs.setdefault(str(p.get("doc_id")), _Doc(str(p.get("doc_id")), [], str(p.get("doc_type"))))
            doc.chunks.append(i)
        self.docs = list(docs.values())
        self.by_type: dict[str, list[int]] = {}
        for d, doc in enumerate(self.docs):
            self.by_type.setdefault(doc.doc_type, []).append(d)
        counts = Counter(w.lower() for c in source for w in WORD.findall(str(c.payload.get("text") or "")))
        self.vocabulary = list(counts)
        weights = np.array([counts[w] for w in self.vocabulary], dtype=np.float64)
        self.vocab_p = weights / weights.sum()
        locations: dict[tuple[Any, ...], None] = {}
        for c in source:
            if c.payload.get("comune") and c.payload.get("regione"):
                locations[tuple(c.payload.get(f) for f in LOCATION_FIELDS)] = None
        self.locations = list(locations)
        self.years = sorted({int(c.payload["year"]) for c in source if isinstance(c.payload.get("year"), int)})
        self.dense = np.stack([c.dense for c in source]).astype(np.float32)
        self.encoder = Bm25SparseEncoder()

    # -- one synthetic document --------------------------------------------------------------------------------
    def _document_meta(self, number: int, rng: np.random.Generator) -> tuple[_Doc, _Doc, dict[str, Any], str]:
        template = self.docs[number % len(self.docs)]
        same_type = self.by_type[template.doc_type]
        partner = self.docs[same_type[int(rng.integers(len(same_type)))]]
        base = self.source[template.chunks[0]].payload
        varied: dict[str, Any] = {"doc_id": f"{template.doc_id}-s{number}"}
        old_comune = str(base.get("comune") or "")
        if old_comune and self.locations:
            varied.update(zip(LOCATION_FIELDS, self.locations[int(rng.integers(len(self.locations)))], strict=True))
        if base.get("doc_type") in ("buona_pratica", "progetto") and base.get("year") and self.years:
            varied["year"] = self.years[int(rng.integers(len(self.years)))]
        return template, partner, varied, old_comune

    def _text(self, template: _Doc, partner: _Doc, rng: np.random.Generator) -> tuple[str, dict[int, int], int]:
        # as long as one of the template's real chunks (the pipeline's lengths: median ~65 words), cut to it
        target = max(12, self.lengths[template.chunks[int(rng.integers(len(template.chunks)))]])
        words, parts, contributed = 0, [], Counter[int]()
        while words < target:
            doc = template if rng.random() < 0.67 else partner
            pos = doc.chunks[int(rng.integers(len(doc.chunks)))]
            if not self.sentences[pos]:
                continue
            sentence = self.sentences[pos][int(rng.integers(len(self.sentences[pos])))]
            n = len(sentence.split())
            parts.append(sentence)
            contributed[pos] += n
            words += n
        tokens = " ".join(parts).split()[:target]
        swaps = rng.random(len(tokens)) < self.swap_rate
        if swaps.any():
            drawn = rng.choice(len(self.vocabulary), size=int(swaps.sum()), p=self.vocab_p)
            for k, w in zip(np.flatnonzero(swaps), drawn, strict=True):
                tokens[k] = self.vocabulary[w]
        text = NUMBER.sub(lambda _: str(int(rng.integers(2, 5000))), " ".join(tokens))
        section_from = max(contributed, key=lambda p: contributed[p])
        return text, dict(contributed), section_from

    def _vector(self, contributed: dict[int, int], rng: np.random.Generator) -> np.ndarray:
        positions = np.fromiter(contributed, dtype=np.int64)
        weights = np.fromiter(contributed.values(), dtype=np.float32)
        vector = (self.dense[positions] * weights[:, None]).sum(axis=0) / weights.sum()
        vector += rng.normal(0.0, self.noise, size=vector.shape).astype(np.float32)
        return vector / np.linalg.norm(vector)

    def document(self, number: int, size_tag: str, first_position: int) -> list[ChunkPoint]:
        """Synthetic document `number`: its chunks, with point ids from their positions in the base."""
        rng = np.random.default_rng([self.seed, number])
        template, partner, varied, old_comune = self._document_meta(number, rng)
        new_comune = str(varied.get("comune") or old_comune)
        points = []
        for k in range(len(template.chunks)):
            text, contributed, section_from = self._text(template, partner, rng)
            base = self.source[template.chunks[k]].payload
            payload = dict(base, **varied, chunk_index=k, text=text,
                           section=self.source[section_from].payload.get("section"))
            if old_comune and new_comune != old_comune:
                payload["title"] = str(base.get("title") or "").replace(old_comune, new_comune)
                payload["text"] = text.replace(old_comune, new_comune)
            indices, values = self.encoder.encode_document(
                index_text(str(payload.get("title") or ""), payload.get("section"), payload["text"]))
            point_id = str(uuid.uuid5(BENCH_NAMESPACE, f"{size_tag}:{first_position + k}"))
            points.append(ChunkPoint(point_id, payload, self._vector(contributed, rng).tolist(),
                                     SparseVec(indices, values)))
        return points

    def _sizes(self, size: int) -> list[tuple[int, int]]:
        """(document number, first position) of the documents that make up `size` chunks."""
        plan, produced, number = [], 0, 0
        while produced < size:
            plan.append((number, produced))
            produced += len(self.docs[number % len(self.docs)].chunks)
            number += 1
        return plan

    def _document_at(self, task: tuple[int, int, int]) -> list[ChunkPoint]:
        number, first, size = task
        return self.document(number, str(size), first)[: size - first]

    def batches(self, size: int, batch_size: int = 1000, workers: int = 1) -> Iterator[list[ChunkPoint]]:
        """`size` chunks in batches of about `batch_size` (whole documents; the last one is cut at `size`).

        With `workers` > 1 documents are generated in forked processes (BM25 encoding of the new texts dominates)
        while the caller writes the previous batch; the result is the same as with one.
        """
        tasks = [(number, first, size) for number, first in self._sizes(size)]
        batch: list[ChunkPoint] = []
        for points in self._documents(tasks, workers):
            batch.extend(points)
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _documents(self, tasks: list[tuple[int, int, int]], workers: int) -> Iterator[list[ChunkPoint]]:
        """Documents in order; with workers, the next window is generated while the caller writes this one.

        Bounded: at most two windows of documents exist at once (an unbounded `imap` let the workers run ahead of
        the writer and held the whole 1M-chunk base in memory, 26 GB).
        """
        if workers <= 1:
            yield from map(self._document_at, tasks)
            return
        global _FORKED  # forked workers inherit it: the generator (its stemmer) cannot be pickled
        _FORKED = self
        window = workers * 16
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pending = pool.map_async(_forked_document, tasks[:window], chunksize=4)
            for start in range(0, len(tasks), window):
                current = pending.get()
                if start + window < len(tasks):
                    pending = pool.map_async(_forked_document, tasks[start + window:start + 2 * window], chunksize=4)
                yield from current


_FORKED: ChunkGenerator | None = None


def _forked_document(task: tuple[int, int, int]) -> list[ChunkPoint]:
    assert _FORKED is not None
    return _FORKED._document_at(task)


def build_index(backend: Any, generator: ChunkGenerator, size: int, dim: int, *,
                batch_size: int = 1000, workers: int = 1) -> dict[str, float]:
    """Fill `backend` (Edge or qdrant-client) with `size` generated chunks, then flush and optimise (HNSW built)."""
    backend.ensure_collection(dim)
    timings = {"generate_s": 0.0, "upsert_s": 0.0}
    t0 = time.perf_counter()
    for batch in generator.batches(size, batch_size, workers):
        t1 = time.perf_counter()
        timings["generate_s"] += t1 - t0
        backend.upsert(batch)
        t0 = time.perf_counter()
        timings["upsert_s"] += t0 - t1
    t0 = time.perf_counter()
    backend.flush()
    timings["flush_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    backend.optimize()
    timings["optimize_s"] = time.perf_counter() - t0
    timings["total_s"] = sum(timings.values())
    return {k: round(v, 2) for k, v in timings.items()}


def disk_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
