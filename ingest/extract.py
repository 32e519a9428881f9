"""Text of a file without indexing it: the same checks and converters as ingestion (OCR included)."""

from __future__ import annotations

from pathlib import Path

from ingest.errors import IngestError
from ingest.pipeline import build_conversion_pipeline
from ingest.prepare import captured_converter_warnings, prepare


class TextExtractor:
    def __init__(self, *, ocr_enabled: bool = True, ocr_language: str = "ita") -> None:
        self.pipeline = build_conversion_pipeline(ocr_enabled=ocr_enabled, ocr_language=ocr_language)

    def extract(self, path: Path, data: bytes) -> str:
        """Plain text of the file; IngestError (code + Italian message) when it cannot be read."""
        item = prepare(path, data, None, {"doc_type": "progetto"})
        with captured_converter_warnings():
            result = self.pipeline.run({"router": {"sources": [item.stream("extract", "")]}})
        text = "\n\n".join(d.content or "" for d in result.get("joiner", {}).get("documents", [])).strip()
        if not text:
            raise IngestError("no_text", "nessun testo estratto dal file (vuoto, danneggiato o scansione "
                              "senza OCR)", item.source)
        return text
