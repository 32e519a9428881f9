"""PDF checks before conversion: truncation, encryption, page tree (count, cycles) and the size of page contents.

pypdf already caps each decoded stream (75 MB, `pypdf.Configuration`); what it does not cap is the number of pages
and the sum over them, so a 100 MB file could still ask for hours of text extraction (or of OCR). The page tree is
walked here with a node budget, so a lying `/Count`, a cycle or two million pages cost milliseconds, not minutes.

JavaScript, launch actions and attachments are never run or read: text extraction looks at page content streams
only, so a PDF with scripts is indexed by its text (the original is kept and served with `CSP: sandbox`).
"""

from __future__ import annotations

import io
import zlib
from typing import Any

from ingest.errors import IngestError

MAX_PDF_PAGES = 2_000
MAX_TREE_DEPTH = 64  # real page trees are a few levels deep; pypdf flattens them by recursion
MAX_CONTENT_BYTES = 256 * 2**20  # decoded page content streams, all pages together
MAX_STREAM_BYTES = 64 * 2**20  # one decoded content stream (pypdf itself gives up at 75 MB, as a failed page)
EOF_WINDOW = 1024  # where readers look for %%EOF (Acrobat's tolerance for trailing bytes)
_ENCRYPTED = "il PDF è protetto da password: caricare una copia senza protezione"


def check_pdf(data: bytes, source: str) -> int:
    """The number of pages of a readable, reasonable PDF; IngestError (code + Italian message) otherwise."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    if b"%%EOF" not in data[-EOF_WINDOW:]:
        raise IngestError("corrupt_file", "PDF troncato: manca la fine del file (%%EOF); caricarlo di nuovo",
                          source)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("pdf_encrypted", _ENCRYPTED, source)
        pages = _page_tree(reader, source)
        if not pages:
            raise IngestError("empty_file", "il PDF non ha pagine", source)
        _check_contents(pages, source)
        return len(pages)
    except IngestError:
        raise
    except DependencyError as exc:  # AES needs the optional `cryptography` package: the file cannot be read
        raise IngestError("pdf_encrypted", f"{_ENCRYPTED} (cifratura AES)", source) from exc
    except RecursionError as exc:
        raise IngestError("corrupt_file", "PDF danneggiato: oggetti annidati senza fine", source) from exc
    except Exception as exc:
        raise IngestError("corrupt_file", f"PDF danneggiato o troncato ({_short(exc)})", source) from exc


def _page_tree(reader: Any, source: str) -> list[Any]:
    """Leaf page dictionaries in order, walking at most about 3 nodes per allowed page."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    budget = 3 * MAX_PDF_PAGES + 10
    stack: list[tuple[Any, int]] = [(reader.trailer["/Root"].get_object()["/Pages"], 0)]
    seen: set[tuple[int, int]] = set()
    pages: list[Any] = []
    while stack:
        ref, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise IngestError("corrupt_file", "PDF danneggiato: albero delle pagine troppo profondo", source)
        if isinstance(ref, IndirectObject):
            key = (ref.idnum, ref.generation)
            if key in seen:
                raise IngestError("corrupt_file", "PDF danneggiato: l'albero delle pagine contiene un ciclo", source)
            seen.add(key)
        budget -= 1
        if budget < 0:
            raise IngestError("too_many_pages", f"il PDF ha una struttura di pagine troppo grande (oltre "
                              f"{MAX_PDF_PAGES:,} pagine)".replace(",", "."), source)
        node = ref.get_object()
        if not isinstance(node, DictionaryObject):
            raise IngestError("corrupt_file", "PDF danneggiato: albero delle pagine non valido", source)
        kids = node.get("/Kids")
        if node.get("/Type") == "/Page" or kids is None:
            pages.append(node)
            if len(pages) > MAX_PDF_PAGES:
                raise IngestError("too_many_pages", f"il PDF ha più di {MAX_PDF_PAGES:,} pagine: dividerlo in file "
                                  "più piccoli".replace(",", "."), source)
            continue
        kids = kids.get_object()
        if not isinstance(kids, ArrayObject):
            raise IngestError("corrupt_file", "PDF danneggiato: albero delle pagine non valido", source)
        stack.extend((kid, depth + 1) for kid in reversed(kids))
    return pages


def _check_contents(pages: list[Any], source: str) -> None:
    """Every page's content streams decode, each under MAX_STREAM_BYTES and all together under MAX_CONTENT_BYTES."""
    from pypdf.generic import ArrayObject

    total = 0
    for number, page in enumerate(pages, start=1):
        contents = page.get("/Contents")
        if contents is None:
            continue
        contents = contents.get_object()
        streams = list(contents) if isinstance(contents, ArrayObject) else [contents]
        try:
            for stream in streams:
                total += _decoded_size(stream.get_object(), min(MAX_STREAM_BYTES, MAX_CONTENT_BYTES - total))
        except _TooLarge as exc:
            what = (f"il contenuto della pagina {number} supera {MAX_STREAM_BYTES // 2**20} MB"
                    if MAX_CONTENT_BYTES - total > MAX_STREAM_BYTES else
                    f"il contenuto delle pagine supera {MAX_CONTENT_BYTES // 2**20} MB")
            raise IngestError("content_too_large", f"{what} una volta decompresso", source) from exc
        except Exception as exc:
            raise IngestError("corrupt_file", f"PDF danneggiato: il contenuto della pagina {number} è illeggibile "
                              f"({_short(exc)})", source) from exc


class _TooLarge(Exception):
    """A content stream inflates past the budget it was given."""


def _decoded_size(stream: Any, budget: int) -> int:
    """Decoded length of a content stream, at most `budget` bytes inflated. Plain Flate (nearly every content
    stream) is inflated strictly: pypdf salvages damaged data byte by byte, which turns a corrupt page into an
    empty one ("needs OCR") or into garbage text, instead of an error."""
    from pypdf.errors import LimitReachedError
    from pypdf.generic import NameObject

    filters = stream.get("/Filter")
    filters = filters.get_object() if filters is not None else None
    names = [filters] if isinstance(filters, NameObject) else list(filters or [])
    raw = getattr(stream, "_data", None)
    if names == ["/FlateDecode"] and isinstance(raw, bytes):
        return _inflate_strictly(raw, budget)
    try:
        size = len(stream.get_data())
    except LimitReachedError as exc:
        raise _TooLarge from exc
    if size > budget:
        raise _TooLarge
    return size


def _inflate_strictly(raw: bytes, budget: int) -> int:
    error: zlib.error | None = None
    for cut in range(9):  # up to 8 stray bytes after the stream are tolerated, as pypdf does
        inflater = zlib.decompressobj()
        try:
            size = len(inflater.decompress(raw[:len(raw) - cut], budget + 1))
        except zlib.error as exc:
            error = error or exc
            continue
        if size > budget:
            raise _TooLarge
        return size
    raise ValueError(f"dati compressi non validi: {error}")


def _short(exc: Exception) -> str:
    return (str(exc) or type(exc).__name__)[:200]
