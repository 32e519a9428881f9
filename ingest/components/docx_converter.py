"""DOCX -> Document keeping headings (Haystack's DOCXToDocument flattens them, and chunking needs them)."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path
from typing import Any

from haystack import Document, component
from haystack.components.converters.utils import get_bytestream_from_source
from haystack.dataclasses import ByteStream

from ingest.components.markup import to_markdown

logger = logging.getLogger(__name__)
_HEADING = re.compile(r"^(?:heading|titolo)\s*(\d)$", re.IGNORECASE)


@component
class DocxConverter:
    @component.output_types(documents=list[Document], failures=list[dict[str, str]])
    def run(self, sources: list[str | Path | ByteStream]) -> dict[str, Any]:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        documents, failures = [], []
        for source in map(get_bytestream_from_source, sources):
            try:
                doc = docx.Document(io.BytesIO(source.data))
                blocks: list[tuple[int, str]] = []
                for item in doc.iter_inner_content():
                    if isinstance(item, Paragraph):
                        blocks.append((_level(item.style.name if item.style else ""), item.text))
                    elif isinstance(item, Table):
                        for row in item.rows:
                            blocks.append((0, " | ".join(cell.text.strip() for cell in row.cells)))
                documents.append(Document(content=to_markdown(blocks), meta=dict(source.meta)))
            except Exception as exc:
                logger.warning("Could not read %s. Skipping it. Error: %s", source.meta.get("file_path"), exc)
                failures.append({"file_path": str(source.meta.get("file_path")), "error": f"DOCX illeggibile: {exc}"})
        return {"documents": documents, "failures": failures}


def _level(style: str) -> int:
    if style.lower() == "title":
        return 1
    match = _HEADING.match(style.strip())
    return int(match.group(1)) + 1 if match else 0
