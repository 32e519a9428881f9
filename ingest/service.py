"""Ingestion of files and folders: checks, incremental logic, the pipeline run and a report per file.

A bad file never stops the batch: it is reported with a code and an Italian reason, and the rest is indexed.
Re-ingesting an unchanged file (same bytes, same metadata, same pipeline) does nothing; a changed file replaces
its chunks; the same bytes under another name are reported as a duplicate, not indexed twice.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from haystack.dataclasses import ByteStream
from qdrant_client import models

from ingest.errors import IngestError
from ingest.formats import discover, mime_type
from ingest.metadata import resolve_metadata, split_front_matter
from ingest.pipeline import PIPELINE_VERSION, TEXT, build_pipeline
from kb.index.schema import DocumentMetadata, metadata_payload

MAX_FILE_BYTES = 100 * 1024 * 1024
logger = logging.getLogger(__name__)


@dataclass
class FileOutcome:
    source: str
    status: str  # indexed | unchanged | duplicate | skipped
    doc_id: str | None = None
    chunks: int = 0
    code: str | None = None
    message: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)

    def by_status(self, status: str) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def ok(self) -> bool:
        return not self.by_status("skipped")

    def summary(self) -> dict[str, int]:
        return {s: len(self.by_status(s)) for s in ("indexed", "unchanged", "duplicate", "skipped")}


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:100] or "documento"


def _eq(key: str, value: Any) -> models.FieldCondition:
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))


class IngestService:
    def __init__(self, backend: Any, embedder: Any, *, files_path: Path | None = None, max_tokens: int = 0,
                 overlap_tokens: int = 40, ocr_enabled: bool = True, ocr_language: str = "ita",
                 write_batch_size: int = 256) -> None:
        self.backend, self.embedder, self.files_path = backend, embedder, files_path
        self.model_name = getattr(embedder, "name", "")
        self.pipeline = build_pipeline(embedder, backend, max_tokens=max_tokens, overlap_tokens=overlap_tokens,
                                       ocr_enabled=ocr_enabled, ocr_language=ocr_language,
                                       write_batch_size=write_batch_size)

    def warm_up(self) -> None:
        self.pipeline.warm_up()

    # -- entry points ----------------------------------------------------------------------------------------
    def ingest_paths(self, paths: Sequence[Path], overrides: dict[str, Any] | None = None,
                     progress: Callable[[Iterator[Path]], Iterator[Path]] | None = None,
                     defaults: dict[str, Any] | None = None) -> IngestReport:
        files, missing = discover(paths)
        report = IngestReport([FileOutcome(e.source, "skipped", code=e.code, message=e.message) for e in missing])
        iterator: Iterator[Path] = iter(files)
        for path in progress(iterator) if progress else iterator:
            try:
                data = path.read_bytes()
            except OSError as exc:
                report.outcomes.append(FileOutcome(str(path), "skipped", code="unreadable",
                                                   message=f"file non leggibile: {exc.strerror or exc}"))
                continue
            report.outcomes.append(self.ingest_bytes(path, data, overrides, defaults))
        self.backend.flush()
        return report

    def ingest_bytes(self, path: Path, data: bytes, overrides: dict[str, Any] | None = None,
                     defaults: dict[str, Any] | None = None) -> FileOutcome:
        """One file: never raises for bad input, returns what happened to it."""
        try:
            return self._ingest(path, data, overrides, defaults)
        except IngestError as exc:
            return FileOutcome(str(path), "skipped", code=exc.code, message=exc.message)
        except Exception as exc:  # a converter or library bug on one file must not stop the batch
            logger.exception("Ingestion of %s failed", path)
            return FileOutcome(str(path), "skipped", code="processing_error",
                               message=f"errore durante l'elaborazione ({type(exc).__name__}): {exc}"[:500])

    def delete(self, doc_id: str) -> int:
        flt = models.Filter(must=[_eq("doc_id", doc_id)])
        with self.backend.atomic():
            removed = self.backend.count(flt)
            self.backend.delete_where(flt)
        self.backend.flush()
        if self.files_path is not None:
            for stored in self.files_path.glob(f"{doc_id}.*"):
                stored.unlink(missing_ok=True)
        return int(removed)

    # -- one file --------------------------------------------------------------------------------------------
    def _ingest(self, path: Path, data: bytes, overrides: dict[str, Any] | None,
                defaults: dict[str, Any] | None) -> FileOutcome:
        source = str(path)
        if len(data) > MAX_FILE_BYTES:
            raise IngestError("too_large", f"file troppo grande (oltre {MAX_FILE_BYTES // 2**20} MB)", source)
        mime = mime_type(path, data)
        front_matter: dict[str, Any] = {}
        body = data
        if mime.startswith("text/"):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise IngestError("bad_encoding", "il testo non è in UTF-8: salvarlo come UTF-8", source) from exc
            if mime in ("text/markdown", "text/plain"):
                front_matter, body = split_front_matter(data, source)
        if mime == "application/pdf":
            _check_pdf(data, source)
        meta = resolve_metadata(path, front_matter, overrides, defaults)
        content_hash = hashlib.sha256(data).hexdigest()
        doc_id = meta.doc_id or self._doc_id_for(path)
        version = _version(content_hash, meta, self.model_name)

        if self.backend.count(models.Filter(must=[_eq("doc_id", doc_id), _eq("version", version)])):
            return FileOutcome(source, "unchanged", doc_id=doc_id)
        twin = self.backend.scroll(models.Filter(must=[_eq("content_hash", content_hash)],
                                                 must_not=[_eq("doc_id", doc_id)]), limit=1)[0]
        if twin:
            other = twin[0].payload.get("doc_id")
            return FileOutcome(source, "duplicate", doc_id=other, code="duplicate",
                               message=f"stesso contenuto del documento già indicizzato '{other}'")

        payload = metadata_payload(meta)
        payload.update(doc_id=doc_id, version=version, content_hash=content_hash, source=path.name,
                       file_type=path.suffix.lower().lstrip("."), ingested_at=datetime.now(UTC).isoformat(),
                       file_path=str(path), source_path=str(path.resolve()))
        payload["title"] = meta.title or _title_from(body, mime) or path.stem.replace("-", " ").replace("_", " ")
        stream = ByteStream(body, meta=payload, mime_type=TEXT if mime.startswith("text/") and mime != "text/html"
                            else mime)
        with _captured_warnings() as warnings:
            result = self.pipeline.run({"router": {"sources": [stream]}},
                                       include_outputs_from={"ocr", "docx", "odt", "html"})
        written = int(result.get("writer", {}).get("documents_written", 0))
        ocr_docs = result.get("ocr", {}).get("documents", [])
        needing = ocr_docs[0].meta.get("pages_needing_ocr", []) if ocr_docs else []
        failures = [f["error"] for name in ("docx", "odt", "html") for f in result.get(name, {}).get("failures", [])]
        if not written:
            if needing:
                raise IngestError("needs_ocr", "il PDF non ha testo (scansione) e l'OCR non è disponibile: "
                                  "installare tesseract-ocr-ita", source)
            if failures or warnings:
                raise IngestError("corrupt_file", f"file danneggiato: {(failures or warnings)[-1]}", source)
            raise IngestError("no_text", "nessun testo estratto: il documento è vuoto", source)
        self._store_original(doc_id, path, data)
        outcome = FileOutcome(source, "indexed", doc_id=doc_id, chunks=written)
        if needing:
            outcome.warnings.append(f"pagine senza testo, da passare all'OCR: {needing}")
        return outcome

    def _doc_id_for(self, path: Path) -> str:
        """Slug of the file name; a different file already holding that id gets a suffix from its path."""
        doc_id = slugify(path.stem)
        held = self.backend.scroll(models.Filter(must=[_eq("doc_id", doc_id)]), limit=1)[0]
        if held and held[0].payload.get("source_path") not in (None, str(path.resolve())):
            doc_id = f"{doc_id}-{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:6]}"
        return doc_id

    def _store_original(self, doc_id: str, path: Path, data: bytes) -> None:
        """Keep the original so the service can serve it (PDF opened at the cited page)."""
        if self.files_path is None:
            return
        self.files_path.mkdir(parents=True, exist_ok=True)
        for old in self.files_path.glob(f"{doc_id}.*"):
            old.unlink(missing_ok=True)
        (self.files_path / f"{doc_id}{path.suffix.lower()}").write_bytes(data)


def _version(content_hash: str, meta: DocumentMetadata, model: str) -> str:
    material = json.dumps([content_hash, meta.model_dump(mode="json"), PIPELINE_VERSION, model], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def _title_from(body: bytes, mime: str) -> str | None:
    if mime not in ("text/markdown", "text/plain"):
        return None
    for line in body.decode("utf-8", "replace").splitlines()[:40]:
        if line.startswith("# "):
            return line[2:].strip()
    return None


def _check_pdf(data: bytes, source: str) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("pdf_encrypted", "il PDF è protetto da password: caricare una copia senza protezione",
                              source)
        if len(reader.pages) == 0:
            raise IngestError("empty_file", "il PDF non ha pagine", source)
    except IngestError:
        raise
    except (PdfReadError, Exception) as exc:
        raise IngestError("corrupt_file", f"PDF danneggiato o troncato ({exc})", source) from exc


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _captured_warnings() -> Iterator[list[str]]:
    handler = _ListHandler()
    logger = logging.getLogger("haystack.components.converters")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
