"""Enrichment inside the ingestion pipeline, on a real Edge shard (fake embedder: plumbing, not tag quality)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from qdrant_client import models

from ingest.service import IngestService
from kb.models.embedders import HashingEmbedder
from kb.storage.backends.edge import EdgeBackend

BANDO = """---
doc_type: bando
---
# Contributi per le comunità energetiche nei piccoli comuni lombardi

Il bando della Regione Lombardia sostiene i comuni lombardi fino a 5.000 abitanti che promuovono una comunità
energetica rinnovabile ai sensi del D.Lgs. 199/2021 e della L.R. 2/2022.

## Dotazione
La dotazione complessiva è di € 2.500.000; il contributo massimo è di € 50.000 per comune.

## Scadenze
Le domande si presentano dalle ore 10:00 del 15 gennaio 2027 ed entro le ore 12:00 del 30 aprile 2027.
"""
PRACTICE = """---
doc_type: buona_pratica
sdg: [13]
comune: Borgo Dichiarato
---
# La CER di Livigno

Il Comune di Livigno (SO) ha costituito una comunità energetica rinnovabile con l'impianto fotovoltaico del
municipio e l'autoconsumo delle famiglie, grazie all'energia condivisa incentivata dal GSE.
"""


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[EdgeBackend]:
    b = EdgeBackend(tmp_path / "index", "hashing")
    b.ensure_collection(HashingEmbedder().dimension)
    yield b
    b.close()


def _payload(backend: EdgeBackend, doc_id: str) -> dict[str, Any]:
    hits, _ = backend.scroll(models.Filter(must=[models.FieldCondition(
        key="doc_id", match=models.MatchValue(value=doc_id))]), limit=100)
    assert hits
    first = hits[0].payload
    assert all({k: h.payload.get(k) for k in ("provenance", "sdg", "deadline")}
               == {k: first.get(k) for k in ("provenance", "sdg", "deadline")} for h in hits)  # same on every chunk
    return first


def _ingest(backend: EdgeBackend, tmp_path: Path, **options: Any) -> None:
    (tmp_path / "bando-cer.md").write_text(BANDO, encoding="utf-8")
    (tmp_path / "cer-livigno.md").write_text(PRACTICE, encoding="utf-8")
    service = IngestService(backend, HashingEmbedder(), **options)
    report = service.ingest_paths([tmp_path / "bando-cer.md", tmp_path / "cer-livigno.md"])
    assert report.summary()["indexed"] == 2, report.outcomes


def test_empty_fields_are_filled_and_marked_as_extracted(backend: EdgeBackend, tmp_path: Path) -> None:
    _ingest(backend, tmp_path)
    bando = _payload(backend, "bando-cer")
    assert (bando["opening_date"], bando["deadline"], bando["budget"], bando["population_cap"]) == (
        "2027-01-15", "2027-04-30", 2_500_000, 5000)
    assert bando["regione"] == "Lombardia" and bando["year"] == 2027
    assert {"opening_date", "deadline", "budget", "population_cap", "regione", "year"} <= set(
        bando["extracted_fields"])
    deadline = bando["provenance"]["deadline"]
    assert deadline["origine"] == "estratto" and 0.5 <= deadline["affidabilita"] <= 1
    assert "30 aprile 2027" in deadline["fonte"]
    assert bando["cited_acts"] == ["dlgs:199/2021", "lr:2/2022"]
    assert bando["cited_act_labels"] == ["D.Lgs. 199/2021", "L.R. 2/2022"]


def test_declared_values_are_never_replaced(backend: EdgeBackend, tmp_path: Path) -> None:
    _ingest(backend, tmp_path)
    practice = _payload(backend, "cer-livigno")
    assert practice["sdg"] == [13] and practice["comune"] == "Borgo Dichiarato"
    assert practice["provenance"]["sdg"] == {"origine": "dichiarato", "affidabilita": 1.0}
    assert practice["provenance"]["comune"]["origine"] == "dichiarato"
    assert "sdg" not in practice["extracted_fields"] and "comune" not in practice["extracted_fields"]
    # the province and the population the text gives for Livigno fill what was left empty
    assert practice["provincia"] == "Sondrio" and practice["regione"] == "Lombardia"
    assert "energia-cer" in practice["themes"] and "themes" in practice["extracted_fields"]


def test_extracted_values_are_filterable_like_declared_ones(backend: EdgeBackend, tmp_path: Path) -> None:
    _ingest(backend, tmp_path)
    extracted = models.Filter(must=[models.FieldCondition(key="extracted_fields",
                                                          match=models.MatchValue(value="deadline"))])
    assert {h.payload["doc_id"] for h in backend.scroll(extracted, limit=100)[0]} == {"bando-cer"}
    cap = models.Filter(must=[models.FieldCondition(key="population_cap", range=models.Range(gte=4000))])
    assert {h.payload["doc_id"] for h in backend.scroll(cap, limit=100)[0]} == {"bando-cer"}


def test_enrichment_can_be_switched_off(backend: EdgeBackend, tmp_path: Path) -> None:
    _ingest(backend, tmp_path, enrich=False)
    bando = _payload(backend, "bando-cer")
    assert bando.get("deadline") is None and bando.get("extracted_fields") is None


def test_a_missing_gazetteer_file_is_refused_at_once(backend: EdgeBackend, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="elenco dei comuni non trovato"):
        IngestService(backend, HashingEmbedder(), gazetteer_path=tmp_path / "assente.csv")
