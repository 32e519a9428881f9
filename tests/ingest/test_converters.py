"""Each converter on real generated files (the corpus build's own renderers): PDF pages, scanned page through OCR,
DOCX/ODT/HTML headings, HTML chrome dropped, encrypted PDF refused."""

from __future__ import annotations

import importlib
import io
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader, PdfWriter
from qdrant_client import models

from ingest.components.pdf_ocr import tesseract_available
from ingest.service import IngestService
from kb.models.embedders import HashingEmbedder
from kb.storage.backends.edge import EdgeBackend
from tests.conftest import REPO
from tests.report_pdf import META, blocks

sys.path.insert(0, str(REPO / "corpus"))
_md = importlib.import_module("_render_markdown")
_pdf = importlib.import_module("_render_pdf")
_office = importlib.import_module("_render_office")
_html = importlib.import_module("_render_html")

def _blocks() -> Any:
    return blocks()


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    (folder / f"{name}.meta.yaml").write_text(yaml.safe_dump(META, allow_unicode=True), encoding="utf-8")
    return path


def _service(tmp_path: Path, ocr: bool) -> IngestService:
    backend = EdgeBackend(tmp_path / "index", "hashing")
    backend.ensure_collection(32)
    return IngestService(backend, HashingEmbedder(), max_tokens=120, overlap_tokens=20, ocr_enabled=ocr)


def _chunks(service: IngestService, doc_id: str) -> list[dict[str, Any]]:
    flt = models.Filter(must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))])
    return sorted((h.payload for h in service.backend.scroll(flt, 1000)[0]), key=lambda p: p["chunk_index"])


def _page_of(pdf: bytes, needle: str) -> int:
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages, start=1):
        if needle in " ".join((page.extract_text() or "").split()):
            return number
    raise AssertionError(f"{needle!r} not in the PDF")


def test_multipage_pdf_keeps_page_numbers_and_sections(tmp_path: Path) -> None:
    pdf = _pdf.render_pdf(_blocks(), META)
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 3
    service = _service(tmp_path, ocr=False)
    outcome = service.ingest_bytes(_write(tmp_path, "relazione.pdf", pdf), pdf)
    assert outcome.status == "indexed", outcome
    chunks = _chunks(service, "relazione")
    for needle, section in (("410 tonnellate", "Risultati"), ("cippato di legno", "Interventi")):
        page = _page_of(pdf, needle)
        holder = next(c for c in chunks if needle in c["text"])
        assert holder["page_start"] <= page <= holder["page_end"]
        assert holder["section"] == section
    assert max(c["page_end"] for c in chunks) >= 3
    assert not any("Pagina" in c["text"] for c in chunks), "page footers are not content"
    assert all(c["title"] == META["title"] and c["comune"] == "Valgrande" for c in chunks)


@pytest.mark.skipif(not tesseract_available(), reason="tesseract-ocr-ita not installed (make system-deps)")
def test_scanned_page_is_read_by_ocr(tmp_path: Path) -> None:
    pdf = _pdf.render_pdf(_blocks(), META, scan_page=2)
    assert len((PdfReader(io.BytesIO(pdf)).pages[1].extract_text() or "").strip()) < 25, "page 2 is an image"
    service = _service(tmp_path, ocr=True)
    outcome = service.ingest_bytes(_write(tmp_path, "scansione.pdf", pdf), pdf)
    assert outcome.status == "indexed" and not outcome.warnings, outcome
    chunks = _chunks(service, "scansione")
    page_two = [c for c in chunks if c["page_start"] <= 2 <= c["page_end"]]
    assert page_two and any("teleriscaldamento" in c["text"] or "assemblee" in c["text"] for c in page_two)
    assert chunks[0]["ocr_pages"] == [2]


