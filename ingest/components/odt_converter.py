"""ODT (OpenDocument text, LibreOffice's format, common in Italian PA) -> Document; Haystack has no converter."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from haystack import Document, component
from haystack.components.converters.utils import get_bytestream_from_source
from haystack.dataclasses import ByteStream

from ingest.components.markup import to_markdown

logger = logging.getLogger(__name__)


@component
class OdtConverter:
    @component.output_types(documents=list[Document], failures=list[dict[str, str]])
    def run(self, sources: list[str | Path | ByteStream]) -> dict[str, Any]:
        from odf import teletype
        from odf.opendocument import load

        documents, failures = [], []
        for source in map(get_bytestream_from_source, sources):
            try:
                odt = load(io.BytesIO(source.data))
                blocks = list(_walk(odt.text, teletype))
                documents.append(Document(content=to_markdown(blocks), meta=dict(source.meta)))
            except Exception as exc:
                logger.warning("Could not read %s. Skipping it. Error: %s", source.meta.get("file_path"), exc)
                failures.append({"file_path": str(source.meta.get("file_path")), "error": f"ODT illeggibile: {exc}"})
        return {"documents": documents, "failures": failures}


def _walk(node: Any, teletype: Any) -> Any:
    """Headings and paragraphs in document order (tables and lists are walked through)."""
    from odf.namespaces import TEXTNS

    for child in node.childNodes:
        if child.qname == (TEXTNS, "h"):
            level = int(child.attributes.get((TEXTNS, "outline-level")) or 1)
            yield level, teletype.extractText(child)
        elif child.qname == (TEXTNS, "p"):
            yield 0, teletype.extractText(child)
        elif getattr(child, "childNodes", None):
            yield from _walk(child, teletype)
