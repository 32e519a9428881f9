"""DOCX -> Document keeping headings (Haystack's DOCXToDocument flattens them, and chunking needs them)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from haystack import Document, component
from haystack.dataclasses import ByteStream

from ingest.components.markup import convert_each, to_markdown

_HEADING = re.compile(r"^(?:heading|titolo)\s*(\d)$", re.IGNORECASE)


@component
class DocxConverter:
    @component.output_types(documents=list[Document], failures=list[dict[str, str]])
    def run(self, sources: list[str | Path | ByteStream]) -> dict[str, Any]:
        return convert_each(sources, "DOCX", _convert)


def _convert(source: ByteStream) -> tuple[str, dict[str, Any]]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks: list[tuple[int, str]] = []
    for item in docx.Document(io.BytesIO(source.data)).iter_inner_content():
        if isinstance(item, Paragraph):
            blocks.append((_level(item.style.name if item.style else ""), item.text))
        elif isinstance(item, Table):
            blocks.extend((0, " | ".join(cell.text.strip() for cell in row.cells)) for row in item.rows)
    return to_markdown(blocks), {}


def _level(style: str) -> int:
    if style.lower() == "title":
        return 1
    match = _HEADING.match(style.strip())
    return int(match.group(1)) + 1 if match else 0
