"""Document ids: one policy for files ingested from disk (`kb ingest`) and for uploads (`POST /documents`).

1. An explicit `doc_id` (upload metadata, front matter, sidecar) is the id: that document is replaced.
2. Otherwise the id is the slug of the file name: `Delibera CER 2024.pdf` -> `delibera-cer-2024`.
3. If that slug belongs to another document, the id is the slug plus the first 6 hex digits of the file's content
   hash (SHA-256 of its bytes, the `content_hash` stored with every chunk): `delibera-cer-2024-3fa9c1`; 12, then
   24 digits if that id belongs to another document too. So nobody overwrites another document by file name, and
   the same name with the same bytes gets the same id from either caller: a re-submission meets the duplicate
   detection there and is reported as a duplicate of the document that has those bytes.
4. A source that already holds an id of that name keeps it (`kept`): a file re-ingested from the same path updates
   its document in place, even when its suffix came from an earlier content (or from the former rule, a hash of
   the path).

Who "another document" is depends on who submits, so the caller answers `is_free`: for files on disk, a document
from another path (or claimed by another file earlier in the same run); for uploads, any document with chunks in
the index or still queued, since an upload has no lasting identity and replaces a document only by naming its
`doc_id`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ingest.prepare import slugify

SUFFIX_LENGTHS = (6, 12, 24)  # hex digits of the content hash; slug (<= 100) + "-" + 24 fits the 128 of an id


class DocIdTaken(ValueError):
    """Every id the policy allows for this file belongs to another document (only a deliberate choice of explicit
    ids can cause it): the submitter has to name a `doc_id`."""


def base_id(file_name: str) -> str:
    """The id a file gets from its name alone: the slug of its name without the extension."""
    return slugify(Path(file_name).stem)


def candidate_ids(file_name: str, content_hash: str) -> list[str]:
    """The ids the policy tries for a file without an explicit `doc_id`, in order."""
    base = base_id(file_name)
    return [base, *(f"{base}-{content_hash[:n]}" for n in SUFFIX_LENGTHS)]


def named_after(base: str, doc_id: str) -> bool:
    """Whether `doc_id` is the id of a file named `base` under this policy or the former one: `base` or
    `base-<hex>`."""
    return doc_id == base or re.fullmatch(rf"{re.escape(base)}-[0-9a-f]{{6,24}}", doc_id) is not None


def document_id(file_name: str, content_hash: str, *, is_free: Callable[[str], bool], explicit: str | None = None,
                kept: Callable[[str], str | None] | None = None) -> str:
    """The id of a submitted file (rules in the module docstring).

    `is_free(id)`: no other document holds `id` (free, or held by this same source). `kept(base)`: the id this same
    source already holds among those named after `base`, if any; asked only when `base` itself is not free.
    Raises `DocIdTaken` when every candidate belongs to another document."""
    if explicit:
        return explicit
    base, *suffixed = candidate_ids(file_name, content_hash)
    if is_free(base):
        return base
    previous = kept(base) if kept is not None else None
    if previous is not None:
        return previous
    for candidate in suffixed:
        if is_free(candidate):
            return candidate
    raise DocIdTaken(f"il nome {base} e le sue varianti sono già usati da altri documenti: indicare un doc_id")
