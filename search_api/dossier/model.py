"""What a collection hands to the dossier export: snapshots, so a dossier survives documents deleted since."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ChosenPassage:
    """A passage the official picked from a result (a snapshot, so it survives deletion)."""

    text: str
    page_start: int | None = None
    page_end: int | None = None
    section: str | None = None
    chunk_id: str | None = None


@dataclass(frozen=True)
class ItemRef:
    """One item of a collection, in order."""

    doc_id: str
    title: str  # snapshot when added
    note: str | None = None
    passages: tuple[ChosenPassage, ...] = ()
    metadata_snapshot: dict[str, Any] = field(default_factory=dict)  # the document's metadata when added
    status_note: str | None = None  # set by "raccolte" when the document was deleted or replaced since


@dataclass(frozen=True)
class CollectionRef:
    id: str
    title: str
    intro: str | None
    items: tuple[ItemRef, ...]
    created_at: datetime
    updated_at: datetime
