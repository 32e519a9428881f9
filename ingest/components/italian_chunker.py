"""Structure-aware chunking sized to the embedding model's window.

Order of cuts: headings (a chunk never spans two sections), then paragraphs, then Italian sentences, then words
for a sentence longer than the budget. Consecutive chunks of one section overlap by their last sentences. Each
chunk keeps its section heading and page range (pages come from the form feeds PDF conversion leaves).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from haystack import Document, component

from ingest.sentences import split_sentences
from kb.models.base import DenseEmbedder, tuned_chunk_tokens

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")
_PAGE_FURNITURE = re.compile(  # "Pagina 3", "pag. 3 di 5", "- 3 -": footers, not content
    r"^(?:(?:pagina|pag\.?|p\.)\s*\d+(?:\s*(?:di|/)\s*\d+)?|[-–—\s]*\d+[-–—\s]*)$", re.IGNORECASE)
_WS = re.compile(r"\s+")
SPECIAL_TOKENS = 2  # [CLS] and [SEP] are counted once per chunk, not once per sentence


@dataclass
class _Unit:
    text: str
    section: str
    page: int
    tokens: int


@component
class ItalianChunker:
    def __init__(self, embedder: DenseEmbedder, max_tokens: int = 0, overlap_tokens: int = 40) -> None:
        if max_tokens < 0 or overlap_tokens < 0:
            raise ValueError("max_tokens e overlap_tokens devono essere >= 0")
        if max_tokens and overlap_tokens >= max_tokens // 2:
            raise ValueError("overlap_tokens deve essere meno della metà di max_tokens")
        self.embedder, self.requested_max, self.overlap_tokens = embedder, max_tokens, overlap_tokens

    def warm_up(self) -> None:
        self.embedder.warm_up()

    @property
    def max_tokens(self) -> int:
        """The length asked for, else the one tuned for the model, else the model's window less room for the
        prefix and the title/section header the embedder also sees."""
        tuned = tuned_chunk_tokens(self.embedder.name)
        return self.requested_max or tuned or max(64, self.embedder.max_tokens - 16)

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        self.warm_up()
        chunks: list[Document] = []
        for doc in documents:
            chunks.extend(self._chunk(doc))
        return {"documents": chunks}

    def _count(self, text: str) -> int:
        return max(1, self.embedder.count_tokens(text) - SPECIAL_TOKENS)

    def _units(self, doc: Document) -> list[_Unit]:
        paginated = "page_count" in doc.meta
        units: list[_Unit] = []
        section = ""
        for page_no, page in enumerate((doc.content or "").split("\f"), start=1):
            page = _HYPHEN_BREAK.sub(r"\1\2", page)
            for block in re.split(r"\n\s*\n", page):
                lines = [ln.strip() for ln in block.splitlines()
                         if ln.strip() and not (paginated and _PAGE_FURNITURE.match(ln.strip()))]
                paragraph: list[str] = []
                for line in lines:
                    after_sentence = not paragraph or paragraph[-1][-1] in ".:;!?"
                    heading = _HEADING.match(line) or (_pdf_heading(line) if paginated and after_sentence else None)
                    if heading:
                        units.extend(self._sentences(" ".join(paragraph), section, page_no))
                        paragraph = []
                        section = heading.group(2).strip()
                    else:
                        paragraph.append(line)
                units.extend(self._sentences(" ".join(paragraph), section, page_no))
        return units

    def _sentences(self, paragraph: str, section: str, page: int) -> list[_Unit]:
        paragraph = _WS.sub(" ", paragraph).strip()
        if not paragraph:
            return []
        units = []
        for sentence in split_sentences(paragraph):
            tokens = self._count(sentence)
            if tokens <= self.max_tokens - 8:
                units.append(_Unit(sentence, section, page, tokens))
                continue
            words = sentence.split()
            step = max(8, int(len(words) * (self.max_tokens - 16) / tokens))
            for i in range(0, len(words), step):
                piece = " ".join(words[i:i + step])
                units.append(_Unit(piece, section, page, self._count(piece)))
        return units

    def _chunk(self, doc: Document) -> list[Document]:
        title = str(doc.meta.get("title") or "")
        paginated = "page_count" in doc.meta
        chunks: list[list[_Unit]] = []
        current: list[_Unit] = []
        header_cache: dict[str, int] = {}
        for unit in self._units(doc):
            header = header_cache.setdefault(unit.section, self._count(f"{title}. {unit.section}."))
            budget = self.max_tokens - header
            if current and (unit.section != current[0].section or
                            sum(u.tokens for u in current) + unit.tokens > budget):
                chunks.append(current)
                current = self._overlap(current, unit, budget)
            current.append(unit)
        if current:
            chunks.append(current)
        out = []
        for index, units in enumerate(chunks):
            text = " ".join(u.text for u in units)
            section = units[0].section
            meta = {k: v for k, v in doc.meta.items() if k not in ("page_count",)}
            meta.update(chunk_index=index, section=section or None,
                        page_start=units[0].page if paginated else None,
                        page_end=units[-1].page if paginated else None,
                        _index_text=index_text(title, section, text))
            out.append(Document(content=text, meta=meta))
        return out

    def _overlap(self, previous: list[_Unit], nxt: _Unit, budget: int) -> list[_Unit]:
        if previous[-1].section != nxt.section or not self.overlap_tokens:
            return []
        tail: list[_Unit] = []
        for unit in reversed(previous):
            if sum(u.tokens for u in tail) + unit.tokens > self.overlap_tokens:
                break
            tail.insert(0, unit)
        if tail == previous or sum(u.tokens for u in tail) + nxt.tokens > budget:
            return []
        return tail


def index_text(title: str, section: str | None, text: str) -> str:
    """What the embedders see: the chunk with its document title and section (context for short passages)."""
    return f"{title}. {section}. {text}" if section else f"{title}. {text}"


def _pdf_heading(line: str) -> re.Match[str] | None:
    """PDF text has no heading marks: a short line that does not end like prose is taken as a heading."""
    words = line.split()
    if not 1 <= len(words) <= 10 or line[-1] in ".,;:!?-" or not (line[0].isupper() or line[0].isdigit()):
        return None
    if line.replace(".", "").replace(" ", "").isdigit() or "|" in line or "€" in line or line[-1].isdigit():
        return None  # page numbers, table rows and amounts are not headings
    return re.match(r"^()(.+)$", line)
