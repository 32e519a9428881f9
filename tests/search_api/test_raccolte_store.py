"""The collections' SQLite store alone: CRUD, order, keys, migrations from an older file, and the JSON round trip."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from search_api.raccolte.schemas import CollectionCreate, CollectionExport
from search_api.raccolte.service import CollectionService, CollectionView, ItemView
from search_api.raccolte.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    CollectionStore,
    ItemDraft,
    NewerSchemaError,
    Passage,
    hash_key,
    migrate,
)

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def _draft(doc_id: str, **extra: object) -> ItemDraft:
    return ItemDraft(doc_id=doc_id, title=f"Titolo di {doc_id}", metadata={"comune": "Valfonda", "sdg": [7]},
                     doc_version="v1", content_hash=f"hash-{doc_id}", **extra)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CollectionStore]:
    opened = CollectionStore(tmp_path / "raccolte.sqlite3", clock=lambda: NOW)
    yield opened
    opened.close()


def _order(store: CollectionStore, collection_id: str) -> list[str]:
    collection = store.get(collection_id)
    assert collection is not None
    return [i.doc_id for i in collection.items]


def test_create_read_rename_delete(store: CollectionStore) -> None:
    created, key = store.create("Comunità energetiche", "Esperienze dei piccoli comuni")
    assert len(created.id) == 12 and len(key) >= 32 and created.items == ()
    assert created.created_at == created.updated_at == NOW
    assert store.update(created.id, title="CER in montagna")
    assert store.update(created.id, intro=None, clear_intro=True)
    renamed = store.get(created.id)
    assert renamed is not None and (renamed.title, renamed.intro) == ("CER in montagna", None)
    assert store.delete(created.id) and store.get(created.id) is None
    assert not store.delete(created.id) and not store.update(created.id, title="x")


def test_the_edit_key_is_kept_only_as_its_hash(store: CollectionStore) -> None:
    created, key = store.create("Raccolta")
    other, other_key = store.create("Altra")
    assert store.key_matches(created.id, key)
    assert not store.key_matches(created.id, other_key) and not store.key_matches(other.id, key)
    assert not store.key_matches(created.id, None) and not store.key_matches("inesistente", key)
    rows = sqlite3.connect(store.path).execute("SELECT key_hash FROM collections").fetchall()
    assert {r[0] for r in rows} == {hash_key(key), hash_key(other_key)}
    assert key.encode() not in store.path.read_bytes()


def test_items_keep_their_order_through_adds_moves_and_removals(store: CollectionStore) -> None:
    created, _ = store.create("Ordine")
    ids = {name: store.add_item(created.id, _draft(name)) for name in ("a", "b", "c")}
    assert _order(store, created.id) == ["a", "b", "c"]
    store.add_item(created.id, _draft("d"), position=0)
    store.add_item(created.id, _draft("e"), position=99)  # past the end: last
    assert _order(store, created.id) == ["d", "a", "b", "c", "e"]
    assert store.update_item(created.id, int(ids["c"] or 0), position=1)
    assert _order(store, created.id) == ["d", "c", "a", "b", "e"]
    assert store.update_item(created.id, int(ids["a"] or 0), position=1000)
    assert _order(store, created.id) == ["d", "c", "b", "e", "a"]
    assert store.remove_item(created.id, int(ids["b"] or 0))
    assert _order(store, created.id) == ["d", "c", "e", "a"]
    assert not store.remove_item(created.id, int(ids["b"] or 0)), "already gone"
    other, _ = store.create("Altra")
    assert not store.update_item(other.id, int(ids["a"] or 0), note="nota"), "an item of another collection"
    assert store.add_item("inesistente", _draft("x")) is None


def test_notes_and_passages_of_an_item(store: CollectionStore) -> None:
    created, _ = store.create("Note")
    passage = Passage(text="Il comune ha installato 120 kW sul tetto della scuola.", page_start=3, page_end=4,
                      section="Risultati", chunk_id="c-1")
    item_id = int(store.add_item(created.id, _draft("a", note="Da citare al convegno", passages=(passage,))) or 0)
    item = store.get(created.id).items[0]  # type: ignore[union-attr]
    assert (item.note, item.passages, item.metadata) == ("Da citare al convegno", (passage,),
                                                          {"comune": "Valfonda", "sdg": [7]})
    store.update_item(created.id, item_id, note="Nota nuova")
    assert store.get(created.id).items[0].note == "Nota nuova"  # type: ignore[union-attr]
    store.update_item(created.id, item_id, clear_note=True)
    assert store.get(created.id).items[0].note is None  # type: ignore[union-attr]


def test_deleting_a_collection_deletes_its_items(store: CollectionStore) -> None:
    created, _ = store.create("Da eliminare")
    store.add_item(created.id, _draft("a"))
    store.delete(created.id)
    assert sqlite3.connect(store.path).execute("SELECT count(*) FROM items").fetchone()[0] == 0


def test_missing_since_keeps_the_first_day(store: CollectionStore) -> None:
    created, _ = store.create("Assenze")
    item_id = int(store.add_item(created.id, _draft("a")) or 0)
    store.note_missing([item_id], dt.date(2026, 11, 21))
    store.note_missing([item_id], dt.date(2026, 11, 25))
    assert store.get(created.id).items[0].missing_since == dt.date(2026, 11, 21)  # type: ignore[union-attr]
    store.note_present([item_id])
    assert store.get(created.id).items[0].missing_since is None  # type: ignore[union-attr]


def test_it_survives_closing_and_reopening(tmp_path: Path) -> None:
    first = CollectionStore(tmp_path / "r.sqlite3")
    created, key = first.create("Persistente")
    first.add_item(created.id, _draft("a"))
    first.close()
    again = CollectionStore(tmp_path / "r.sqlite3")
    reopened = again.get(created.id)
    assert reopened is not None and [i.doc_id for i in reopened.items] == ["a"] and again.key_matches(created.id, key)
    assert again._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_an_old_database_is_upgraded_with_its_data(tmp_path: Path) -> None:
    """A file written at version 1 (before items remembered when their document went missing) opens, is migrated
    to the current version, and keeps its collections and items."""
    path = tmp_path / "vecchio.sqlite3"
    old = sqlite3.connect(path)
    assert migrate(old, target=1) == 0
    old.execute("INSERT INTO collections VALUES ('vecchia-raccolta', 'Del 2025', NULL, ?, ?, ?)",
                (hash_key("chiave-vecchia"), NOW.isoformat(), NOW.isoformat()))
    old.execute("INSERT INTO items (collection_id, position, doc_id, title, added_at) VALUES "
                "('vecchia-raccolta', 0, 'cer-montagna', 'CER in montagna', ?)", (NOW.isoformat(),))
    old.commit()
    assert [c[1] for c in old.execute("PRAGMA table_info(items)")].count("missing_since") == 0
    old.close()
    store = CollectionStore(path)
    assert store._db.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
    upgraded = store.get("vecchia-raccolta")
    assert upgraded is not None and upgraded.items[0].doc_id == "cer-montagna"
    assert upgraded.items[0].missing_since is None and store.key_matches("vecchia-raccolta", "chiave-vecchia")
    store.note_missing([upgraded.items[0].id], dt.date(2026, 11, 24))  # the new column works
    store.close()


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "futuro.sqlite3"
    CollectionStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    db.commit()
    db.close()
    with pytest.raises(NewerSchemaError, match="aggiornare il servizio"):
        CollectionStore(path)


def test_json_export_round_trip(store: CollectionStore) -> None:
    """Export -> JSON text -> POST body -> a new collection whose export is the same (but for the timestamps of the
    collection itself): titles, notes, passages, metadata, versions, dates of items and their order."""
    created, _ = store.create("Da esportare", "Introduzione con accenti: perché, città")
    passage = Passage(text="Passaggio scelto.", page_start=2, page_end=2, section="Sintesi", chunk_id="c-9")
    store.add_item(created.id, _draft("b", note="seconda", passages=(passage,)))
    store.add_item(created.id, _draft("a", missing_since=dt.date(2026, 11, 22)), position=0)
    service = CollectionService(store, backend=None)

    def exported(collection_id: str) -> CollectionExport:
        collection = store.get(collection_id)
        assert collection is not None
        view = CollectionView(collection, tuple(ItemView(i, "presente") for i in collection.items))
        return service.export(view, NOW)

    first = exported(created.id)
    text = first.model_dump_json()
    imported, key = service.create(CollectionCreate.model_validate_json(text))
    assert imported.id != created.id and store.key_matches(imported.id, key)
    again = exported(imported.id)
    assert again.model_dump(exclude={"created_at", "updated_at"}) == first.model_dump(
        exclude={"created_at", "updated_at"})
    assert [i.doc_id for i in again.items] == ["a", "b"] and again.items[1].passages[0].chunk_id == "c-9"
    assert again.items[0].missing_since == dt.date(2026, 11, 22)


def test_replicas_can_share_one_file(tmp_path: Path) -> None:
    """Service replicas on one host share the file (docker-compose's cluster profile): opening it together migrates it
    once, and each sees and keeps the other's writes, order included."""
    path = tmp_path / "condiviso.sqlite3"
    opened: list[CollectionStore] = []
    starters = [threading.Thread(target=lambda: opened.append(CollectionStore(path))) for _ in range(4)]
    for thread in starters:
        thread.start()
    for thread in starters:
        thread.join()
    assert len(opened) == 4
    first, second = opened[0], opened[1]
    created, key = first.create("Condivisa")
    ids = [second.add_item(created.id, _draft(name)) for name in ("a", "b", "c")]
    assert _order(first, created.id) == ["a", "b", "c"] and first.key_matches(created.id, key)
    first.update_item(created.id, int(ids[2] or 0), position=0)
    second.add_item(created.id, _draft("d"), position=1)
    assert _order(first, created.id) == _order(second, created.id) == ["c", "d", "a", "b"]
    for store in opened:
        store.close()
