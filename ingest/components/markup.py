"""Shared helpers of the structured converters (DOCX, ODT, HTML).

`to_markdown` turns (heading level, text) blocks into Markdown-like text, so the chunker sees the document's
structure whatever the source format. `convert_each` is the per-file loop every converter shares: convert, or log,
record the failure with its reason and go on with the next file.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from haystack import Document
from haystack.components.converters.utils import get_bytestream_from_source
from haystack.dataclasses import ByteStream

logger = logging.getLogger(__name__)
_SPACES = re.compile(r"\s+")


def to_markdown(blocks: Iterable[tuple[int, str]]) -> str:
    lines: list[str] = []
    for level, text in blocks:
        text = _SPACES.sub(" ", text).strip()
        if not text:
            continue
        lines.append(f"{'#' * min(level, 6)} {text}" if level > 0 else text)
    return "\n\n".join(lines)


def convert_each(sources: list[str | Path | ByteStream], label: str,
                 convert: Callable[[ByteStream], tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """`convert` returns (text, extra metadata) for one file; a failure is reported, never raised."""
    documents, failures = [], []
    for source in map(get_bytestream_from_source, sources):
        try:
            text, extra = convert(source)
            documents.append(Document(content=text, meta={**source.meta, **extra}))
        except Exception as exc:
            logger.warning("Could not read %s. Skipping it. Error: %s", source.meta.get("file_path"), exc)
            failures.append({"file_path": str(source.meta.get("file_path")), "error": f"{label} illeggibile: {exc}"})
    return {"documents": documents, "failures": failures}
