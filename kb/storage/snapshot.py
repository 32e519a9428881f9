"""One version of every document for the length of a search.

A search is several calls to the index (the lexical list, the semantic list, the page's passages). A replacement
(write the new version, delete the old one) landing between two of them showed a reader half of each, or neither:
during replacements 0.1-0.4% of searches left the document out, once answering `total: 1, results: []`. A search
reads inside `reading()`, a replacement writes inside `writing()`: many searches at once, or one write, never both.

Writers go first: once a write waits, new searches wait behind it, so a steady stream of searches cannot starve an
upload. Reading is re-entrant per thread (one request may run several searches, e.g. the normative overview) so a
waiting writer cannot deadlock a reader that is already inside.

The gate is per process: it covers Qdrant Edge entirely (one process per index) and a server's readers in the
process that writes; replicas writing to a shared server see the server's own per-call consistency.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class VersionGate:
    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer: int | None = None  # the thread writing
        self._writers_waiting = 0
        self._mine = threading.local()  # this thread's reading depth

    @contextmanager
    def reading(self) -> Iterator[None]:
        depth = getattr(self._mine, "depth", 0)
        if depth == 0:
            with self._cond:
                self._cond.wait_for(lambda: self._writer is None and not self._writers_waiting)
                self._readers += 1
        self._mine.depth = depth + 1
        try:
            yield
        finally:
            self._mine.depth = depth
            if depth == 0:
                with self._cond:
                    self._readers -= 1
                    if not self._readers:
                        self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Exclusive; re-entrant for the writing thread (an atomic step may contain another)."""
        if getattr(self._mine, "depth", 0):
            raise RuntimeError("a search cannot write to the index it is reading")
        if self._writer == threading.get_ident():
            yield
            return
        with self._cond:
            self._writers_waiting += 1
            try:
                self._cond.wait_for(lambda: self._writer is None and not self._readers)
            finally:
                self._writers_waiting -= 1
            self._writer = threading.get_ident()
        try:
            yield
        finally:
            with self._cond:
                self._writer = None
                self._cond.notify_all()
