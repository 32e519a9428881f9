"""SDG and theme tags with the real model: a report's one section is enough for its goal; tags say where they came
from and how sure they are."""

from __future__ import annotations

from typing import Any

import pytest
from haystack.dataclasses import ByteStream

from ingest.components.metadata_enricher import MetadataEnricher
from ingest.enrich.tagging import Tagger
from ingest.pipeline import EMBEDDED, build_embedding_pipeline
from kb.models.base import DenseEmbedder
from tests.report_pdf import render_report

pytestmark = pytest.mark.slow


def _enriched_report(embedder: DenseEmbedder) -> dict[str, Any]:
    """The three-page district-heating report (tests/report_pdf.py) as a bare upload: type and title only."""
    meta = {"doc_id": "valgrande", "doc_type": "progetto", "title": "Relazione sul teleriscaldamento di Valgrande"}
    stream = ByteStream(render_report(), meta=meta, mime_type="application/pdf")
    pipe = build_embedding_pipeline(embedder, ocr_enabled=False)
    chunks = pipe.run({"router": {"sources": [stream]}})[EMBEDDED]["documents"]
    assert len(chunks) > 3, "a long report: one section about the plant among filler"
    enricher = MetadataEnricher(embedder)
    return dict(enricher.run(chunks)["documents"][0].meta)


def test_wood_chip_district_heating_gets_sdg_7_with_provenance(real_embedder: DenseEmbedder) -> None:
    meta = _enriched_report(real_embedder)
    assert 7 in meta["sdg"], meta.get("provenance")  # was: no SDG at all
    assert "energia-cer" in meta["themes"]
    assert {"sdg", "themes"} <= set(meta["extracted_fields"])
    sdg = meta["provenance"]["sdg"]
    assert sdg["origine"] == "estratto" and 0.5 <= sdg["affidabilita"] <= 1.0
    assert "7 (0." in sdg["fonte"], "each tag with its own confidence"


def test_the_model_is_calibrated_and_a_short_text_gets_its_goal(real_embedder: DenseEmbedder) -> None:
    tagger = Tagger(real_embedder)
    tagger.warm_up()
    assert all(c.keyword_weight < 1 for c in tagger.calibration().values()), "the shipped calibration is for it"
    text = "Nuova casa della comunità nel comune: ambulatori, assistenza sanitaria territoriale e prevenzione."
    tags = tagger.tags(text, real_embedder.embed_passages([text]), "progetto")
    assert "3" in [t.label for t in tags["sdg"]]
    assert all(0.0 <= t.confidence <= 1.0 for family in tags.values() for t in family)
