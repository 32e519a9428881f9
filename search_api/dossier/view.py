"""The dossier as the three renderers read it: already in Italian, already formatted, no index access left.

Gathering (`build.py`, `appendix.py`) fills these; `pdf.py`, `epub.py` and `docx.py` only lay them out, so the three
files say the same things."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre",
          "novembre", "dicembre")


@dataclass(frozen=True)
class Passage:
    """A passage quoted in a chapter, with where it stands in the original."""

    text: str
    section: str | None
    pages: str  # "p. 3", "pp. 3-4", or "" when the original has no pages (Markdown, HTML)
    url: str  # the original, at the passage's first page when it has one


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    url: str | None = None
    extracted: bool = False  # read from the text by enrichment, not declared


@dataclass(frozen=True)
class Chapter:
    number: int
    anchor: str  # "cap-01": the PDF's anchor, the EPUB's file name, the DOCX's bookmark
    doc_id: str
    title: str
    doc_type: str | None
    type_label: str
    place: str | None  # "Valfonda (Sondrio), Lombardia"
    population: str | None  # "780 abitanti"
    note: str | None  # the official's note
    status_note: str | None  # deleted or replaced since it was added
    passages_heading: str  # "Passaggi scelti", "Sintesi" or "Dal documento"
    passages: tuple[Passage, ...]
    sdgs: tuple[str, ...]  # "7. Energia pulita e accessibile"
    themes: tuple[str, ...]
    facts: tuple[Fact, ...]
    citation: str  # how to cite the original: title, file, pages, date of consultation
    available: bool  # the document is still in the archive: its links lead somewhere
    document_url: str  # the document's card
    file_url: str  # the original, at the first quoted page


@dataclass(frozen=True)
class Act:
    """An act of the normative appendix: in the collection or cited by its items."""

    reference: str
    title: str | None
    date: str | None
    state: str  # "in vigore", "abrogato", "stato non indicato"
    in_force: bool | None
    issuer: str | None
    url: str | None  # the act's card when the act is indexed
    chapters: tuple[int, ...]  # chapters that cite it
    own_chapter: int | None  # the chapter that is this act


@dataclass(frozen=True)
class ActGroup:
    label: str  # "Unione europea", "Nazionale", "Regionale"
    acts: tuple[Act, ...]


@dataclass(frozen=True)
class OpenCall:
    title: str
    issuer: str | None
    regione: str | None
    deadline: str | None
    days_left: int | None
    budget: str | None
    population_cap: str | None
    themes: tuple[str, ...]
    comuni: tuple[str, ...]  # the collection's comuni that may apply
    url: str
    chapter: int | None  # when the call is itself an item of the collection


@dataclass(frozen=True)
class Dossier:
    collection_id: str
    title: str
    intro: str | None
    lab_line: str
    today: dt.date
    date_label: str  # "24 novembre 2026"
    chapters: tuple[Chapter, ...]
    act_groups: tuple[ActGroup, ...]
    calls: tuple[OpenCall, ...]
    calls_rule: str  # which calls are listed, in words
    base_url: str

    @property
    def filename_stem(self) -> str:
        return f"dossier-{slug(self.title) or slug(self.collection_id) or 'raccolta'}"


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")


def italian_date(value: object) -> str | None:
    """ "2026-10-01" or a date -> "1 ottobre 2026"; None for what is not a date."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str) and value:
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    if not isinstance(value, dt.date):
        return None
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def integer(value: object) -> str:
    """12500 -> "12.500" (Italian thousands separator)."""
    return f"{int(float(str(value))):,}".replace(",", ".")


def euro(value: object) -> str:
    """8000000 -> "8.000.000 €"; cents only when there are any ("1.234,50 €")."""
    amount = float(str(value))
    if amount == int(amount):
        return f"{integer(amount)} €"
    whole, cents = f"{amount:,.2f}".split(".")
    return f"{whole.replace(',', '.')},{cents} €"


def pages_label(start: object, end: object) -> str:
    if not isinstance(start, int) or start < 1:
        return ""
    return f"p. {start}" if not isinstance(end, int) or end <= start else f"pp. {start}-{end}"
