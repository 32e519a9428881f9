"""Dossier export of a collection (EPUB 3, PDF, DOCX): gather the items' documents, the acts they cite and the
open calls that concern them, then render one view model in three formats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from search_api.dossier.model import ChosenPassage, CollectionRef, ItemRef

if TYPE_CHECKING:
    from search_api.services import Services

DossierFormat = Literal["epub", "pdf", "docx"]


@dataclass(frozen=True)
class ExportedFile:
    data: bytes
    media_type: str
    filename: str


def export_dossier(collection: CollectionRef, fmt: DossierFormat, *, services: Services, today: date,
                   base_url: str) -> ExportedFile:
    """The dossier of `collection` as a file. `services` is the app's (ServicesDep), `today` its clock (TodayDep:
    which calls are open), `base_url` where links point (BaseUrlDep). Raises ValueError for an unknown format."""
    raise NotImplementedError


__all__ = ["ChosenPassage", "CollectionRef", "DossierFormat", "ExportedFile", "ItemRef", "export_dossier"]
