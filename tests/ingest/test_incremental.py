"""Incremental and safe ingestion: no-op re-ingest, replacement, deletion, duplicates, bad files in a batch."""

from __future__ import annotations

from pathlib import Path

from qdrant_client import models

from ingest.service import IngestService
from tests.ingest.conftest import markdown


def _ids(service: IngestService, doc_id: str) -> set[str]:
    flt = models.Filter(must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))])
    return {h.id for h in service.backend.scroll(flt, 1000)[0]}


def test_reingesting_an_unchanged_file_does_nothing(service: IngestService, docs: Path) -> None:
    (docs / "cer.md").write_text(markdown(), encoding="utf-8")
    first = service.ingest_paths([docs])
    assert first.summary() == {"indexed": 1, "unchanged": 0, "duplicate": 0, "skipped": 0}
    before = _ids(service, "cer")
    second = service.ingest_paths([docs])
    assert second.summary() == {"indexed": 0, "unchanged": 1, "duplicate": 0, "skipped": 0}
    assert _ids(service, "cer") == before and len(before) == first.outcomes[0].chunks


def test_chunk_ids_are_deterministic_across_indexes(tmp_path: Path, docs: Path) -> None:
    from kb.models.embedders import HashingEmbedder
    from kb.storage.backends.edge import EdgeBackend

    (docs / "cer.md").write_text(markdown(), encoding="utf-8")
    seen = []
    for name in ("a", "b"):
        backend = EdgeBackend(tmp_path / name, "h")
        backend.ensure_collection(32)
        svc = IngestService(backend, HashingEmbedder(), max_tokens=120, overlap_tokens=20)
        svc.ingest_paths([docs])
        seen.append(_ids(svc, "cer"))
        backend.close()
    assert seen[0] == seen[1]


def test_changed_file_replaces_all_its_chunks(service: IngestService, docs: Path) -> None:
    path = docs / "cer.md"
    path.write_text(markdown(), encoding="utf-8")
    service.ingest_paths([docs])
    old = _ids(service, "cer")
    path.write_text(markdown(body="## Novità\n\nIl progetto è stato esteso alla scuola media con 40 kWp.\n"),
                    encoding="utf-8")
    report = service.ingest_paths([docs])
    assert report.summary()["indexed"] == 1
    new = _ids(service, "cer")
    assert new and not (new & old)
    texts = " ".join(h.payload["text"] for h in service.backend.retrieve(sorted(new)))
    assert "scuola media" in texts and "70.000 kWh" not in texts


def test_changed_metadata_alone_reindexes(service: IngestService, docs: Path) -> None:
    path = docs / "cer.md"
    path.write_text(markdown(), encoding="utf-8")
    service.ingest_paths([docs])
    (docs / "cer.md.meta.yaml").write_text("sdg: [7, 13]\n", encoding="utf-8")
    assert service.ingest_paths([docs]).summary()["indexed"] == 1
    assert all(h.payload["sdg"] == [7, 13] for h in service.backend.retrieve(sorted(_ids(service, "cer"))))


def test_delete_removes_every_chunk_and_the_stored_original(service: IngestService, docs: Path) -> None:
    (docs / "cer.md").write_text(markdown(), encoding="utf-8")
    (docs / "altro.md").write_text(markdown("Altro documento", "## A\n\nTesto diverso sul verde urbano.\n"),
                                   encoding="utf-8")
    service.ingest_paths([docs])
    assert service.files_path is not None and (service.files_path / "cer.md").exists()
    assert service.delete("cer") >= 1
    assert not _ids(service, "cer") and _ids(service, "altro")
    assert not (service.files_path / "cer.md").exists()
    assert service.delete("cer") == 0


def test_exact_duplicate_under_another_name_is_reported(service: IngestService, docs: Path) -> None:
    (docs / "cer.md").write_text(markdown(), encoding="utf-8")
    (docs / "copia-cer.md").write_text(markdown(), encoding="utf-8")
    report = service.ingest_paths([docs])
    assert report.summary() == {"indexed": 1, "unchanged": 0, "duplicate": 1, "skipped": 0}
    dup = report.by_status("duplicate")[0]
    assert "già indicizzato" in (dup.message or "")
    assert not _ids(service, "copia-cer")


