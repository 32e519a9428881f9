"""Originals served from one open file handle, so a replacement or deletion racing the read cannot break it.

Starlette's FileResponse stats the path, then opens it again (per range) while sending: a document deleted in
between answered 500 ("File at path ... does not exist"), and one replaced in between sent the new file's bytes
under the old Content-Length. Here the file is opened once, before the answer starts; its size and validators come
from that handle, and every byte sent is read from it. Originals are replaced by rename and deleted by unlink,
never rewritten in place, so an open handle keeps the version it opened until it is closed. A file that vanished
before it could be opened is a 404.
"""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, BinaryIO

import anyio
from starlette.responses import FileResponse
from starlette.types import Receive, Scope, Send

from ingest.service import stored_originals

PATHSEND = "http.response.pathsend"  # a server extension that sends by path: never used here


def open_original(files_path: Path, doc_id: str, attempts: int = 3) -> tuple[BinaryIO, Path] | None:
    """The document's stored original, opened; None when it has none. A file replaced (another extension) or
    deleted between the listing and the open is looked up again."""
    for _ in range(attempts):
        stored = stored_originals(files_path, doc_id)
        if not stored:
            return None
        try:
            handle = stored[0].open("rb")
        except FileNotFoundError:
            continue
        if stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return handle, stored[0]
        handle.close()
        return None
    return None


class OpenFileResponse(FileResponse):
    """A FileResponse (ranges, ETag, Last-Modified, Content-Disposition) over an already open file."""

    def __init__(self, handle: BinaryIO, path: Path, *, media_type: str, filename: str,
                 headers: Mapping[str, str] | None = None, content_disposition_type: str = "inline") -> None:
        self._handle = handle
        super().__init__(path, headers=headers, media_type=media_type, filename=filename,
                         stat_result=os.fstat(handle.fileno()), content_disposition_type=content_disposition_type)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        extensions = {k: v for k, v in (scope.get("extensions") or {}).items() if k != PATHSEND}
        try:
            await super().__call__({**scope, "extensions": extensions}, receive, send)
        finally:
            self._handle.close()

    @asynccontextmanager
    async def _open_file(self) -> AsyncIterator[Any]:
        """The handle opened by the route, from its start (each range seeks where it needs)."""
        self._handle.seek(0)
        yield anyio.wrap_file(self._handle)
