"""The dossier as an EPUB 3 with EbookLib: one XHTML file per part (cover, introduction, each chapter, the two
appendices) rendered from the same macros as the PDF, a navigation document and an NCX for older readers,
language `it`, Dublin Core metadata."""

from __future__ import annotations

import datetime as dt
import io
import uuid

from ebooklib import epub

from search_api.dossier.html import parts, stylesheet
from search_api.dossier.view import Dossier

CSS_FILE = "style/dossier.css"
# the collection's address under the service names the book: the same collection gets the same identifier
BOOK_NAMESPACE = uuid.UUID("b5f8d2a4-3c1e-4f7a-9d62-0e8a1c4b7f30")


def _file(anchor: str) -> str:
    return f"{anchor}.xhtml"


def _href(anchor: str) -> str:
    """A link to a part: each part is the file named after its anchor."""
    return f"{_file(anchor)}#{anchor}"


def render_epub(dossier: Dossier) -> bytes:
    book = epub.EpubBook()
    address = f"{dossier.base_url}/raccolte/{dossier.collection_id}"
    book.set_identifier(f"urn:uuid:{uuid.uuid5(BOOK_NAMESPACE, address)}")
    book.set_title(dossier.title)
    book.set_language("it")
    book.add_author(dossier.lab_line)
    book.add_metadata("DC", "publisher", dossier.lab_line)
    book.add_metadata("DC", "date", dossier.today.isoformat())
    book.add_metadata("DC", "description", dossier.intro or f"Dossier della raccolta «{dossier.title}»")
    book.add_metadata("DC", "subject", "Agenda 2030; comuni; buone pratiche")
    css = epub.EpubItem(uid="stile", file_name=CSS_FILE, media_type="text/css",
                        content=stylesheet("dossier.css").encode())
    book.add_item(css)
    macros = parts()

    def page(anchor: str, title: str, body: str) -> epub.EpubHtml:
        item = epub.EpubHtml(uid=anchor, file_name=_file(anchor), title=title, lang="it", content=body)
        item.add_item(css)
        book.add_item(item)
        return item

    cover = page("copertina", "Copertina", str(macros.cover(dossier)))
    intro = page("introduzione", "Introduzione", str(macros.intro(dossier, _href)))
    chapters = [page(c.anchor, f"{c.number}. {c.title}", str(macros.chapter(c, _href))) for c in dossier.chapters]
    acts = page("normativa", "Appendice normativa", str(macros.acts(dossier, _href)))
    calls = page("bandi", f"Bandi aperti al {dossier.date_label}", str(macros.calls(dossier, _href)))
    book.toc = [epub.Link(_file(p.id), p.title, p.id) for p in (intro, *chapters, acts, calls)]
    nav = epub.EpubNav(title="Indice")
    book.add_item(epub.EpubNcx())
    book.add_item(nav)
    book.spine = [cover, nav, intro, *chapters, acts, calls]
    out = io.BytesIO()
    epub.write_epub(out, book, {"mtime": dt.datetime.now(dt.UTC), "raise_exceptions": True, "epub3_pages": False})
    return out.getvalue()
