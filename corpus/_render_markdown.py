"""Minimal Markdown reader for the corpus sources: blocks (headings, paragraphs, lists, tables, quotes) and inline runs.

Only the subset the sources use (see _sources/SCHEMA.md): `#`-`###` headings, paragraphs, `-`/`*`/`1.` lists,
pipe tables with an alignment row, `>` quotes, `**bold**`, `*italic*`, `[text](url)` and `` `code` `` (as text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBER = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_INLINE = re.compile(r"\*\*(?P<b>.+?)\*\*|(?<![\w*])\*(?P<i>[^*\s](?:[^*]*?[^*\s])?)\*(?![\w*])"
                     r"|\[(?P<lt>[^\]]+)\]\((?P<lu>[^)]*)\)|`(?P<c>[^`]+)`")


@dataclass(frozen=True)
class Heading:
    """`#` (level 1) to `######` (level 6)."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of prose, inline markup kept."""

    text: str


@dataclass(frozen=True)
class ListBlock:
    """A bullet (`ordered=False`) or numbered list; items keep inline markup."""

    items: tuple[str, ...]
    ordered: bool = False


@dataclass(frozen=True)
class Table:
    """A pipe table: header cells, body rows and per-column alignment (left, center, right)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Quote:
    """A `>` block quote, as one paragraph."""

    text: str


Block = Heading | Paragraph | ListBlock | Table | Quote


@dataclass(frozen=True)
class Run:
    """A piece of inline text with its emphasis."""

    text: str
    bold: bool = False
    italic: bool = False


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)]


def _alignment(cell: str) -> str:
    cell = cell.strip()
    if cell.startswith(":") and cell.endswith(":"):
        return "center"
    return "right" if cell.endswith(":") else "left"


def _starts_block(line: str, nxt: str) -> bool:
    s = line.strip()
    return bool(_HEADING.match(s) or _BULLET.match(line) or _NUMBER.match(line) or s.startswith(">")
                or (s.startswith("|") and _TABLE_SEP.match(nxt)))


def parse_markdown(body: str) -> list[Block]:
    """The blocks of a Markdown body (front matter already removed)."""
    lines = body.replace("\r\n", "\n").split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line, s = lines[i], lines[i].strip()
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if not s or re.fullmatch(r"(-{3,}|\*{3,}|_{3,})", s):
            i += 1
        elif m := _HEADING.match(s):
            blocks.append(Heading(len(m.group(1)), m.group(2)))
            i += 1
        elif s.startswith("|") and _TABLE_SEP.match(nxt):
            header, align = _cells(s), [_alignment(c) for c in _cells(nxt)]
            rows, i = [], i + 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = _cells(lines[i])
                rows.append(tuple((cells + [""] * len(header))[: len(header)]))
                i += 1
            align = (align + ["left"] * len(header))[: len(header)]
            blocks.append(Table(tuple(header), tuple(rows), tuple(align)))
        elif s.startswith(">"):
            parts = []
            while i < len(lines) and lines[i].strip().startswith(">"):
                parts.append(lines[i].strip()[1:].strip())
                i += 1
            blocks.append(Quote(" ".join(p for p in parts if p)))
        elif _BULLET.match(line) or _NUMBER.match(line):
            ordered = bool(_NUMBER.match(line)) and not _BULLET.match(line)
            pattern = _NUMBER if ordered else _BULLET
            items: list[str] = []
            while i < len(lines) and lines[i].strip():
                if m := pattern.match(lines[i]):
                    items.append(m.group(1).strip())
                elif lines[i][:1] in (" ", "\t") and items:
                    items[-1] += " " + lines[i].strip()
                else:
                    break
                i += 1
            blocks.append(ListBlock(tuple(items), ordered))
        else:
            parts = [s]
            i += 1
            while i < len(lines) and lines[i].strip() and not _starts_block(
                    lines[i], lines[i + 1] if i + 1 < len(lines) else ""):
                parts.append(lines[i].strip())
                i += 1
            blocks.append(Paragraph(" ".join(parts)))
    return blocks


def inline_markup(text: str, italic_tag: str, bold_tag: str) -> str:
    """Inline Markdown -> escaped markup with the given tags (em/strong for HTML, i/b for reportlab paragraphs)."""
    out = []
    for run in inline_runs(text):
        piece = escape(run.text, quote=False)
        if run.italic:
            piece = f"<{italic_tag}>{piece}</{italic_tag}>"
        if run.bold:
            piece = f"<{bold_tag}>{piece}</{bold_tag}>"
        out.append(piece)
    return "".join(out)


def inline_runs(text: str, bold: bool = False, italic: bool = False) -> list[Run]:
    """Split inline Markdown into runs of plain text with bold/italic flags (links and code become text)."""
    runs: list[Run] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            runs.append(Run(text[pos:m.start()], bold, italic))
        if m.group("b") is not None:
            runs.extend(inline_runs(m.group("b"), True, italic))
        elif m.group("i") is not None:
            runs.extend(inline_runs(m.group("i"), bold, True))
        else:
            runs.append(Run(m.group("lt") or m.group("c") or "", bold, italic))
        pos = m.end()
    if pos < len(text):
        runs.append(Run(text[pos:], bold, italic))
    return [r for r in runs if r.text]


def plain_text(text: str) -> str:
    """Inline Markdown without markers."""
    return "".join(r.text for r in inline_runs(text))


def column_weights(table: Table) -> list[float]:
    """Relative column widths: longest cell (capped, so long text wraps), never below the longest word, + padding."""
    weights = []
    for col in range(len(table.header)):
        cells = [plain_text(c) for c in (table.header[col], *(row[col] for row in table.rows))]
        longest_word = max((len(w) for c in cells for w in c.split()), default=1)
        weights.append(float(max(min(max(len(c) for c in cells), 40), longest_word) + 4))
    return weights
