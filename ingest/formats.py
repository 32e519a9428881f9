"""Supported file types, by extension and by content (magic bytes), and how files are discovered in folders."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ingest.errors import IngestError

MIME_BY_EXTENSION = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".html": "text/html",
    ".htm": "text/html",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
}
SIDECAR_SUFFIX = ".meta.yaml"


def mime_type(path: Path, data: bytes) -> str:
    """The declared type, checked against the content so a renamed file is caught before a converter chokes."""
    mime = MIME_BY_EXTENSION.get(path.suffix.lower())
    if mime is None:
        raise IngestError("unsupported_type", f"formato non supportato ({path.suffix or 'senza estensione'}); "
                          f"ammessi: {', '.join(sorted(MIME_BY_EXTENSION))}", str(path))
    if not data.strip():
        raise IngestError("empty_file", "il file è vuoto", str(path))
    is_zip, is_pdf = data[:4] == b"PK\x03\x04", data[:5] == b"%PDF-"
    if mime == "application/pdf" and not is_pdf:
        raise IngestError("type_mismatch", "l'estensione è .pdf ma il contenuto non è un PDF", str(path))
    if mime.startswith("application/vnd") and not is_zip:
        raise IngestError("type_mismatch", f"l'estensione è {path.suffix} ma il contenuto non è un documento "
                          "Office/OpenDocument", str(path))
    if mime.startswith("text/") and (is_pdf or is_zip or b"\x00" in data[:4096]):
        raise IngestError("type_mismatch", f"l'estensione è {path.suffix} ma il contenuto è binario", str(path))
    return mime


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[IngestError]]:
    """Files to ingest under the given paths; folders are walked, skipping hidden and `_`-prefixed entries."""
    found: list[Path] = []
    errors: list[IngestError] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path).parts
                if any(p.startswith((".", "_")) for p in rel) or not child.is_file():
                    continue
                if child.name.endswith(SIDECAR_SUFFIX) or child.suffix.lower() not in MIME_BY_EXTENSION:
                    continue
                found.append(child)
        elif path.is_file():
            found.append(path)
        else:
            errors.append(IngestError("not_found", "file o cartella inesistente", str(path)))
    return list(dict.fromkeys(found)), errors
