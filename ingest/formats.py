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
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: Word 97-2003, or any password-protected Office file
_OLE_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16 (and UTF-32 LE) text: NUL bytes everywhere, but not binary


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
    if mime.startswith("application/vnd") and data.startswith(OLE_MAGIC):
        if _OLE_ENCRYPTED in data:
            raise IngestError("document_encrypted", "il documento è protetto da password: salvarlo senza password "
                              "e caricarlo di nuovo", str(path))
        raise IngestError("type_mismatch", f"l'estensione è {path.suffix} ma il contenuto è un documento Office "
                          "97-2003 (per esempio .doc): salvarlo come .docx o .odt", str(path))
    if mime.startswith("application/vnd") and not is_zip:
        raise IngestError("type_mismatch", f"l'estensione è {path.suffix} ma il contenuto non è un documento "
                          "Office/OpenDocument", str(path))
    if mime.startswith("text/") and data.startswith(_WIDE_BOMS):
        raise IngestError("bad_encoding", "il testo è in UTF-16 o UTF-32: salvarlo come UTF-8", str(path))
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
