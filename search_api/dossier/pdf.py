"""The dossier as a tagged PDF (PDF/UA-1) with WeasyPrint: structure tree for screen readers, the outline built
from the chapter headings, the table of contents with page numbers."""

from __future__ import annotations

from weasyprint import HTML
from weasyprint.urls import URLFetcher

from search_api.dossier.html import book
from search_api.dossier.view import Dossier


def render_pdf(dossier: Dossier) -> bytes:
    # the book embeds its styles and has no images: nothing is fetched, whatever a title or a note contains
    document = HTML(string=book(dossier), base_url=dossier.base_url + "/",
                    url_fetcher=URLFetcher(allowed_protocols=frozenset()))
    # pdf/ua-1 implies pdf_tags: a structure tree (StructTreeRoot, MarkInfo), the language and the title
    pdf = document.write_pdf(pdf_variant="pdf/ua-1")
    if pdf is None:  # only when a target is given
        raise RuntimeError("WeasyPrint non ha prodotto il PDF")
    return bytes(pdf)
