"""A 'scanned' page: blocks typeset with Pillow into a greyscale A4 bitmap (black on white, no text layer)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from _render_markdown import Block, Heading, ListBlock, Paragraph, Quote, Table, column_weights, inline_runs
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm

DPI = 200
SCALE = DPI / 72  # pixels per PDF point
MARGIN = 2.2 * cm
HEADING_PT = {1: 18.0, 2: 14.0, 3: 12.0}


@dataclass
class _Box:
    """Drawing operations of one block, with y relative to the block's top, and its height."""

    texts: list[tuple[float, float, str, ImageFont.FreeTypeFont]] = field(default_factory=list)
    lines: list[tuple[float, float, float, float]] = field(default_factory=list)
    fills: list[tuple[float, float, float, float]] = field(default_factory=list)
    height: float = 0.0
    space_before: float = 0.0


class _Typesetter:
    """Wraps inline runs into lines with the fonts of the PDF, at DPI resolution."""

    def __init__(self, fonts: dict[str, Path]) -> None:
        self.paths = fonts
        self.cache: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}

    def font(self, face: str, points: float) -> ImageFont.FreeTypeFont:
        key = (face, round(points * SCALE))
        if key not in self.cache:
            # BASIC layout: no ligatures, and the same result whether or not Pillow has libraqm
            self.cache[key] = ImageFont.truetype(str(self.paths[face]), key[1], layout_engine=ImageFont.Layout.BASIC)
        return self.cache[key]

    def lines(self, text: str, points: float, width: float, bold: bool = False, italic: bool = False
              ) -> list[list[tuple[float, str, ImageFont.FreeTypeFont]]]:
        """Pieces of text placed on lines: (x offset, piece, font); a word may mix fonts ("**CER**:")."""
        words: list[list[tuple[str, ImageFont.FreeTypeFont]]] = []
        glued = False  # whether the next piece continues the last word (no space in between)
        for run in inline_runs(text, bold, italic):
            face = ("bold" if run.bold else "") + ("italic" if run.italic else "") or "regular"
            font = self.font(face, points)
            for n, piece in enumerate(run.text.split()):
                if n == 0 and glued and words and not run.text[0].isspace():
                    words[-1].append((piece, font))
                else:
                    words.append([(piece, font)])
            glued = not run.text[-1].isspace()
        out: list[list[tuple[float, str, ImageFont.FreeTypeFont]]] = [[]]
        x, space = 0.0, self.font("regular", points).getlength(" ")
        for word in words:
            w = sum(font.getlength(piece) for piece, font in word)
            if out[-1] and x + w > width:
                out.append([])
                x = 0.0
            for piece, font in word:
                out[-1].append((x, piece, font))
                x += font.getlength(piece)
            x += space
        return out

    def text_box(self, box: _Box, text: str, x: float, y: float, width: float, points: float, leading: float,
                 bold: bool = False, italic: bool = False, align: str = "left") -> float:
        """Typeset text into box at (x, y); returns the height used."""
        lines = self.lines(text, points, width, bold, italic)
        for n, line in enumerate(lines):
            used = (line[-1][0] + line[-1][2].getlength(line[-1][1])) if line else 0.0
            shift = {"right": width - used, "center": (width - used) / 2}.get(align, 0.0)
            for dx, word, font in line:
                box.texts.append((x + shift + dx, y + n * leading * SCALE, word, font))
        return len(lines) * leading * SCALE


def _layout(block: Block, ts: _Typesetter, width: float) -> _Box:
    box = _Box()
    if isinstance(block, Heading):
        size = HEADING_PT[min(block.level, 3)]
        box.space_before = size * 0.9 * SCALE
        box.height = ts.text_box(box, block.text, 0, 0, width, size, size * 1.25, bold=True) + size * 0.45 * SCALE
    elif isinstance(block, Paragraph | Quote):
        indent = 0.8 * cm * SCALE if isinstance(block, Quote) else 0.0
        box.space_before = 4 * SCALE if isinstance(block, Quote) else 0.0
        box.height = ts.text_box(box, block.text, indent, 0, width - 2 * indent, 11, 15,
                                 italic=isinstance(block, Quote)) + 6 * SCALE
    elif isinstance(block, ListBlock):
        indent, y = 0.7 * cm * SCALE, 0.0
        for n, item in enumerate(block.items, 1):
            label = f"{n}." if block.ordered else "•"
            box.texts.append((indent - 0.45 * cm * SCALE, y, label, ts.font("regular", 11)))
            y += ts.text_box(box, item, indent, y, width - indent, 11, 15) + 2 * SCALE
        box.height = y + 4 * SCALE
    elif isinstance(block, Table):
        box.space_before = 4 * SCALE
        weights = column_weights(block)
        widths = [width * w / sum(weights) for w in weights]
        pad_x, y = 4 * SCALE, 0.0
        for r, row in enumerate([block.header, *block.rows]):
            probe = _Box()
            heights = [ts.text_box(probe, c, 0, 0, widths[j] - 2 * pad_x, 9, 11.5, bold=r == 0)
                       for j, c in enumerate(row)]
            row_h = max(heights) + 7 * SCALE
            if r == 0:
                box.fills.append((0, y, width, y + row_h))
            x = 0.0
            for j, cell in enumerate(row):
                ts.text_box(box, cell, x + pad_x, y + 3 * SCALE, widths[j] - 2 * pad_x, 9, 11.5, bold=r == 0,
                            align=block.align[j])
                x += widths[j]
            box.lines.append((0, y, width, y))
            y += row_h
        box.lines.append((0, y, width, y))
        x = 0.0
        for w in [0.0, *widths]:
            x += w
            box.lines.append((x, 0, x, y))
        box.height = y + 10 * SCALE
    return box


def render_scan_page(blocks: Sequence[Block], page_number: int, fonts: dict[str, Path]) -> tuple[Image.Image, int]:
    """The page image and how many of `blocks` it holds (whole blocks; at least one)."""
    width_px, height_px = round(A4[0] * SCALE), round(A4[1] * SCALE)
    image = Image.new("L", (width_px, height_px), 255)
    draw = ImageDraw.Draw(image)
    ts = _Typesetter(fonts)
    left, top, bottom = MARGIN * SCALE, MARGIN * SCALE, height_px - MARGIN * SCALE
    y, used, width = top, 0, width_px - 2 * left
    for n, block in enumerate(blocks):
        box = _layout(block, ts, width)
        start = y + (box.space_before if used else 0.0)
        if used and start + box.height > bottom:
            break
        if used and isinstance(block, Heading) and n + 1 < len(blocks):  # keep a heading with what follows
            follower = _layout(blocks[n + 1], ts, width)
            if start + box.height + follower.space_before + follower.height > bottom:
                break
        for x0, y0, x1, y1 in box.fills:
            draw.rectangle((left + x0, start + y0, left + x1, start + y1), fill=230)
        for x0, y0, x1, y1 in box.lines:
            draw.line((left + x0, start + y0, left + x1, start + y1), fill=60, width=max(1, round(0.5 * SCALE)))
        for x, ty, word, font in box.texts:
            draw.text((left + x, start + ty), word, font=font, fill=0)
        y, used = start + box.height, used + 1
    footer = ts.font("regular", 9)
    label = f"Pagina {page_number}"
    draw.text(((width_px - footer.getlength(label)) / 2, height_px - 1.2 * cm * SCALE - 9 * SCALE), label,
              font=footer, fill=0)
    return image, used
