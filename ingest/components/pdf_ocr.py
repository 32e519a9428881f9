"""Fills PDF pages that have no text layer (scans) with Italian OCR, or records them as needing OCR.

Input: documents from Haystack's PyPDFToDocument (pages separated by form feeds). A page with almost no text is
rendered (pypdfium2) and read by tesseract (`ita`). Without tesseract the page numbers are recorded in
`meta["pages_needing_ocr"]`, so the caller can report them: never a silent "0 chunks, success".

Bounded work: at most `max_pages` pages of a document are read by OCR (about 1.5 s each; documents are read in
parallel, one tesseract per core), within `max_seconds` (a page's tesseract is stopped at that deadline); the
others stay in `pages_needing_ocr`. Ingestion uses the defaults; `POST /similar` (anonymous callers) much less.
A page is rendered at `dpi`, lowered so the image stays under `MAX_OCR_PIXELS` (a PDF can declare a page of
5 x 5 metres: at 300 dpi that is a 3.5-gigapixel image).
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from haystack import Document, component

logger = logging.getLogger(__name__)
MIN_PAGE_CHARS = 25
MAX_OCR_PAGES = 100
MAX_OCR_SECONDS = 600.0  # per document: past it, the remaining pages stay in pages_needing_ocr
MAX_PAGE_SECONDS = 120.0  # one page's tesseract, and never past the document's deadline
MAX_OCR_PIXELS = 40_000_000  # A4 at 300 dpi is 8.7 million pixels, A0 at 300 dpi 140 million (rendered at 160 dpi)


# One OpenMP thread per tesseract process: on 2 cores its default threading is ~6x slower (8.8 s -> 1.4 s a page).
_TESSERACT_ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}
_PDFIUM_LOCK = threading.Lock()  # pypdfium2 is not thread-safe; tesseract runs outside it


def tesseract_available(language: str = "ita") -> bool:
    if shutil.which("tesseract") is None:
        return False
    try:
        import pypdfium2  # noqa: F401  (renders the page for tesseract)

        listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30,
                                env=_TESSERACT_ENV)
        return language in listed.stdout.split()
    except Exception:
        return False


def render_scale(width_pt: float, height_pt: float, dpi: int) -> float:
    """Pixels per PDF point for a page of that size: `dpi`, or less so the image stays under MAX_OCR_PIXELS."""
    return min(dpi / 72, (MAX_OCR_PIXELS / max(width_pt * height_pt, 1.0)) ** 0.5)


@component
class PdfOcrFallback:
    def __init__(self, enabled: bool = True, language: str = "ita", dpi: int = 300,
                 max_pages: int = MAX_OCR_PAGES, workers: int | None = None,
                 max_seconds: float = MAX_OCR_SECONDS) -> None:
        if dpi < 72 or dpi > 600:
            raise ValueError("dpi deve essere tra 72 e 600")
        if max_pages < 0:
            raise ValueError("max_pages deve essere >= 0")
        if workers is not None and workers < 1:
            raise ValueError("workers deve essere >= 1")
        if max_seconds <= 0:
            raise ValueError("max_seconds deve essere > 0")
        self.enabled, self.language, self.dpi, self.max_pages = enabled, language, dpi, max_pages
        self.max_seconds = max_seconds
        self.workers = workers or os.cpu_count() or 1
        self._available: bool | None = None

    def warm_up(self) -> None:
        if self._available is None:
            self._available = self.enabled and tesseract_available(self.language)

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        self.warm_up()
        pages_of = [(doc.content or "").split("\f") for doc in documents]
        empty_of = [[i for i, page in enumerate(pages) if len(page.strip()) < MIN_PAGE_CHARS] for pages in pages_of]
        # Haystack's converter keeps only the file name in file_path: the service's absolute path is in source_path
        sources = [doc.meta.get("source_path") or doc.meta.get("file_path") for doc in documents]
        jobs = {k: (Path(source), empty[:self.max_pages]) for k, (empty, source)
                in enumerate(zip(empty_of, sources, strict=True)) if empty and self._available and source
                and self.max_pages}
        # documents are read in parallel, one single-threaded tesseract per core
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            pending = {k: pool.submit(self._ocr_pages, path, chosen) for k, (path, chosen) in jobs.items()}
            read = {k: future.result() for k, future in pending.items()}
        out = []
        for k, doc in enumerate(documents):
            pages, empty, meta = pages_of[k], empty_of[k], dict(doc.meta)
            if k in jobs:
                chosen = jobs[k][1]
                for i, text in zip(chosen, read[k], strict=True):
                    pages[i] = text
                meta["ocr_pages"] = [i + 1 for i in chosen if len(pages[i].strip()) >= MIN_PAGE_CHARS]
                empty = [i for i in empty if len(pages[i].strip()) < MIN_PAGE_CHARS]
            if empty:
                meta["pages_needing_ocr"] = [i + 1 for i in empty]
            meta["page_count"] = len(pages)
            out.append(Document(id=doc.id, content="\f".join(pages), meta=meta))
        return {"documents": out}

    def _ocr_pages(self, path: Path, indexes: list[int]) -> list[str]:
        """Text of the given pages ('' where OCR failed); the PDF is opened once for all of them."""
        import pypdfium2

        try:
            with _PDFIUM_LOCK:
                pdf = pypdfium2.PdfDocument(str(path))
        except Exception as exc:
            logger.warning("OCR could not open %s: %s", path, exc)
            return [""] * len(indexes)
        deadline = time.monotonic() + self.max_seconds
        try:
            return [self._ocr_page(pdf, path, i, deadline) if time.monotonic() < deadline else "" for i in indexes]
        finally:
            with _PDFIUM_LOCK:
                pdf.close()

    def _ocr_page(self, pdf: Any, path: Path, index: int, deadline: float) -> str:
        try:
            with _PDFIUM_LOCK:
                page = pdf[index]
                width, height = page.get_size()
                image = page.render(scale=render_scale(width, height, self.dpi)).to_pil()
            png = io.BytesIO()
            image.save(png, format="PNG")
            result = subprocess.run(["tesseract", "stdin", "stdout", "-l", self.language], input=png.getvalue(),
                                    capture_output=True, env=_TESSERACT_ENV, check=True,
                                    timeout=max(1.0, min(MAX_PAGE_SECONDS, deadline - time.monotonic())))
            return result.stdout.decode("utf-8", "replace")
        except Exception as exc:
            logger.warning("OCR failed on page %d of %s: %s", index + 1, path, exc)
            return ""
