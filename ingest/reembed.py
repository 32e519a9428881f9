"""`kb reembed`: dense vectors of an existing index recomputed with the configured model, from the chunk texts the
index already stores (title, section and passage, exactly what ingestion embedded): no file is read again, no page
OCR'd again. Batch by batch, in the index's own id order; after each batch the position is saved in the index's
model record, so an interrupted run resumes where it stopped. Until the last batch the index is refused to every
model (a half re-embedded index would mix two vector spaces); at the end the record names the new model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ingest.components.italian_chunker import index_text
from kb.models.base import DenseEmbedder
from kb.storage.model_record import DIMENSION_KEY, MODEL_KEY, REEMBED_KEY, ModelMismatchError

Progress = Callable[[int, int], None]  # (chunks done so far, chunks in the index)


@dataclass
class ReembedReport:
    source: str | None  # the model the vectors came from
    target: str
    chunks: int  # re-embedded by this run
    resumed: bool  # a previous run had stopped half-way
    up_to_date: bool  # nothing to do: the index already holds this model's vectors


def reembed(backend: Any, embedder: DenseEmbedder, *, batch_size: int = 256, progress: Progress | None = None
            ) -> ReembedReport:
    """Re-embed every chunk of `backend` (opened without the model check) with `embedder`."""
    if batch_size < 1:
        raise ValueError("batch_size deve essere >= 1")
    record = backend.model_record()
    state = record.get(REEMBED_KEY) if isinstance(record.get(REEMBED_KEY), dict) else None
    target = embedder.name
    if state is None and record.get(MODEL_KEY) == target:
        return ReembedReport(target, target, 0, False, True)
    embedder.warm_up()
    stored_dim = record.get(DIMENSION_KEY)
    if stored_dim is not None and int(stored_dim) != embedder.dimension:
        raise ModelMismatchError(
            f"Il modello {target!r} produce vettori di {embedder.dimension} dimensioni, l'indice ne ha {stored_dim}: "
            "non si possono ricalcolare sul posto. Indicizzare di nuovo in un nuovo percorso (KB_INDEX_PATH o "
            "KB_COLLECTION).")
    resumed = state is not None and state.get("target") == target
    if not resumed:
        state = {"target": target, "source": record.get(MODEL_KEY), "offset": None, "done": 0}
    assert state is not None
    backend.save_model_record(record | {REEMBED_KEY: state})
    total, done, offset = backend.count(), int(state.get("done", 0)), state.get("offset")
    done_before = done
    if progress:
        progress(done, total)
    while True:
        hits, offset = backend.scroll(None, limit=batch_size, offset=offset)
        texts = [index_text(str(h.payload.get("title") or ""), h.payload.get("section"),
                            str(h.payload.get("text") or "")) for h in hits]
        vectors = embedder.embed_passages(texts)
        backend.set_dense({h.id: v for h, v in zip(hits, vectors, strict=True)})
        backend.flush()
        done += len(hits)
        state = state | {"offset": offset, "done": done}
        backend.save_model_record(record | {REEMBED_KEY: state})
        if progress:
            progress(done, total)
        if offset is None:
            break
    finished = {k: v for k, v in record.items() if k != REEMBED_KEY}
    backend.save_model_record(finished | {MODEL_KEY: target, DIMENSION_KEY: embedder.dimension})
    backend.optimize()
    return ReembedReport(state.get("source"), target, done - done_before, resumed, False)
