"""HTML -> Document keeping headings and dropping page chrome (nav, header, footer, scripts, styles)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from haystack import Document, component
from haystack.components.converters.utils import get_bytestream_from_source
from haystack.dataclasses import ByteStream

from ingest.components.markup import to_markdown

logger = logging.getLogger(__name__)
_DROP = ("script", "style", "nav", "header", "footer", "aside", "noscript", "form", "svg", "iframe")
_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "pre", "blockquote", "dt", "dd", "caption")


@component
class HtmlConverter:
    @component.output_types(documents=list[Document], failures=list[dict[str, str]])
    def run(self, sources: list[str | Path | ByteStream]) -> dict[str, Any]:
        from bs4 import BeautifulSoup

        documents, failures = [], []
        for source in map(get_bytestream_from_source, sources):
            try:
                soup = BeautifulSoup(source.data, "lxml")
                for tag in soup(_DROP):
                    tag.decompose()
                root = soup.find("main") or soup.find("article") or soup.body or soup
                blocks: list[tuple[int, str]] = []
                for el in root.find_all(_BLOCKS):
                    if el.find_parent(_BLOCKS):  # nested block: its text is in the parent already
                        continue
                    level = int(el.name[1]) if el.name[0] == "h" and el.name[1:].isdigit() else 0
                    if el.name == "tr":
                        text = " | ".join(cell.get_text(" ", strip=True) for cell in el.find_all(["td", "th"]))
                    else:  # inline tags join without spaces ("<b>CAM</b>: il" -> "CAM: il"); to_markdown folds spaces
                        text = el.get_text()
                    blocks.append((level, text))
                meta = dict(source.meta)
                if soup.title and soup.title.string and not meta.get("title"):
                    meta["html_title"] = soup.title.string.strip()
                documents.append(Document(content=to_markdown(blocks), meta=meta))
            except Exception as exc:
                logger.warning("Could not read %s. Skipping it. Error: %s", source.meta.get("file_path"), exc)
                failures.append({"file_path": str(source.meta.get("file_path")), "error": f"HTML illeggibile: {exc}"})
        return {"documents": documents, "failures": failures}
