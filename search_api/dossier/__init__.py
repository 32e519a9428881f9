"""Dossier export of a collection (EPUB 3, PDF, DOCX): gather the items' documents, the acts they cite and the
open calls that concern them, then render one view model in three formats."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib import import_module
from typing import TYPE_CHECKING, Literal, cast

from search_api.dossier.build import build_dossier
from search_api.dossier.model import ChosenPassage, CollectionRef, ItemRef
from search_api.dossier.view import Dossier

if TYPE_CHECKING:
    from search_api.services import Services

DossierFormat = Literal["epub", "pdf", "docx"]
MEDIA_TYPES = {
    "epub": "application/epub+zip",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True)
class ExportedFile:
    data: bytes
    media_type: str
    filename: str


def export_dossier(collection: CollectionRef, fmt: DossierFormat, *, services: Services, today: date,
                   base_url: str) -> ExportedFile:
    """The dossier of `collection` as a file. `services` is the app's (ServicesDep), `today` its clock (TodayDep:
    which calls are open), `base_url` where links point (BaseUrlDep). Raises ValueError for an unknown format."""
    if fmt not in MEDIA_TYPES:
        raise ValueError(f"formato {fmt!r} non previsto; validi: {', '.join(MEDIA_TYPES)}")
    dossier = build_dossier(collection, backend=services.backend, lab_line=services.settings.dossier_lab_line,
                            today=today, base_url=base_url)
    return ExportedFile(renderer(fmt)(dossier), MEDIA_TYPES[fmt], f"{dossier.filename_stem}.{fmt}")


def renderer(fmt: str) -> Callable[[Dossier], bytes]:
    """`render_<fmt>` of the module named after the format, imported on first use: WeasyPrint loads Pango and
    EbookLib lxml's HTML parser, which no other route needs (importing the app stays light)."""
    return cast(Callable[[Dossier], bytes], getattr(import_module(f"search_api.dossier.{fmt}"), f"render_{fmt}"))


__all__ = ["MEDIA_TYPES", "ChosenPassage", "CollectionRef", "DossierFormat", "ExportedFile", "ItemRef", "build_dossier",
           "export_dossier", "renderer"]
