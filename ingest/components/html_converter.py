"""HTML -> Document keeping headings and dropping page chrome (nav, header, footer, scripts, styles)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from haystack import Document, component
from haystack.dataclasses import ByteStream

from ingest.components.markup import convert_each, to_markdown

_DROP = ("script", "style", "nav", "header", "footer", "aside", "noscript", "form", "svg", "iframe")
_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "pre", "blockquote", "dt", "dd", "caption")


@component
class HtmlConverter:
    @component.output_types(documents=list[Document], failures=list[dict[str, str]])
    def run(self, sources: list[str | Path | ByteStream]) -> dict[str, Any]:
        return convert_each(sources, "HTML", _convert)


def _convert(source: ByteStream) -> tuple[str, dict[str, Any]]:
    from bs4 import BeautifulSoup

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
    extra = {"html_title": soup.title.string.strip()} if soup.title and soup.title.string else {}
    return to_markdown(blocks), extra
