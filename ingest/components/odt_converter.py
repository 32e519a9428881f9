"""ODT (OpenDocument text, LibreOffice's format, common in Italian PA) -> Document; Haystack has no converter."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from haystack import Document, component
from haystack.dataclasses import ByteStream

from ingest.components.markup import convert_each, to_markdown


@component
class OdtConverter:
    @component.output_types(documents=list[Document], failures=list[dict[str, str]])
    def run(self, sources: list[str | Path | ByteStream]) -> dict[str, Any]:
        return convert_each(sources, "ODT", _convert)


def _convert(source: ByteStream) -> tuple[str, dict[str, Any]]:
    from odf.opendocument import load

    return to_markdown(_walk(load(io.BytesIO(source.data)).text)), {}


def _walk(node: Any) -> Iterator[tuple[int, str]]:
    """Headings and paragraphs in document order (tables and lists are walked through)."""
    from odf import teletype
    from odf.namespaces import TEXTNS

    for child in node.childNodes:
        if child.qname == (TEXTNS, "h"):
            level = int(child.attributes.get((TEXTNS, "outline-level")) or 1)
            yield level, teletype.extractText(child)
        elif child.qname == (TEXTNS, "p"):
            yield 0, teletype.extractText(child)
        elif getattr(child, "childNodes", None):
            yield from _walk(child)
