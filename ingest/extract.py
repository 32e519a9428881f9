"""Text of a file without indexing it: the same checks and converters as ingestion (OCR included, within the
extractor's own OCR budget: a caller that only compares a file pays less than an ingestion)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.components.pdf_ocr import MAX_OCR_PAGES, MAX_OCR_SECONDS
from ingest.errors import IngestError
from ingest.pipeline import build_conversion_pipeline
from ingest.prepare import captured_converter_warnings, prepare


@dataclass(frozen=True)
class Extracted:
    text: str
    page_count: int | None = None
    ocr_pages: list[int] = field(default_factory=list)  # pages read by OCR
    unread_pages: list[int] = field(default_factory=list)  # scanned pages left out (OCR budget, or no OCR)


class TextExtractor:
    def __init__(self, *, ocr_enabled: bool = True, ocr_language: str = "ita", ocr_max_pages: int = MAX_OCR_PAGES,
                 ocr_max_seconds: float = MAX_OCR_SECONDS) -> None:
        self.pipeline = build_conversion_pipeline(ocr_enabled=ocr_enabled, ocr_language=ocr_language,
                                                  ocr_max_pages=ocr_max_pages, ocr_max_seconds=ocr_max_seconds)

    def extract(self, path: Path, data: bytes) -> Extracted:
        """Text of the file and what OCR did; IngestError (code + Italian message) when it cannot be read."""
        item = prepare(path, data, None, {"doc_type": "progetto"})
        with captured_converter_warnings():
            result = self.pipeline.run({"router": {"sources": [item.stream("extract", "")]}})
        documents = result.get("joiner", {}).get("documents", [])
        text = "\n\n".join(d.content or "" for d in documents).strip()
        if not text:
            raise IngestError("no_text", "nessun testo estratto dal file (vuoto, danneggiato o scansione "
                              "senza OCR)", item.source)
        meta = documents[0].meta if documents else {}
        return Extracted(text, meta.get("page_count"), list(meta.get("ocr_pages") or []),
                         list(meta.get("pages_needing_ocr") or []))
