"""The benchmark's chunk generator: exact sizes, new texts, valid payloads, deterministic with or without workers."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from kb.storage.backends.base import SparseVec
from kb.storage.backends.edge import EdgeBackend
from kb.storage.filters import SearchFilters

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from synthetic import ChunkGenerator, SourceChunk, build_index

TEXTS = {
    "cer-borgo": ["Il Comune di Borgo Alto ha costituito una comunità energetica rinnovabile con 40 famiglie. "
                  "L'impianto fotovoltaico da 200 kW è sul tetto della scuola.",
                  "I soci condividono l'energia prodotta. Il Comune di Borgo Alto ha ottenuto il contributo PNRR."],
    "pedibus-valle": ["Il pedibus accompagna ogni mattina 120 bambini a scuola. Il Comune di Valle Verde ha "
                      "coinvolto i genitori volontari.", "Le linee sono tre; la mobilità casa-scuola è migliorata."],
}
PLACES = {"cer-borgo": ("Borgo Alto", "Sondrio", "Lombardia", 2300, "fino a 5.000"),
          "pedibus-valle": ("Valle Verde", "Cuneo", "Piemonte", 7100, "5.001-20.000")}


def _source() -> list[SourceChunk]:
    rng = np.random.default_rng(1)
    chunks = []
    for doc_id, texts in TEXTS.items():
        comune, provincia, regione, popolazione, band = PLACES[doc_id]
        for k, text in enumerate(texts):
            vector = rng.normal(size=16).astype(np.float32)
            chunks.append(SourceChunk(
                {"doc_id": doc_id, "doc_type": "buona_pratica", "title": f"Esperienza di {comune}",
                 "section": "Sintesi", "text": text, "chunk_index": k, "comune": comune, "provincia": provincia,
                 "regione": regione, "popolazione": popolazione, "population_band": band, "year": 2020 + k,
                 "sdg": [7, 11]},
                vector / np.linalg.norm(vector), SparseVec([1], [1.0])))
    return chunks


def test_sizes_are_exact_and_texts_are_new() -> None:
    generator = ChunkGenerator(_source(), seed=3)
    points = [p for batch in generator.batches(237, batch_size=50) for p in batch]
    assert len(points) == 237 and len({p.id for p in points}) == 237
    originals = {t for texts in TEXTS.values() for t in texts}
    # a one-sentence source chunk comes out unchanged when none of its words is swapped: rare (0.1% of a base
    # generated from the corpus; here 1 of the 4 chunks is one short sentence)
    assert sum(p.payload["text"] in originals for p in points) <= len(points) // 50
    for p in points:
        assert abs(np.linalg.norm(p.dense) - 1.0) < 1e-4 and p.sparse.indices
        # a varied place replaces the template's comune in title and text, and the four place fields agree
        comune = p.payload["comune"]
        assert (comune, p.payload["provincia"], p.payload["regione"]) in {v[:3] for v in PLACES.values()}
        assert comune in p.payload["title"]


def test_same_output_with_forked_workers() -> None:
    generator = ChunkGenerator(_source(), seed=5)
    one = [(p.id, p.payload["text"], p.dense) for b in generator.batches(60, 16) for p in b]
    two = [(p.id, p.payload["text"], p.dense) for b in generator.batches(60, 16, workers=2) for p in b]
    assert one == two


@pytest.mark.parametrize("size", [25])
def test_generated_base_is_searchable_and_filterable(tmp_path: Path, size: int) -> None:
    backend = EdgeBackend(tmp_path / "index", "test")
    timings = build_index(backend, ChunkGenerator(_source()), size, 16, batch_size=8)
    try:
        assert backend.count() == size and timings["total_s"] >= 0
        lombardia = backend.count(SearchFilters.model_validate({"regione": ["Lombardia"]}).to_qdrant())
        assert 0 < lombardia < size
    finally:
        backend.close()
