"""`kb reembed`: the vectors of an existing index recomputed from the chunk texts it already stores (title, section
and passage, exactly what ingestion encoded): no file is read again, no page OCR'd again. Dense vectors when the
configured model differs from the index's, sparse (BM25) vectors when the analyzer version does, both after a run
for another target was cut short. Batch by batch, in the index's own id order; after each batch the position is
saved in the index's model record, so an interrupted run resumes where it stopped. Until the last batch the index
is refused to every model (a half re-embedded index would mix two vector spaces); at the end the record names the
new model and analyzer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ingest.components.italian_chunker import index_text
from kb.models.base import DenseEmbedder
from kb.storage.backends.base import SparseVec
from kb.storage.model_record import (
    ANALYZER_KEY,
    DIMENSION_KEY,
    MODEL_KEY,
    REEMBED_KEY,
    ModelMismatchError,
    analyzer_version,
)
from kb.text.analysis import ANALYZER_VERSION, Bm25SparseEncoder

Progress = Callable[[int, int], None]  # (chunks done so far, chunks in the index)


@dataclass
class ReembedReport:
    source: str | None  # the model the vectors came from
    target: str
    chunks: int  # re-embedded by this run
    resumed: bool  # a previous run had stopped half-way
    up_to_date: bool  # nothing to do: the index already holds this model's and this analyzer's vectors
    dense: bool = True  # dense vectors recomputed (another model)
    sparse: bool = False  # sparse vectors recomputed (another analyzer version)


def reembed(backend: Any, embedder: DenseEmbedder, *, batch_size: int = 256, progress: Progress | None = None,
            encoder: Bm25SparseEncoder | None = None) -> ReembedReport:
    """Bring every chunk of `backend` (opened without the model check) to `embedder` and today's analyzer
    (`encoder`: the one ingestion uses)."""
    if batch_size < 1:
        raise ValueError("batch_size deve essere >= 1")
    record = backend.model_record()
    state = record.get(REEMBED_KEY) if isinstance(record.get(REEMBED_KEY), dict) else None
    target = embedder.name
    resumed = state is not None and state.get("target") == target and state.get(ANALYZER_KEY) == ANALYZER_VERSION
    if state is not None and resumed:
        dense, sparse = bool(state.get("dense", True)), bool(state.get("sparse", False))
    elif state is not None:  # cut short on the way to another target: nothing half-made can be trusted
        dense = sparse = True
    else:
        dense, sparse = record.get(MODEL_KEY) != target, analyzer_version(record) != ANALYZER_VERSION
        if not (dense or sparse):
            return ReembedReport(target, target, 0, False, True, False, False)
    if dense:
        embedder.warm_up()
        stored_dim = record.get(DIMENSION_KEY)
        if stored_dim is not None and int(stored_dim) != embedder.dimension:
            raise ModelMismatchError(
                f"Il modello {target!r} produce vettori di {embedder.dimension} dimensioni, l'indice ne ha "
                f"{stored_dim}: non si possono ricalcolare sul posto. Indicizzare di nuovo in un nuovo percorso "
                "(KB_INDEX_PATH o KB_COLLECTION).")
    if not resumed:
        state = {"target": target, "source": record.get(MODEL_KEY), ANALYZER_KEY: ANALYZER_VERSION, "dense": dense,
                 "sparse": sparse, "offset": None, "done": 0}
    assert state is not None
    encoder = encoder or Bm25SparseEncoder()
    backend.save_model_record(record | {REEMBED_KEY: state})
    total, done, offset = backend.count(), int(state.get("done", 0)), state.get("offset")
    done_before = done
    if progress:
        progress(done, total)
    while True:
        hits, offset = backend.scroll(None, limit=batch_size, offset=offset)
        texts = [index_text(str(h.payload.get("title") or ""), h.payload.get("section"),
                            str(h.payload.get("text") or "")) for h in hits]
        vectors = embedder.embed_passages(texts) if dense else []
        backend.set_vectors(
            dense={h.id: v for h, v in zip(hits, vectors, strict=True)} if dense else None,
            sparse={h.id: SparseVec(*encoder.encode_document(t)) for h, t in zip(hits, texts, strict=True)}
            if sparse else None)
        backend.flush()
        done += len(hits)
        state = state | {"offset": offset, "done": done}
        backend.save_model_record(record | {REEMBED_KEY: state})
        if progress:
            progress(done, total)
        if offset is None:
            break
    finished = {k: v for k, v in record.items() if k != REEMBED_KEY}
    dimension = embedder.dimension if dense else record.get(DIMENSION_KEY)
    backend.save_model_record(finished | {MODEL_KEY: target, DIMENSION_KEY: dimension, ANALYZER_KEY: ANALYZER_VERSION})
    backend.optimize()
    return ReembedReport(state.get("source"), target, done - done_before, resumed, False, dense, sparse)
