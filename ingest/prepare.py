"""Per-file checks before the pipeline: size, type, encoding, PDF sanity, metadata, identity and version.

Everything here is cheap and file-local, so a bad file is refused with a precise reason before any model work.
Containers are checked before a parser sees them: zip archives (DOCX, ODT) from their headers
(`ingest/archive_guard.py`), PDFs for truncation, encryption, page count and content size (`ingest/pdf_guard.py`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from haystack.dataclasses import ByteStream

from ingest.archive_guard import check_archive
from ingest.enrich.doctype import calibration_id
from ingest.errors import IngestError
from ingest.formats import MIME_BY_EXTENSION, mime_type
from ingest.metadata import resolve_metadata, split_front_matter
from ingest.pdf_guard import check_pdf
from ingest.pipeline import PIPELINE_VERSION, TEXT
from kb.storage.schema import DeclaredMetadata, DocumentMetadata, metadata_payload

MAX_FILE_BYTES = 100 * 1024 * 1024
# metadata that does not make a new version: the release an imported record was last seen in (a new release that
# repeats a record unchanged leaves it as indexed, with the release its version came from)
UNVERSIONED_FIELDS = ("fonte_rilascio",)
_ARCHIVES = {MIME_BY_EXTENSION[f".{kind}"]: kind for kind in ("docx", "odt")}  # zip containers, by MIME type


@dataclass
class PreparedFile:
    """A file that passed the checks: what the pipeline needs, and what the report will say about it."""

    path: Path
    data: bytes
    declared: DeclaredMetadata  # its doc_type is None when no source gave one: the pipeline infers it
    body: bytes
    mime: str
    content_hash: str
    label: str | None = None  # what reports and citations call it, when not its file name (an imported record)

    @property
    def source(self) -> str:
        return self.label or str(self.path)

    @property
    def meta(self) -> DocumentMetadata:
        """The declared metadata of a file whose type is declared; IngestError for one whose type is to be inferred
        (only ingestion can tell it, from the text)."""
        if isinstance(self.declared, DocumentMetadata):
            return self.declared
        raise IngestError("doc_type_unknown", "tipo di documento non dichiarato", self.source)

    def stream(self, doc_id: str, model_name: str) -> ByteStream:
        payload = metadata_payload(self.declared)
        payload.update(doc_id=doc_id, version=self.version(model_name), content_hash=self.content_hash,
                       source=display_name(self.label or self.path.name),
                       file_type=self.path.suffix.lower().lstrip("."),
                       ingested_at=datetime.now(UTC).isoformat(), file_path=str(self.path),
                       source_path=str(self.path.resolve()))
        payload["title"] = (self.declared.title or _title_from(self.body, self.mime)
                            or display_name(self.path.stem).replace("-", " ").replace("_", " "))
        plain_text = self.mime.startswith("text/") and self.mime != "text/html"
        return ByteStream(self.body, meta=payload, mime_type=TEXT if plain_text else self.mime)

    def version(self, model_name: str) -> str:
        """Changes when the bytes, the metadata, the pipeline or the model change (and, for a type left to infer,
        the type classifier's calibration): then the file is re-indexed."""
        declared = self.declared.model_dump(mode="json", exclude=set(UNVERSIONED_FIELDS))
        parts: list[Any] = [self.content_hash, declared, PIPELINE_VERSION, model_name]
        if self.declared.doc_type is None:
            parts.append(calibration_id())
        material = json.dumps(parts, sort_keys=True)
        return hashlib.sha256(material.encode()).hexdigest()[:24]


def prepare(path: Path, data: bytes, overrides: dict[str, Any] | None,
            defaults: dict[str, Any] | None, *, label: str | None = None) -> PreparedFile:
    """A file from disk or an upload; or, with `label`, a record rendered as text (no sidecar is looked for)."""
    source = label or str(path)
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
        check_pdf(data, source)
    elif mime in _ARCHIVES:
        check_archive(data, _ARCHIVES[mime], source)
    meta = resolve_metadata(path, front_matter, overrides, defaults, sidecar=label is None, source=source)
    return PreparedFile(path, data, meta, body, mime, hashlib.sha256(data).hexdigest(), label)


def slugify(text: str) -> str:
    """ASCII lower case, runs of anything else as one `-`, at most 100 characters: the name part of a document id
    (`ingest/doc_ids.py`) and of an upload's spooled file."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:100] or "documento"


def spool_name(filename: str | None) -> str:
    """A submitted file's name made safe to write in a temporary folder: the slug of its last component and its
    extension if that is plain (`.pdf`, `.docx`). `..`, `.`, `x/..`, separators and names too long for the file
    system (190 accented characters are 380 bytes) all become a plain name, never a path."""
    name = Path(filename or "").name[-200:]
    suffix = Path(name).suffix.lower()
    return slugify(Path(name).stem) + (suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else "")


def display_name(name: str) -> str:
    """A file name fit to show people: NFC, without control and invisible format characters (bidi overrides that
    make `fattura\u202efdp.txt` look like `fatturatxt.pdf`, zero-width spaces), whitespace folded."""
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
                   for c in unicodedata.normalize("NFC", name) if unicodedata.category(c) != "Cf")
    return " ".join(kept.split())[:255] or "documento"


def _title_from(body: bytes, mime: str) -> str | None:
    if mime not in ("text/markdown", "text/plain"):
        return None
    for line in body.decode("utf-8", "replace").splitlines()[:40]:
        if line.startswith("# "):
            return line[2:].strip()
    return None


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def captured_converter_warnings() -> Iterator[list[str]]:
    """Haystack's converters log and skip a bad file: keep what they said, to report it."""
    handler = _ListHandler()
    logger = logging.getLogger("haystack.components.converters")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
