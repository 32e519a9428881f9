"""Collections over the index: an item snapshots its document when added, and reading a collection compares every
item with the index, so an item whose document was deleted or replaced since stays, with a note that says so."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from qdrant_client import models

from search_api.documents import FIRST_PASSAGE, document_url, file_url, public_metadata
from search_api.errors import ApiError, not_found
from search_api.raccolte.schemas import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    MAX_ITEMS,
    MAX_PASSAGES,
    CollectionCreate,
    CollectionExport,
    ExportedItem,
    ExportedPassage,
    ItemAdd,
    ItemStatus,
)
from search_api.raccolte.store import CollectionStore, ItemDraft, Passage, StoredCollection, StoredItem

DOSSIER_FORMATS = ("epub", "pdf", "docx")


@dataclass(frozen=True)
class ItemView:
    item: StoredItem
    status: ItemStatus
    status_note: str | None = None


@dataclass(frozen=True)
class CollectionView:
    collection: StoredCollection
    items: tuple[ItemView, ...]


def not_found_f(what: str) -> ApiError:
    """`not_found` for the feminine nouns here (raccolta, voce)."""
    return ApiError(404, "non_trovato", f"{what} non trovata")


def _eq(key: str, value: Any) -> models.FieldCondition:
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))


def _date(value: Any) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(str(value)).date()
    except ValueError:
        return None


def _status(item: StoredItem, indexed: dict[str, Any] | None, today: dt.date) -> ItemView:
    if indexed is None:
        since = item.missing_since or today
        return ItemView(item, "eliminato", f"documento eliminato dall'archivio il {since:%d/%m/%Y}")
    if item.content_hash and indexed.get("content_hash") not in (None, item.content_hash):
        replaced = _date(indexed.get("ingested_at"))
        when = f" il {replaced:%d/%m/%Y}" if replaced else ""
        return ItemView(item, "sostituito", f"sostituito da una versione più recente{when}: qui la versione "
                                            f"aggiunta il {item.added_at:%d/%m/%Y}")
    return ItemView(item, "presente")


class CollectionService:
    """The store and the index together; routes and pages call this, never the store's SQL."""

    def __init__(self, store: CollectionStore, backend: Any) -> None:
        self.store, self.backend = store, backend

    # reading

    def _indexed(self, doc_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The first chunk of each document still in the index (the newest, if a replacement is half written)."""
        if not doc_ids:
            return {}
        flt = models.Filter(must=[models.FieldCondition(key="doc_id", match=models.MatchAny(any=doc_ids)),
                                  FIRST_PASSAGE])
        found: dict[str, dict[str, Any]] = {}
        for hit in self.backend.scroll(flt, limit=4 * len(doc_ids))[0]:
            doc_id = str(hit.payload.get("doc_id"))
            if str(hit.payload.get("ingested_at", "")) >= str(found.get(doc_id, {}).get("ingested_at", "")):
                found[doc_id] = hit.payload
        return found

    def read(self, collection_id: str, today: dt.date) -> CollectionView:
        collection = self.store.get(collection_id)
        if collection is None:
            raise not_found_f("raccolta")
        with self.backend.reading():
            indexed = self._indexed(list(dict.fromkeys(i.doc_id for i in collection.items)))
        views = tuple(_status(item, indexed.get(item.doc_id), today) for item in collection.items)
        # remember the first day a document was found gone (its note keeps that date); clear it if it came back
        gone = [v.item.id for v in views if v.status == "eliminato" and v.item.missing_since is None]
        back = [v.item.id for v in views if v.status != "eliminato" and v.item.missing_since is not None]
        if gone:
            self.store.note_missing(gone, today)
        if back:
            self.store.note_present(back)
        return CollectionView(collection, views)

    # writing

    def create(self, body: CollectionCreate) -> tuple[StoredCollection, str]:
        drafts = tuple(ItemDraft(
            doc_id=i.doc_id, title=i.title, note=i.note or None, metadata=i.metadata, doc_version=i.doc_version,
            content_hash=i.content_hash, added_at=i.added_at, missing_since=i.missing_since,
            passages=tuple(Passage(**p.model_dump()) for p in i.passages)) for i in body.items)
        return self.store.create(body.title, body.intro or None, drafts)

    def _snapshot(self, doc_id: str, chunk_indexes: list[int]) -> ItemDraft:
        with self.backend.reading():
            first = self._indexed([doc_id]).get(doc_id)
            if first is None:
                raise not_found("documento")
            hits = []
            if chunk_indexes:
                hits = self.backend.scroll(models.Filter(must=[
                    _eq("doc_id", doc_id), _eq("version", first.get("version")),
                    models.FieldCondition(key="chunk_index", match=models.MatchAny(any=chunk_indexes))]),
                    limit=len(chunk_indexes))[0]
        by_index = {int(h.payload.get("chunk_index", -1)): h for h in hits}
        missing = [n for n in chunk_indexes if n not in by_index]
        if missing:
            raise ApiError(404, "non_trovato", f"passaggio non trovato nel documento {doc_id}: "
                           f"{', '.join(map(str, missing))}")
        passages = tuple(Passage(text=str(h.payload.get("text", "")), page_start=h.payload.get("page_start"),
                                       page_end=h.payload.get("page_end"), section=h.payload.get("section") or None,
                                       chunk_id=str(h.id)) for h in (by_index[n] for n in chunk_indexes))
        return ItemDraft(doc_id=doc_id, title=str(first.get("title") or doc_id), passages=passages,
                         metadata=public_metadata(first), doc_version=first.get("version"),
                         content_hash=first.get("content_hash"))

    def add(self, collection_id: str, body: ItemAdd) -> bool:
        """Add a document (and its chosen passages); a document already there gets the new passages and note
        instead of a second item. True when an item was created."""
        collection = self.store.get(collection_id)
        if collection is None:
            raise not_found_f("raccolta")
        draft = self._snapshot(body.doc_id, body.passages)
        existing = next((i for i in collection.items if i.doc_id == body.doc_id), None)
        if existing is not None:
            chosen = {p.chunk_id for p in existing.passages}
            passages = existing.passages + tuple(p for p in draft.passages if p.chunk_id not in chosen)
            if len(passages) > MAX_PASSAGES:
                raise ApiError(409, "troppi_passaggi", f"una voce può avere al massimo {MAX_PASSAGES} passaggi")
            self.store.update_item(collection_id, existing.id, note=body.note or None, passages=passages,
                                   position=body.position)
            return False
        if len(collection.items) >= MAX_ITEMS:
            raise ApiError(409, "raccolta_piena", f"la raccolta ha già {MAX_ITEMS} voci, il massimo")
        draft = replace(draft, note=body.note or None)
        if self.store.add_item(collection_id, draft, body.position) is None:
            raise not_found_f("raccolta")
        return True

    # what other parts get

    def export(self, view: CollectionView, now: dt.datetime) -> CollectionExport:
        c = view.collection
        return CollectionExport(
            format=EXPORT_FORMAT, format_version=EXPORT_VERSION, title=c.title, intro=c.intro,
            created_at=c.created_at, updated_at=c.updated_at, exported_at=now,
            items=[ExportedItem(doc_id=i.doc_id, title=i.title, note=i.note, metadata=i.metadata,
                                doc_version=i.doc_version, content_hash=i.content_hash, added_at=i.added_at,
                                missing_since=i.missing_since,
                                passages=[ExportedPassage(**vars(p)) for p in i.passages])
                   for i in c.items])


def collection_urls(base_url: str, collection_id: str) -> dict[str, Any]:
    base = base_url.rstrip("/")
    return {"url": f"{base}/raccolte/{collection_id}", "page_url": f"{base}/ui/raccolte/{collection_id}",
            "export_url": f"{base}/raccolte/{collection_id}/esporta",
            "dossier_urls": {fmt: f"{base}/raccolte/{collection_id}/dossier.{fmt}" for fmt in DOSSIER_FORMATS}}


def render(view: CollectionView, base_url: str) -> dict[str, Any]:
    """A collection as the JSON answers and the page show it (`CollectionOut`)."""
    c = view.collection
    items = []
    for position, v in enumerate(view.items):
        here = v.status != "eliminato"
        items.append({
            "id": v.item.id, "position": position, "doc_id": v.item.doc_id, "title": v.item.title,
            "note": v.item.note, "metadata": v.item.metadata, "added_at": v.item.added_at, "status": v.status,
            "status_note": v.status_note, "url": document_url(base_url, v.item.doc_id) if here else None,
            "file_url": file_url(base_url, v.item.doc_id) if here else None,
            "passages": [{**vars(p), "url": file_url(base_url, v.item.doc_id, p.page_start) if here else None}
                         for p in v.item.passages]})
    return {"id": c.id, "title": c.title, "intro": c.intro, "created_at": c.created_at, "updated_at": c.updated_at,
            "count": len(items), "items": items, **collection_urls(base_url, c.id)}
