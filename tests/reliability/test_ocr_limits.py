"""OCR's bounds: at most `max_pages` pages of a document go to tesseract (the rest are reported, not dropped
silently), and a page is never rendered larger than MAX_OCR_PIXELS, whatever size it declares."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from qdrant_client import models

from ingest.components.pdf_ocr import MAX_OCR_PIXELS, PdfOcrFallback, render_scale, tesseract_available
from ingest.service import IngestService
from kb.models.embedders import HashingEmbedder
from kb.storage.backends.edge import EdgeBackend
from tests.search_api.api_fixture import hashing_api

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
PAGE_WORDS = ["fotovoltaico municipio scuola primaria", "biblioteca illuminazione giardino pubblico",
              "acquedotto perdite contatori frazione"]


def scanned_pdf(pages: list[str]) -> bytes:
    """One image-only page per text (no text layer), big type so tesseract reads it quickly and surely."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(420, 300), invariant=1)
    font = ImageFont.truetype(str(FONT), 48)
    for text in pages:
        image = Image.new("L", (1750, 1250), 255)
        draw = ImageDraw.Draw(image)
        for row, word in enumerate(text.split()):
            draw.text((100, 150 + row * 120), word, fill=0, font=font)
        pdf.drawImage(ImageReader(image), 0, 0, 420, 300)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


@pytest.mark.parametrize(("width", "height"), [(595, 842), (1190, 1684), (14_400, 14_400), (3, 3), (14_400, 10)])
def test_rendered_pages_stay_under_the_pixel_cap(width: float, height: float) -> None:
    scale = render_scale(width, height, 300)
    assert 0 < scale <= 300 / 72
    assert width * height * scale**2 <= MAX_OCR_PIXELS * 1.0001
    if width * height * (300 / 72) ** 2 <= MAX_OCR_PIXELS:  # small enough: full resolution
        assert scale == pytest.approx(300 / 72)


@pytest.mark.skipif(not tesseract_available(), reason="tesseract-ocr-ita not installed (make system-deps)")
def test_ocr_stops_at_max_pages_and_reports_the_rest(tmp_path: Path) -> None:
    backend = EdgeBackend(tmp_path / "index", "hashing")
    backend.ensure_collection(32)
    service = IngestService(backend, HashingEmbedder(), max_tokens=120, overlap_tokens=20, ocr_enabled=True)
    service.pipeline.get_component("ocr").max_pages = 2
    path = tmp_path / "scansione.pdf"
    path.write_bytes(scanned_pdf(PAGE_WORDS))
    outcome = service.ingest_bytes(path, path.read_bytes(), {"doc_type": "progetto"})
    assert outcome.status == "indexed", outcome
    assert outcome.warnings == ["pagine senza testo, da passare all'OCR: [3]"]
    flt = models.Filter(must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=outcome.doc_id))])
    text = " ".join(h.payload["text"] for h in backend.scroll(flt, 100)[0]).lower()
    assert "fotovoltaico" in text and "biblioteca" in text and "acquedotto" not in text
    backend.close()


@pytest.mark.skipif(not tesseract_available(), reason="tesseract-ocr-ita not installed (make system-deps)")
@pytest.mark.parametrize(("limits", "most_pages"), [({"similar_ocr_pages": 1}, 1),
                                                   ({"similar_ocr_seconds": 0.05}, 1)])
def test_similar_reads_a_scan_within_its_own_smaller_ocr_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                limits: dict[str, Any], most_pages: int) -> None:
    """POST /similar is open to anyone: a scanned file gets a few pages of OCR, not an ingestion's 100, and the
    answer says which pages the comparison left out."""
    read: list[int] = []
    real = PdfOcrFallback._ocr_page

    def counted(self: PdfOcrFallback, pdf: Any, path: Path, index: int, deadline: float) -> str:
        read.append(index + 1)
        return real(self, pdf, path, index, deadline)

    monkeypatch.setattr(PdfOcrFallback, "_ocr_page", counted)
    with hashing_api(tmp_path, "", ocr_enabled=True, **limits) as client:
        response = client.post("/similar", files={"file": ("scansione.pdf", scanned_pdf(PAGE_WORDS),
                                                           "application/pdf")})
    assert response.status_code == 200, response.text
    assert 1 <= len(read) <= most_pages  # ingestion would read all three
    warning = " ".join(response.json()["warnings"])
    unread = [p for p in (1, 2, 3) if p not in read]
    assert f"pagine non lette: {', '.join(map(str, unread))}" in warning and "su 3" in warning


def test_the_ocr_budget_is_validated() -> None:
    with pytest.raises(ValueError, match="max_seconds"):
        PdfOcrFallback(max_seconds=0)
