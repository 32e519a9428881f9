"""Errors that name the file (and the field) so a user can fix the input."""

from __future__ import annotations


class IngestError(Exception):
    """A file that cannot be indexed; `code` is machine-readable, the message is for people (Italian)."""

    def __init__(self, code: str, message: str, source: str = "") -> None:
        super().__init__(f"{source}: {message}" if source else message)
        self.code, self.message, self.source = code, message, source
