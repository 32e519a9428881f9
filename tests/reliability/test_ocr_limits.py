"""OCR's bounds: at most `max_pages` pages of a document go to tesseract (the rest are reported, not dropped
silently), and a page is never rendered larger than MAX_OCR_PIXELS, whatever size it declares."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from qdrant_client import models

from ingest.components.pdf_ocr import MAX_OCR_PIXELS, render_scale, tesseract_available
from ingest.service import IngestService
from kb.models.embedders import HashingEmbedder
from kb.storage.backends.edge import EdgeBackend

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
