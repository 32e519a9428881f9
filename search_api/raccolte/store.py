"""Collections stored durably beside the index: one SQLite file (standard library, WAL), owned by this module.

The schema lives here only, as ordered migrations: `MIGRATIONS[n]` takes a database from version n to n + 1 and the
`schema_version` table says where a file stands, so a database written by an older release is upgraded when opened
(and a newer one is refused rather than misread). Items are snapshots (title, metadata, chosen passages, the
version and content hash of the document when added): a collection keeps them whatever happens to the index.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Clock = Callable[[], dt.datetime]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _v1(db: sqlite3.Connection) -> None:
    db.execute("""CREATE TABLE collections (
        id TEXT PRIMARY KEY, title TEXT NOT NULL, intro TEXT, key_hash TEXT NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL)""")
    db.execute("""CREATE TABLE items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        position INTEGER NOT NULL, doc_id TEXT NOT NULL, title TEXT NOT NULL, note TEXT,
        passages TEXT NOT NULL DEFAULT '[]', metadata TEXT NOT NULL DEFAULT '{}',
        doc_version TEXT, content_hash TEXT, added_at TEXT NOT NULL)""")
    db.execute("CREATE INDEX items_by_collection ON items(collection_id, position)")


def _v2(db: sqlite3.Connection) -> None:
    """When the service first found an item's document gone from the index (the date its note shows)."""
    db.execute("ALTER TABLE items ADD COLUMN missing_since TEXT")
    db.execute("CREATE INDEX items_by_document ON items(doc_id)")


# MIGRATIONS[n] upgrades version n to n + 1; append, never edit a released one
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1, _v2)
SCHEMA_VERSION = len(MIGRATIONS)


class NewerSchemaError(RuntimeError):
    """The file was written by a newer release: opening it here could lose what that release stores."""


