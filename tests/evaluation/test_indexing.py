"""A BEIR corpus through the product's ingestion: reversible doc ids, metadata passed through, default doc_type."""

from __future__ import annotations

from pathlib import Path

from qdrant_client import models

from evaluation.beir import load_beir
from evaluation.indexing import DOC_ID_RE, DocIdMap, index_corpus, markdown_file
from ingest.metadata import split_front_matter
from kb.models.embedders import HashingEmbedder
from kb.settings import Settings
from tests.evaluation.test_beir import MINI


def test_doc_id_map_is_valid_unique_and_reversible() -> None:
    beir_ids = ["p0", "MED-10", "med-10", "a/b c", "Città:1", "_x", "", "x" * 200, "a.b"]
    ids = DocIdMap(beir_ids)
    assert ids.to_doc["p0"] == "p0" and ids.to_doc["a.b"] == "a.b" and ids.to_doc["med-10"] == "med-10"
    assert all(DOC_ID_RE.match(d) for d in ids.to_doc.values())
    assert len(set(ids.to_doc.values())) == len(beir_ids)
    assert {ids.to_beir[d] for d in ids.to_doc.values()} == set(beir_ids)
    assert ids.to_doc["MED-10"] != "med-10" and ids.changed == 6


def test_markdown_keeps_schema_metadata_only() -> None:
    doc = load_beir(MINI).corpus["CER:03"]
    front, body = split_front_matter(markdown_file(doc, "cer-03").encode(), "x")
    assert front["doc_id"] == "cer-03" and front["title"] == doc.title
    assert front["comune"] == "Valfonda" and front["doc_type"] == "progetto"
    assert "nota_interna" not in front, "fields the schema does not know are dropped"
    assert body.decode().strip() == doc.text


def test_index_fixture_with_product_ingestion(tmp_path: Path) -> None:
    data = load_beir(MINI)
    indexed = index_corpus(data, HashingEmbedder(), Settings(), tmp_path, "buona_pratica", quiet=True)
    try:
        assert indexed.report.summary() == {"indexed": 12, "unchanged": 0, "duplicate": 0, "skipped": 0}
        facets = dict(indexed.backend.facet("doc_type", None, 10))
        assert set(facets) == {"buona_pratica", "progetto", "normativa"}
        doc_id = indexed.ids.to_doc["CER:03"]
        hits, _ = indexed.backend.scroll(models.Filter(must=[models.FieldCondition(
            key="doc_id", match=models.MatchValue(value=doc_id))]), limit=1)
        assert hits[0].payload["comune"] == "Valfonda" and hits[0].payload["regione"] == "Piemonte"
        assert hits[0].payload["title"] == "Comunità energetica rinnovabile in montagna"
    finally:
        indexed.backend.close()
