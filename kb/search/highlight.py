"""Highlighted snippets: the passage window densest in query terms, with every variant of those terms marked.

Matching goes through the same Italian analyzer as the index, so `energetiche` in a passage is marked for the
query `comunità energetica`, and so are the expansions of an acronym (`CER` marks `comunità energetica
rinnovabile`). Marks are given as character offsets into the snippet text and as escaped HTML with `<mark>`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from kb.text.analysis import ItalianAnalyzer, Token
from kb.text.synonyms import SynonymExpander

ELLIPSIS = "…"


@dataclass
class Snippet:
    text: str
    highlights: list[tuple[int, int]] = field(default_factory=list)

    @property
    def html(self) -> str:
        out, last = [], 0
        for start, end in self.highlights:
            out += [html.escape(self.text[last:start]), "<mark>", html.escape(self.text[start:end]), "</mark>"]
            last = end
        out.append(html.escape(self.text[last:]))
        return "".join(out)

    @property
    def marked_terms(self) -> list[str]:
        return [self.text[s:e] for s, e in self.highlights]


class Highlighter:
    def __init__(self, analyzer: ItalianAnalyzer | None = None, expander: SynonymExpander | None = None,
                 max_chars: int = 320) -> None:
        if max_chars < 40:
            raise ValueError("max_chars deve essere almeno 40")
        self.analyzer = analyzer or ItalianAnalyzer()
        self.expander = expander or SynonymExpander()
        self.max_chars = max_chars

    def query_stems(self, query: str) -> frozenset[str]:
        return frozenset(self.analyzer.terms(self.expander.expand(query)))

    def snippet(self, text: str, stems: frozenset[str]) -> Snippet:
        """The best window of `text` (whole text when short), marks on tokens whose stem the query has."""
        hits = self.analyzer.tokens(text, only=stems)
        start, end = self._window(text, hits)
        prefix = ELLIPSIS if start > 0 else ""
        suffix = ELLIPSIS if end < len(text) else ""
        body = text[start:end]
        shift = len(prefix) - start
        marks = [(t.start + shift, t.end + shift) for t in hits if t.start >= start and t.end <= end]
        return Snippet(prefix + body + suffix, marks)

    def _window(self, text: str, hits: list[Token]) -> tuple[int, int]:
        if len(text) <= self.max_chars:
            return 0, len(text)
        best_start, best_count = 0, -1
        for i, first in enumerate(hits):
            # marked tokens that fit in a window opening a little before this one
            count = sum(1 for t in hits[i:] if t.end - first.start <= self.max_chars - 40)
            if count > best_count:
                best_start, best_count = first.start, count
        start = max(0, best_start - 40) if best_count > 0 else 0
        end = min(len(text), start + self.max_chars)
        start = max(0, end - self.max_chars)
        return _word_boundary(text, start, forward=True), _word_boundary(text, end, forward=False)


def _word_boundary(text: str, pos: int, forward: bool) -> int:
    """Move `pos` off the middle of a word (forward for a window start, backward for its end)."""
    if pos <= 0 or pos >= len(text) or text[pos - 1].isspace() or text[pos].isspace():
        return pos
    if forward:
        nxt = text.find(" ", pos)
        return len(text) if nxt == -1 else nxt + 1
    prev = text.rfind(" ", 0, pos)
    return pos if prev == -1 else prev