def migrate(db: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring `db` to `target` in one immediate transaction (two processes starting at once: the second waits, then
    finds the work done); returns the version it was at."""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = db.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            db.execute("INSERT INTO schema_version (version) VALUES (0)")
        found = int(row[0]) if row else 0
        if found > SCHEMA_VERSION:
            raise NewerSchemaError(f"archivio delle raccolte alla versione {found}, questo servizio conosce fino "
                                   f"alla {SCHEMA_VERSION}: aggiornare il servizio")
        for version in range(found, target):
            MIGRATIONS[version](db)
            db.execute("UPDATE schema_version SET version = ?", (version + 1,))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return found


@dataclass(frozen=True)
class Passage:
    """A passage chosen from a document, copied when chosen (the dossier's `ChosenPassage` has the same fields)."""

    text: str
    page_start: int | None = None
    page_end: int | None = None
    section: str | None = None
    chunk_id: str | None = None


@dataclass(frozen=True)
class ItemDraft:
    """What an item is made of when it is added (or imported)."""

    doc_id: str
    title: str
    note: str | None = None
    passages: tuple[Passage, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    doc_version: str | None = None
    content_hash: str | None = None
    added_at: dt.datetime | None = None  # None: now
    missing_since: dt.date | None = None


@dataclass(frozen=True)
class StoredItem:
    id: int
    doc_id: str
    title: str
    note: str | None
    passages: tuple[Passage, ...]
    metadata: dict[str, Any]
    doc_version: str | None
    content_hash: str | None
    added_at: dt.datetime
    missing_since: dt.date | None


@dataclass(frozen=True)
class StoredCollection:
    id: str
    title: str
    intro: str | None
    items: tuple[StoredItem, ...]
    created_at: dt.datetime
    updated_at: dt.datetime


def hash_key(key: str) -> str:
    """Edit keys are random 192-bit tokens: a plain SHA-256 is enough to keep them out of the file."""
    return hashlib.sha256(key.encode()).hexdigest()


def _passages_json(passages: tuple[Passage, ...]) -> str:
    return json.dumps([vars(p) for p in passages], ensure_ascii=False)


def _item(row: sqlite3.Row) -> StoredItem:
    return StoredItem(
        id=int(row["id"]), doc_id=row["doc_id"], title=row["title"], note=row["note"],
        passages=tuple(Passage(**p) for p in json.loads(row["passages"])),
        metadata=json.loads(row["metadata"]), doc_version=row["doc_version"], content_hash=row["content_hash"],
        added_at=dt.datetime.fromisoformat(row["added_at"]),
        missing_since=dt.date.fromisoformat(row["missing_since"]) if row["missing_since"] else None)


class CollectionStore:
    """Thread-safe (one connection behind a lock: FastAPI runs sync routes in a thread pool)."""

    def __init__(self, path: Path, clock: Clock = _now) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self._clock, self._lock = path, clock, threading.RLock()
        # transactions are explicit (`_tx`): replicas of the service may share the file (one host, one volume)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        migrate(self._db)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, taken before its first read (another process cannot change the order it reads)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # collections

    def create(self, title: str, intro: str | None = None, items: tuple[ItemDraft, ...] = ()
               ) -> tuple[StoredCollection, str]:
        """A new collection and its edit key, which is returned here only (the file keeps its hash)."""
        key, now = secrets.token_urlsafe(24), self._clock().isoformat()
        with self._tx() as db:
            while True:
                collection_id = secrets.token_urlsafe(9)  # unguessable: the public link is the id
                if not db.execute("SELECT 1 FROM collections WHERE id = ?", (collection_id,)).fetchone():
                    break
            db.execute("INSERT INTO collections (id, title, intro, key_hash, created_at, updated_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (collection_id, title, intro, hash_key(key), now, now))
            for position, draft in enumerate(items):
                self._insert(db, collection_id, position, draft)
        collection = self.get(collection_id)
        if collection is None:  # deleted by another request between the two statements
            raise LookupError(collection_id)
        return collection, key

    def get(self, collection_id: str) -> StoredCollection | None:
        with self._lock:
            self._db.execute("BEGIN")  # one snapshot for both reads
            try:
                row = self._db.execute("SELECT * FROM collections WHERE id = ?", (collection_id,)).fetchone()
                items = self._db.execute("SELECT * FROM items WHERE collection_id = ? ORDER BY position, id",
                                         (collection_id,)).fetchall()
            finally:
                self._db.execute("COMMIT")
        if row is None:
            return None
        return StoredCollection(id=row["id"], title=row["title"], intro=row["intro"],
                                items=tuple(_item(i) for i in items),
                                created_at=dt.datetime.fromisoformat(row["created_at"]),
                                updated_at=dt.datetime.fromisoformat(row["updated_at"]))

    def key_matches(self, collection_id: str, key: str | None) -> bool:
        with self._lock:
            row = self._db.execute("SELECT key_hash FROM collections WHERE id = ?", (collection_id,)).fetchone()
        return bool(row and key) and secrets.compare_digest(hash_key(str(key)), row["key_hash"])

    def update(self, collection_id: str, *, title: str | None = None, intro: str | None = None,
               clear_intro: bool = False) -> bool:
        with self._tx() as db:
            found = db.execute("UPDATE collections SET title = COALESCE(?, title), "
                               "intro = CASE WHEN ? THEN NULL ELSE COALESCE(?, intro) END, updated_at = ? "
                               "WHERE id = ?",
                               (title, clear_intro, intro, self._clock().isoformat(), collection_id)).rowcount
        return bool(found)

    def delete(self, collection_id: str) -> bool:
        with self._tx() as db:
            return bool(db.execute("DELETE FROM collections WHERE id = ?", (collection_id,)).rowcount)

    # items

    def _insert(self, db: sqlite3.Connection, collection_id: str, position: int, draft: ItemDraft) -> int:
        added = (draft.added_at or self._clock()).isoformat()
        cursor = db.execute(
            "INSERT INTO items (collection_id, position, doc_id, title, note, passages, metadata, doc_version, "
            "content_hash, added_at, missing_since) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (collection_id, position, draft.doc_id, draft.title, draft.note, _passages_json(draft.passages),
             json.dumps(draft.metadata, ensure_ascii=False, default=str), draft.doc_version, draft.content_hash,
             added, draft.missing_since.isoformat() if draft.missing_since else None))
        return int(cursor.lastrowid or 0)

    def _order(self, db: sqlite3.Connection, collection_id: str) -> list[int]:
        rows = db.execute("SELECT id FROM items WHERE collection_id = ? ORDER BY position, id", (collection_id,))
        return [int(r[0]) for r in rows]

    def _renumber(self, db: sqlite3.Connection, collection_id: str, order: list[int]) -> None:
        db.executemany("UPDATE items SET position = ? WHERE id = ?", [(p, i) for p, i in enumerate(order)])
        db.execute("UPDATE collections SET updated_at = ? WHERE id = ?", (self._clock().isoformat(), collection_id))

    def add_item(self, collection_id: str, draft: ItemDraft, position: int | None = None) -> int | None:
        """The new item's id (at `position`, default last), None when the collection does not exist."""
        with self._tx() as db:
            if not db.execute("SELECT 1 FROM collections WHERE id = ?", (collection_id,)).fetchone():
                return None
            order = self._order(db, collection_id)
            item_id = self._insert(db, collection_id, len(order), draft)
            at = len(order) if position is None else max(0, min(position, len(order)))
            order.insert(at, item_id)
            self._renumber(db, collection_id, order)
        return item_id

    def update_item(self, collection_id: str, item_id: int, *, note: str | None = None, clear_note: bool = False,
                    position: int | None = None, passages: tuple[Passage, ...] | None = None) -> bool:
        """Note, place (clamped to the list) or passages of an item; False when there is no such item."""
        with self._tx() as db:
            order = self._order(db, collection_id)
            if item_id not in order:
                return False
            if note is not None or clear_note:
                db.execute("UPDATE items SET note = ? WHERE id = ?", (None if clear_note else note, item_id))
            if passages is not None:
                db.execute("UPDATE items SET passages = ? WHERE id = ?", (_passages_json(passages), item_id))
            if position is not None:
                order.remove(item_id)
                order.insert(max(0, min(position, len(order))), item_id)
            self._renumber(db, collection_id, order)
        return True

    def remove_item(self, collection_id: str, item_id: int) -> bool:
        with self._tx() as db:
            order = self._order(db, collection_id)
            if item_id not in order:
                return False
            db.execute("DELETE FROM items WHERE id = ?", (item_id,))
            order.remove(item_id)
            self._renumber(db, collection_id, order)
        return True

    def note_missing(self, item_ids: list[int], since: dt.date) -> None:
        """Record the first day the service found these items' documents gone (kept if already set)."""
        with self._tx() as db:
            db.executemany("UPDATE items SET missing_since = COALESCE(missing_since, ?) WHERE id = ?",
                           [(since.isoformat(), i) for i in item_ids])

    def note_present(self, item_ids: list[int]) -> None:
        """Their documents are back in the index (re-sent): no longer missing."""
        with self._tx() as db:
            db.executemany("UPDATE items SET missing_since = NULL WHERE id = ?", [(i,) for i in item_ids])
