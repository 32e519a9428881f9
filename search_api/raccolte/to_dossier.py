"""A collection as the dossier export reads it (the contract in search_api/dossier/model.py)."""

from __future__ import annotations

from search_api.dossier.model import ChosenPassage, CollectionRef, ItemRef
from search_api.raccolte.service import CollectionView


def collection_ref(view: CollectionView) -> CollectionRef:
    """Snapshots in order, each with the note that says if its document was deleted or replaced since."""
    c = view.collection
    items = tuple(ItemRef(doc_id=v.item.doc_id, title=v.item.title, note=v.item.note,
                          passages=tuple(ChosenPassage(**vars(p)) for p in v.item.passages),
                          metadata_snapshot=dict(v.item.metadata), status_note=v.status_note) for v in view.items)
    return CollectionRef(id=c.id, title=c.title, intro=c.intro, items=items, created_at=c.created_at,
                         updated_at=c.updated_at)