@pytest.mark.skipif(not tesseract_available(), reason="tesseract-ocr-ita not installed (make system-deps)")
def test_scans_of_several_documents_are_read_in_parallel_each_into_its_own(tmp_path: Path) -> None:
    """Documents are read by OCR concurrently: each gets its own pages' text, none is lost or swapped."""
    from haystack import Document

    from ingest.components.pdf_ocr import PdfOcrFallback

    paths, docs = [], []
    for k, scan_page in enumerate((2, 1, 2)):
        pdf = _pdf.render_pdf(_blocks(), META, scan_page=scan_page)
        path = tmp_path / f"scan-{k}.pdf"
        path.write_bytes(pdf)
        texts = [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]
        paths.append(path)
        docs.append(Document(content="\f".join(texts), meta={"source_path": str(path)}))
    ocr = PdfOcrFallback(workers=2)
    out = ocr.run(docs)["documents"]
    for doc, scan_page, path in zip(out, (2, 1, 2), paths, strict=True):
        assert doc.meta["source_path"] == str(path) and doc.meta["ocr_pages"] == [scan_page]
        assert len(doc.content.split("\f")[scan_page - 1].strip()) > 100
    with pytest.raises(ValueError):
        PdfOcrFallback(workers=0)


def test_scanned_page_without_ocr_is_reported_not_silent(tmp_path: Path) -> None:
    pdf = _pdf.render_pdf(_blocks(), META, scan_page=2)
    service = _service(tmp_path, ocr=False)
    outcome = service.ingest_bytes(_write(tmp_path, "scansione.pdf", pdf), pdf)
    assert outcome.status == "indexed"
    assert outcome.warnings == ["pagine senza testo, da passare all'OCR: [2]"]


def test_pdf_of_only_scans_without_ocr_needs_ocr(tmp_path: Path) -> None:
    blocks = _md.parse_markdown("# Scheda\n\n## Unica\n\nTesto breve della scheda scansionata.")
    pdf = _pdf.render_pdf(blocks, META, scan_page=1)
    service = _service(tmp_path, ocr=False)
    outcome = service.ingest_bytes(_write(tmp_path, "solo-scansione.pdf", pdf), pdf)
    assert (outcome.status, outcome.code) == ("skipped", "needs_ocr")


def test_encrypted_pdf_is_refused_with_a_reason(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(_pdf.render_pdf(_blocks(), META)))
    writer.encrypt("segreta")
    buffer = io.BytesIO()
    writer.write(buffer)
    service = _service(tmp_path, ocr=False)
    outcome = service.ingest_bytes(_write(tmp_path, "protetto.pdf", buffer.getvalue()), buffer.getvalue())
    assert (outcome.status, outcome.code) == ("skipped", "pdf_encrypted")
    assert "password" in (outcome.message or "")


@pytest.mark.parametrize("ext, render", [
    ("docx", lambda: _office.render_docx(_blocks(), META)),
    ("odt", lambda: _office.render_odt(_blocks(), META)),
    ("html", lambda: _html.render_html(_blocks(), META)),
])
def test_structured_formats_keep_headings(tmp_path: Path, ext: str, render: Any) -> None:
    data = render()
    service = _service(tmp_path, ocr=False)
    outcome = service.ingest_bytes(_write(tmp_path, f"relazione.{ext}", data), data)
    assert outcome.status == "indexed", outcome
    chunks = _chunks(service, "relazione")
    sections = [c["section"] for c in chunks]
    assert {"Contesto", "Interventi", "Risultati", "Lezioni apprese"} <= set(sections)
    holder = next(c for c in chunks if "410 tonnellate" in c["text"])
    assert holder["section"] == "Risultati"
    assert all(c["page_start"] is None for c in chunks), "no pages outside PDF"


def test_html_chrome_is_dropped(tmp_path: Path) -> None:
    page = (b"<html lang='it'><head><title>T</title></head><body><header>Portale del Comune</header>"
            b"<nav><a>Home</a><a>Menu servizi</a></nav><main><h1>Verde urbano</h1><h2>Azioni</h2>"
            b"<p>Sono stati piantati 300 alberi lungo il fiume.</p></main><footer>Privacy e cookie</footer>"
            b"<script>var tracking = 1;</script></body></html>")
    service = _service(tmp_path, ocr=False)
    assert service.ingest_bytes(_write(tmp_path, "verde.html", page), page).status == "indexed"
    text = " ".join(c["text"] for c in _chunks(service, "verde"))
    assert "300 alberi" in text
    for chrome in ("Portale del Comune", "Menu servizi", "Privacy", "tracking"):
        assert chrome not in text
