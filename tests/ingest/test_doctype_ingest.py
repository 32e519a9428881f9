"""Files without a declared type: typed from their text with provenance, or refused with the reason; a declared
type is never replaced. The fake embedder makes this the cues-only path (the model's path: test_doctype_formats)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qdrant_client import models

from ingest.service import IngestService
from tests.doctype_texts import OUTSIDE, TYPED


def _payload(service: IngestService, doc_id: str) -> dict[str, Any]:
    flt = models.Filter(must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))])
    hits = service.backend.scroll(flt, 100)[0]
    assert hits, f"{doc_id} non indicizzato"
    assert len({h.payload["doc_type"] for h in hits}) == 1, "the same type on every chunk"
    return dict(hits[0].payload)


def test_unlabelled_files_are_typed_or_refused_with_the_reason(service: IngestService, docs: Path) -> None:
    for name, text in {**TYPED, **OUTSIDE}.items():
        (docs / f"{name.replace('_', '-')}.md").write_text(text, encoding="utf-8")
    report = service.ingest_paths([docs])
    assert report.summary() == {"indexed": len(TYPED), "unchanged": 0, "duplicate": 0, "skipped": len(OUTSIDE)}
    for name in TYPED:
        payload = _payload(service, name.replace("_", "-"))
        assert payload["doc_type"] == name and "doc_type" in payload["extracted_fields"]
        origin = payload["provenance"]["doc_type"]
        assert origin["origine"] == "estratto" and 0.5 <= origin["affidabilita"] <= 1
        assert origin["fonte"].startswith("inferito dagli indizi del testo: «")
    for outcome in report.by_status("skipped"):
        assert outcome.code == "doc_type_unknown" and Path(outcome.source).stem in OUTSIDE
        assert "--doc-type" in (outcome.message or "") and f"{Path(outcome.source).name}.meta.yaml" in outcome.message


def test_the_inferred_type_decides_what_enrichment_looks_for(service: IngestService, docs: Path) -> None:
    (docs / "avviso.md").write_text(TYPED["bando"], encoding="utf-8")
    service.ingest_paths([docs])
    payload = _payload(service, "avviso")
    assert payload["doc_type"] == "bando" and payload["deadline"] == "2026-06-30"
    assert set(payload["extracted_fields"]) >= {"doc_type", "deadline"}


def test_a_declared_type_is_never_replaced(service: IngestService, docs: Path) -> None:
    """Front matter, sidecar, the CLI's default and an override all win over a text full of a call's cues."""
    call = TYPED["bando"]
    (docs / "front.md").write_text("---\ndoc_type: buona_pratica\n---\n" + call, encoding="utf-8")
    _copy(docs, "sidecar.md", call)
    (docs / "sidecar.md.meta.yaml").write_text("doc_type: normativa\n", encoding="utf-8")
    service.ingest_paths([docs / "front.md", docs / "sidecar.md"])
    service.ingest_paths([_copy(docs, "default.md", call)], defaults={"doc_type": "progetto"})
    service.ingest_paths([_copy(docs, "override.md", call)], overrides={"doc_type": "progetto"})
    declared = {"front": "buona_pratica", "sidecar": "normativa", "default": "progetto", "override": "progetto"}
    for doc_id, doc_type in declared.items():
        payload = _payload(service, doc_id)
        assert payload["doc_type"] == doc_type and "doc_type" not in payload["extracted_fields"]
        assert payload["provenance"]["doc_type"] == {"origine": "dichiarato", "affidabilita": 1.0}


def _copy(folder: Path, name: str, text: str) -> Path:
    """The text under its own last line, so no two files are duplicates."""
    (folder / name).write_text(f"{text}\nCopia {name}.\n", encoding="utf-8")
    return folder / name


def test_an_inferred_file_unchanged_is_not_indexed_again(service: IngestService, docs: Path) -> None:
    (docs / "scheda.md").write_text(TYPED["progetto"], encoding="utf-8")
    assert service.ingest_paths([docs]).summary()["indexed"] == 1
    assert service.ingest_paths([docs]).summary()["unchanged"] == 1


def test_enrichment_off_still_types_and_records_it(tmp_path: Path, docs: Path) -> None:
    from kb.models.embedders import HashingEmbedder
    from kb.storage.backends.edge import EdgeBackend

    backend = EdgeBackend(tmp_path / "plain", "hashing")
    backend.ensure_collection(32)
    service = IngestService(backend, HashingEmbedder(), enrich=False, ocr_enabled=False)
    (docs / "legge.md").write_text(TYPED["normativa"], encoding="utf-8")
    assert service.ingest_paths([docs]).summary()["indexed"] == 1
    payload = _payload(service, "legge")
    assert payload["doc_type"] == "normativa" and payload["extracted_fields"] == ["doc_type"]
    backend.close()
