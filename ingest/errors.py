"""Errors that name the file (and the field) so a user can fix the input."""

from __future__ import annotations

# Every code a file outcome can carry, with what it means for the person who sent the file (Italian, as shown).
ERROR_CODES: dict[str, str] = {
    "not_found": "file o cartella inesistente",
    "unreadable": "file non leggibile",
    "unsupported_type": "formato non supportato",
    "empty_file": "file vuoto",
    "too_large": "file troppo grande",
    "type_mismatch": "il contenuto non corrisponde all'estensione",
    "bad_encoding": "testo non in UTF-8",
    "corrupt_file": "file danneggiato o troncato",
    "pdf_encrypted": "PDF protetto da password",
    "document_encrypted": "documento protetto da password",
    "too_many_pages": "PDF con troppe pagine",
    "content_too_large": "contenuto del PDF troppo grande una volta decompresso",
    "unsafe_archive": "documento DOCX/ODT con struttura interna non ammessa (possibile archivio malevolo)",
    "archive_too_large": "documento DOCX/ODT troppo grande una volta decompresso",
    "invalid_metadata": "metadati non validi",
    "doc_type_unknown": "tipo di documento non dichiarato e non riconoscibile con sicurezza dal testo",
    "needs_ocr": "PDF senza testo (scansione) e OCR non disponibile",
    "no_text": "nessun testo estratto",
    "duplicate": "stesso contenuto di un documento già indicizzato",
    "processing_error": "errore durante l'elaborazione",
}


class IngestError(Exception):
    """A file that cannot be indexed; `code` is machine-readable, the message is for people (Italian)."""

    def __init__(self, code: str, message: str, source: str = "") -> None:
        super().__init__(f"{source}: {message}" if source else message)
        self.code, self.message, self.source = code, message, source
