"""The enrichment evaluation reads what ingestion would hand the enricher: the shared pipeline, the real settings."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from haystack import Pipeline

from evaluation import enrichment
from ingest.components.italian_chunker import ItalianChunker
from ingest.components.pdf_ocr import PdfOcrFallback
from ingest.enrich.gazetteer import load_gazetteer
from ingest.enrich.tagging import FAMILIES, Tagger
from kb.models.embedders import HashingEmbedder
from kb.settings import Settings
from tests.conftest import REPO

BANDO = REPO / "corpus" / "bandi" / "bando-bilancio-partecipativo-sostenibile-anci-2027.md"


def test_collect_runs_the_ingestion_steps_with_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "bandi"
    folder.mkdir()
    shutil.copy(BANDO, folder)
    built: list[Pipeline] = []
    real = enrichment.embedding_pipeline_for

    def spy(*args: Any, **kwargs: Any) -> Pipeline:
        built.append(real(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(enrichment, "embedding_pipeline_for", spy)
    embedder = HashingEmbedder(dimension=32)
    tagger = Tagger(embedder)
    tagger.warm_up()
    settings = Settings(_env_file=None, chunk_max_tokens=120, chunk_overlap_tokens=20,  # type: ignore[call-arg]
                        ocr_enabled=False, ocr_language="eng")

    [sample] = enrichment.collect([folder], embedder, tagger, load_gazetteer(), settings)

    [pipe] = built
    chunker, ocr = pipe.get_component("chunker"), pipe.get_component("ocr")
    assert isinstance(chunker, ItalianChunker) and isinstance(ocr, PdfOcrFallback)
    assert (chunker.requested_max, chunker.overlap_tokens) == (120, 20)
    assert (ocr.enabled, ocr.language) == (False, "eng")
    assert {"sparse", "dense"} <= set(pipe.graph.nodes) and "enricher" not in pipe.graph.nodes
    assert (sample.doc_id, sample.doc_type) == ("bando-bilancio-partecipativo-sostenibile-anci-2027", "bando")
    assert sample.declared["deadline"] == "2027-01-15" and sample.declared["sdg"] == [11, 13, 16]
    assert set(sample.scores) == set(FAMILIES)
    assert sample.extracted["deadline"][0] == "2027-01-15", "read from the converted text, front matter hidden"
