"""Shared helper of the structured converters: blocks of (heading level, text) -> Markdown-like text.

Headings become `#` lines so the chunker sees the document's structure whatever the source format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SPACES = re.compile(r"\s+")


def to_markdown(blocks: Iterable[tuple[int, str]]) -> str:
    lines: list[str] = []
    for level, text in blocks:
        text = _SPACES.sub(" ", text).strip()
        if not text:
            continue
        lines.append(f"{'#' * min(level, 6)} {text}" if level > 0 else text)
    return "\n\n".join(lines)