def test_same_file_name_in_two_folders_gets_two_documents(service: IngestService, docs: Path) -> None:
    for sub, title in (("a", "Primo"), ("b", "Secondo")):
        (docs / sub).mkdir()
        (docs / sub / "scheda.md").write_text(markdown(title, f"## S\n\nTesto del documento {title}.\n"),
                                              encoding="utf-8")
    report = service.ingest_paths([docs])
    assert report.summary()["indexed"] == 2
    assert len({o.doc_id for o in report.outcomes}) == 2


def test_bad_files_are_reported_and_the_rest_is_indexed(service: IngestService, docs: Path) -> None:
    (docs / "buono.md").write_text(markdown(), encoding="utf-8")
    (docs / "vuoto.txt").write_bytes(b"")
    (docs / "finto.pdf").write_text("non sono un pdf", encoding="utf-8")
    (docs / "troncato.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog")
    (docs / "latin1.txt").write_bytes("Perché la città è più verde".encode("latin-1"))
    (docs / "rotto.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (docs / "rotto.docx.meta.yaml").write_text("doc_type: progetto\n", encoding="utf-8")
    (docs / "solo-titoli.md").write_text("---\ndoc_type: progetto\n---\n", encoding="utf-8")
    (docs / "meta-errata.md").write_text(markdown().replace("sdg: [7, 11]", "sdg: [7, 42]"), encoding="utf-8")
    (docs / "tipo-ignoto.md").write_text("# Senza tipo\n\nTesto.\n", encoding="utf-8")
    report = service.ingest_paths([docs, docs / "inesistente.pdf"])
    codes = {Path(o.source).name: o.code for o in report.by_status("skipped")}
    assert codes == {
        "vuoto.txt": "empty_file", "finto.pdf": "type_mismatch", "troncato.pdf": "corrupt_file",
        "latin1.txt": "bad_encoding", "rotto.docx": "corrupt_file",
        "solo-titoli.md": "no_text", "meta-errata.md": "invalid_metadata",
        "tipo-ignoto.md": "doc_type_unknown", "inesistente.pdf": "not_found",
    }
    assert [o.doc_id for o in report.by_status("indexed")] == ["buono"]
    messages = {Path(o.source).name: o.message or "" for o in report.by_status("skipped")}
    assert "sdg" in messages["meta-errata.md"] and "1 a 17" in messages["meta-errata.md"]
    assert "non dichiarato" in messages["tipo-ignoto.md"] and "--doc-type" in messages["tipo-ignoto.md"]


def test_cli_overrides_beat_sidecar_and_front_matter(service: IngestService, docs: Path) -> None:
    (docs / "cer.md").write_text(markdown(), encoding="utf-8")
    (docs / "cer.md.meta.yaml").write_text("regione: Piemonte\nprovincia: Cuneo\n", encoding="utf-8")
    service.ingest_paths([docs], overrides={"provincia": "Torino"})
    payload = service.backend.scroll(None, 1)[0][0].payload
    assert (payload["regione"], payload["provincia"], payload["comune"]) == ("Piemonte", "Torino", "Borgo Prova")


def test_default_doc_type_fills_only_what_is_missing(service: IngestService, docs: Path) -> None:
    (docs / "cer.md").write_text(markdown(), encoding="utf-8")
    (docs / "nota.md").write_text("# Nota tecnica\n\nRelazione sul verde urbano del comune.\n", encoding="utf-8")
    report = service.ingest_paths([docs], defaults={"doc_type": "progetto"})
    assert report.summary()["indexed"] == 2
    types = {h.payload["doc_id"]: h.payload["doc_type"] for h in service.backend.scroll(None, 100)[0]}
    assert types == {"cer": "buona_pratica", "nota": "progetto"}


def test_a_crash_inside_the_pipeline_skips_only_that_file(service: IngestService, docs: Path, monkeypatch) -> None:
    from ingest.components.html_converter import HtmlConverter

    def boom(self, sources):  # a library bug on one format
        raise RuntimeError("guasto interno")

    monkeypatch.setattr(HtmlConverter, "run", boom)
    (docs / "buono.md").write_text(markdown(), encoding="utf-8")
    (docs / "pagina.html").write_text("<html><body><p>Testo</p></body></html>", encoding="utf-8")
    (docs / "pagina.html.meta.yaml").write_text("doc_type: progetto\n", encoding="utf-8")
    report = service.ingest_paths([docs])
    assert report.summary() == {"indexed": 1, "unchanged": 0, "duplicate": 0, "skipped": 1}
    skipped = report.by_status("skipped")[0]
    assert skipped.code == "processing_error" and "guasto interno" in (skipped.message or "")
