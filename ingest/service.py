"""Ingestion of files and folders: checks, incremental logic, pipeline runs and a report per file.

A bad file never stops the batch: it is reported with a code and an Italian reason, and the rest is indexed.
Re-ingesting an unchanged file (same bytes, same metadata, same pipeline) does nothing; a changed file replaces
its chunks; the same bytes under another name are reported as a duplicate, not indexed twice. Files that pass the
checks run through the pipeline in groups, so the encoder gets full batches across small files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qdrant_client import models

from ingest.batch import Batch, RecordInput
from ingest.doc_ids import document_id, named_after
from ingest.errors import IngestError
from ingest.formats import MIME_BY_EXTENSION, discover
from ingest.pipeline import build_pipeline
from ingest.prepare import MAX_FILE_BYTES, PreparedFile, captured_converter_warnings, prepare

logger = logging.getLogger(__name__)
GROUP_SIZE = 16


@dataclass
class FileOutcome:
    source: str
    status: str  # indexed | unchanged | duplicate | skipped
    doc_id: str | None = None
    chunks: int = 0
    code: str | None = None
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    kept_version: str | None = None  # refused replacement: when the version still indexed was stored (ISO date)


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


def _eq(key: str, value: Any) -> models.FieldCondition:
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))


def _skipped(source: str, exc: Exception) -> FileOutcome:
    if isinstance(exc, IngestError):
        return FileOutcome(source, "skipped", code=exc.code, message=exc.message)
    logger.error("Ingestion of %s failed: %r", source, exc)
    return FileOutcome(source, "skipped", code="processing_error",
                       message=f"errore durante l'elaborazione ({type(exc).__name__}): {exc}"[:500])


@dataclass
class _Claims:
    """Ids and contents taken earlier in the same run (not yet visible as duplicates in the index)."""

    hashes: dict[str, str] = field(default_factory=dict)
    doc_ids: dict[str, str] = field(default_factory=dict)


def stored_originals(files_path: Path, doc_id: str) -> list[Path]:
    """The stored files of this document only: `a.pdf` is not an original of `a.b`, nor `a.b.pdf` of `a`. Looked up
    by name, one per accepted extension: listing a folder of 50,000 originals per document made an import of a
    whole open-data release quadratic."""
    return sorted(p for p in (files_path / f"{doc_id}{ext}" for ext in MIME_BY_EXTENSION) if p.is_file())


class IngestService:
    def __init__(self, backend: Any, embedder: Any, *, files_path: Path | None = None, max_tokens: int = 0,
                 overlap_tokens: int = 40, ocr_enabled: bool = True, ocr_language: str = "ita",
                 write_batch_size: int = 256, group_size: int = GROUP_SIZE, enrich: bool = True,
                 gazetteer_path: Path | None = None, enrich_min_confidence: float = 0.5) -> None:
        if group_size < 1:
            raise ValueError("group_size deve essere >= 1")
        self.backend, self.embedder, self.files_path = backend, embedder, files_path
        self.model_name, self.group_size = getattr(embedder, "name", ""), group_size
        self.pipeline = build_pipeline(embedder, backend, max_tokens=max_tokens, overlap_tokens=overlap_tokens,
                                       ocr_enabled=ocr_enabled, ocr_language=ocr_language,
                                       write_batch_size=write_batch_size, enrich=enrich,
                                       gazetteer_path=gazetteer_path, enrich_min_confidence=enrich_min_confidence)

    @classmethod
    def from_settings(cls, backend: Any, embedder: Any, settings: Any, *, files_path: Path | None = None,
                      ocr_enabled: bool | None = None) -> IngestService:
        """The service as configured by `Settings` (chunk sizes, OCR, batch sizes); callers choose what to keep."""
        return cls(backend, embedder, files_path=files_path, max_tokens=settings.chunk_max_tokens,
                   overlap_tokens=settings.chunk_overlap_tokens,
                   ocr_enabled=settings.ocr_enabled if ocr_enabled is None else ocr_enabled,
                   ocr_language=settings.ocr_language, write_batch_size=settings.write_batch_size,
                   enrich=settings.enrich_enabled, gazetteer_path=settings.gazetteer_path,
                   enrich_min_confidence=settings.enrich_min_confidence)

    def warm_up(self) -> None:
        self.pipeline.warm_up()

    # -- entry points ----------------------------------------------------------------------------------------
    def ingest_paths(self, paths: Sequence[Path], overrides: dict[str, Any] | None = None,
                     progress: Callable[[Iterator[Path]], Iterator[Path]] | None = None,
                     defaults: dict[str, Any] | None = None) -> IngestReport:
        files, missing = discover(paths)
        batch, claims = self._batch(), _Claims()
        iterator: Iterator[Path] = iter(files)
        for position, path in enumerate(progress(iterator) if progress else iterator):
            try:
                if path.stat().st_size > MAX_FILE_BYTES:  # refused before reading it all into memory
                    batch.add(position, FileOutcome(str(path), "skipped", code="too_large", message=(
                        f"file troppo grande (oltre {MAX_FILE_BYTES // 2**20} MB)")))
                    continue
                data = path.read_bytes()
            except OSError as exc:
                batch.add(position, FileOutcome(str(path), "skipped", code="unreadable",
                                                message=f"file non leggibile: {exc.strerror or exc}"))
                continue
            batch.add(position, self._admit(path, data, overrides, defaults, claims))
        found = batch.finish()
        return IngestReport([FileOutcome(e.source, "skipped", code=e.code, message=e.message) for e in missing] + found)

    def ingest_records(self, records: Iterable[RecordInput]) -> list[FileOutcome]:
        """Records of an open-data table, each rendered as a Markdown text with its metadata (`kb import`): the
        same checks, identity, incremental decision and pipeline as a file, in full batches for the encoder."""
        batch, claims = self._batch(), _Claims()
        for position, record in enumerate(records):
            try:
                item = prepare(record.path, record.data, record.metadata, None, label=record.label)
            except Exception as exc:
                batch.add(position, _skipped(record.label, exc))
                continue
            batch.add(position, self._admit_prepared(item, claims))
        return batch.finish()

    def _batch(self) -> Batch[FileOutcome]:
        return Batch(self._run_group, self.backend.flush, self.group_size)

    def ingest_bytes(self, path: Path, data: bytes, overrides: dict[str, Any] | None = None,
                     defaults: dict[str, Any] | None = None) -> FileOutcome:
        """One file (e.g. an upload): never raises for bad input, returns what happened to it."""
        decided = self._admit(path, data, overrides, defaults, _Claims())
        if isinstance(decided, FileOutcome):
            if decided.doc_id is None and decided.status == "skipped" and (overrides or {}).get("doc_id"):
                decided.doc_id = str((overrides or {})["doc_id"]).strip()  # the document it was meant to replace
            return self._with_kept_version(decided)
        return self._run_group([decided])[0]

    def delete(self, doc_id: str) -> int:
        flt = models.Filter(must=[_eq("doc_id", doc_id)])
        with self.backend.atomic():
            removed = self.backend.count(flt)
            self.backend.delete_where(flt)
        self.backend.flush()
        for stored in self._originals(doc_id):
            stored.unlink(missing_ok=True)
        return int(removed)

    # -- steps -----------------------------------------------------------------------------------------------
    def _admit(self, path: Path, data: bytes, overrides: dict[str, Any] | None, defaults: dict[str, Any] | None,
               claims: _Claims) -> FileOutcome | tuple[PreparedFile, str]:
        """Checks, identity and the incremental decision: an outcome now, or (file, doc_id) to index."""
        try:
            item = prepare(path, data, overrides, defaults)
        except Exception as exc:
            return _skipped(str(path), exc)
        return self._admit_prepared(item, claims)

    def _admit_prepared(self, item: PreparedFile, claims: _Claims) -> FileOutcome | tuple[PreparedFile, str]:
        try:
            doc_id = self._doc_id_for(item, claims)
            present = self._complete(doc_id, item.version(self.model_name), item)
            if present:  # the document's chunks, as they are indexed: nothing was written, nothing is missing
                return FileOutcome(item.source, "unchanged", doc_id=doc_id, chunks=present)
            twin = claims.hashes.get(item.content_hash)
            if twin is None:
                hits = self.backend.scroll(models.Filter(must=[_eq("content_hash", item.content_hash)],
                                                         must_not=[_eq("doc_id", doc_id)]), limit=1)[0]
                twin = hits[0].payload.get("doc_id") if hits else None
            if twin is not None and twin != doc_id:
                return FileOutcome(item.source, "duplicate", doc_id=twin, code="duplicate",
                                   message=f"stesso contenuto del documento già indicizzato '{twin}'")
            claims.hashes[item.content_hash] = doc_id
            claims.doc_ids[doc_id] = str(item.path.resolve())
            return item, doc_id
        except Exception as exc:
            return _skipped(item.source, exc)

    def _complete(self, doc_id: str, version: str, item: PreparedFile) -> int:
        """Its chunks if this version is in the index entire and alone, and its original is stored, else 0. A
        crash can leave any of these undone (the first batches of the chunks, the old version beside the new, no
        original): then the file is indexed again, which rewrites the same chunk ids and removes everything else
        of the document."""
        this = models.Filter(must=[_eq("doc_id", doc_id), _eq("version", version)])
        present = self.backend.count(this)
        if not present:
            return 0
        expected = self.backend.scroll(this, limit=1)[0][0].payload.get("chunk_count", present)
        others = self.backend.count(models.Filter(must=[_eq("doc_id", doc_id)], must_not=[_eq("version", version)]))
        return int(present) if present == expected and not others and self._original_stored(doc_id, item) else 0

    def _original_stored(self, doc_id: str, item: PreparedFile) -> bool:
        if self.files_path is None:
            return True
        stored = self.files_path / f"{doc_id}{item.path.suffix.lower()}"
        try:
            same = stored.stat().st_size == len(item.data) and \
                hashlib.sha256(stored.read_bytes()).hexdigest() == item.content_hash
        except OSError:
            return False
        return same and self._originals(doc_id) == [stored]

    def _originals(self, doc_id: str) -> list[Path]:
        return stored_originals(self.files_path, doc_id) if self.files_path is not None else []

    def _run_group(self, items: list[tuple[PreparedFile, str]]) -> list[FileOutcome]:
        return [self._with_kept_version(outcome) for outcome in self._run(items)]

    def _with_kept_version(self, outcome: FileOutcome) -> FileOutcome:
        """A refused file that was to replace an indexed document says so, and that the indexed version stays
        (searchable, served): never a bare 'scartato' while the old version is what users see."""
        if outcome.status != "skipped" or not outcome.doc_id:
            return outcome
        kept = int(self.backend.count(models.Filter(must=[_eq("doc_id", outcome.doc_id)])))
        if not kept:
            return outcome
        stored = self._originals(outcome.doc_id)
        try:
            since = dt.datetime.fromtimestamp(stored[0].stat().st_mtime, dt.UTC).date() if stored else None
        except OSError:
            since = None
        version = f"la versione del {since:%d/%m/%Y}" if since else "la versione già indicizzata"
        outcome.chunks, outcome.kept_version = kept, since.isoformat() if since else None
        outcome.message = (f"sostituzione scartata: {outcome.message or outcome.code}; resta in archivio {version} "
                           f"({kept} frammenti), ancora consultabile")
        return outcome

    def _run(self, items: list[tuple[PreparedFile, str]]) -> list[FileOutcome]:
        """One pipeline run for a group; if it fails, each file alone, so the failure stays with its file."""
        try:
            with captured_converter_warnings() as warnings:
                result = self.pipeline.run({"router": {"sources": [f.stream(d, self.model_name) for f, d in items]}},
                                           include_outputs_from={"ocr", "docx", "odt", "html"})
        except Exception as exc:
            if len(items) > 1:
                return [self._run([item])[0] for item in items]
            failed = _skipped(items[0][0].source, exc)
            failed.doc_id = items[0][1]
            return [failed]
        written: dict[str, int] = result.get("writer", {}).get("written_per_doc", {})
        needing = {d.meta.get("doc_id"): d.meta.get("pages_needing_ocr", [])
                   for d in result.get("ocr", {}).get("documents", [])}
        failures = {f["file_path"]: f["error"] for name in ("docx", "odt", "html")
                    for f in result.get(name, {}).get("failures", [])}
        untyped = {r["doc_id"]: r for r in result.get("doctype", {}).get("refused", [])}
        return [FileOutcome(item.source, "skipped", doc_id=doc_id, code=untyped[doc_id]["code"],
                            message=untyped[doc_id]["message"]) if doc_id in untyped else
                self._finish(item, doc_id, written.get(doc_id, 0), needing.get(doc_id, []),
                             failures.get(str(item.path)) or (warnings[-1] if warnings and len(items) == 1 else None))
                for item, doc_id in items]

    def _finish(self, item: PreparedFile, doc_id: str, written: int, needing: list[int],
                failure: str | None) -> FileOutcome:
        if not written:
            if needing:
                return FileOutcome(item.source, "skipped", doc_id=doc_id, code="needs_ocr", message="il PDF non ha "
                                   "testo (scansione) e l'OCR non è disponibile: installare tesseract-ocr-ita")
            if failure or item.mime == "application/pdf":
                return FileOutcome(item.source, "skipped", doc_id=doc_id, code="corrupt_file",
                                   message=f"file danneggiato: {failure or 'PDF illeggibile'}")
            return FileOutcome(item.source, "skipped", doc_id=doc_id, code="no_text", message="nessun testo "
                               "estratto: il documento è vuoto")
        self._store_original(doc_id, item.path, item.data)
        outcome = FileOutcome(item.source, "indexed", doc_id=doc_id, chunks=written)
        if needing:
            outcome.warnings.append(f"pagine senza testo, da passare all'OCR: {needing}")
        return outcome

    def _doc_id_for(self, item: PreparedFile, claims: _Claims) -> str:
        """The id policy of `ingest/doc_ids.py`; here the same source is the same file path."""
        here = str(item.path.resolve())

        def is_free(doc_id: str) -> bool:
            holder = claims.doc_ids.get(doc_id)
            if holder is None:
                held = self.backend.scroll(models.Filter(must=[_eq("doc_id", doc_id)]), limit=1)[0]
                holder = held[0].payload.get("source_path") if held else None
            return holder in (None, here)

        def kept(base: str) -> str | None:  # the id this path already has (a full scan: only on a name collision)
            others: list[str] = []
            while True:
                flt = models.Filter(must=[_eq("source_path", here)], must_not=[_eq("doc_id", d) for d in others])
                held = self.backend.scroll(flt, limit=1)[0]
                if not held:
                    return None
                doc_id = str(held[0].payload.get("doc_id"))
                if named_after(base, doc_id):
                    return doc_id
                others.append(doc_id)  # this path's document under an explicit id: look further

        return document_id(item.path.name, item.content_hash, is_free=is_free, explicit=item.declared.doc_id, kept=kept)

    def _store_original(self, doc_id: str, path: Path, data: bytes) -> None:
        """Keep the original so the service can serve it (PDF opened at the cited page)."""
        if self.files_path is None:
            return
        self.files_path.mkdir(parents=True, exist_ok=True)
        target = self.files_path / f"{doc_id}{path.suffix.lower()}"
        partial = target.with_name(f".{target.name}.partial")  # a crash never leaves a torn original in place
        partial.write_bytes(data)
        partial.replace(target)
        for old in self._originals(doc_id):
            if old != target:
                old.unlink(missing_ok=True)
