"""PDF rendering with reportlab: A4, headings, paragraphs, lists, tables, page numbers; optional scanned page."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import reportlab
from _render_markdown import Block, Heading, ListBlock, Paragraph, Quote, Table, column_weights, inline_markup
from _render_scan import render_scan_page
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, PageBreak, SimpleDocTemplate, TableStyle
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import Table as RLTable

MARGIN = 2.2 * cm
BODY_PT, LEADING_PT = 11.0, 15.0
HEADING_PT = {1: 18.0, 2: 14.0, 3: 12.0}
LOCALES = {"it": "it-IT", "en": "en-GB"}  # document language -> PDF /Lang (Italian by default)
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_FACES = ("regular", "bold", "italic", "bolditalic")
FAMILY = "CorpusSans"


def font_files() -> dict[str, Path]:
    """TTF files of the sans family used by PDFs and scans: DejaVu Sans if installed, else reportlab's Vera."""
    dejavu = dict(zip(_FACES, ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
                              "DejaVuSans-BoldOblique.ttf"), strict=True))
    if all((_DEJAVU / name).exists() for name in dejavu.values()):
        return {face: _DEJAVU / name for face, name in dejavu.items()}
    vera = Path(reportlab.__file__).parent / "fonts"
    return dict(zip(_FACES, (vera / "Vera.ttf", vera / "VeraBd.ttf", vera / "VeraIt.ttf", vera / "VeraBI.ttf"),
                    strict=True))


def _register_fonts() -> None:
    if FAMILY in pdfmetrics.getRegisteredFontNames():
        return
    names = {face: FAMILY if face == "regular" else f"{FAMILY}-{face}" for face in _FACES}
    for face, path in font_files().items():
        pdfmetrics.registerFont(TTFont(names[face], str(path)))
    pdfmetrics.registerFontFamily(FAMILY, normal=names["regular"], bold=names["bold"], italic=names["italic"],
                                  boldItalic=names["bolditalic"])


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=FAMILY, fontSize=BODY_PT, leading=LEADING_PT, spaceAfter=6)
    styles = {"body": body,
              "quote": ParagraphStyle("quote", parent=body, leftIndent=0.8 * cm, rightIndent=0.8 * cm,
                                      textColor=colors.HexColor("#333333"), spaceBefore=4, spaceAfter=10),
              "item": ParagraphStyle("item", parent=body, spaceAfter=2, leftIndent=0.7 * cm, bulletIndent=0.2 * cm,
                                     bulletFontName=FAMILY),
              "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11.5, spaceAfter=0)}
    for level, size in HEADING_PT.items():
        styles[f"h{level}"] = ParagraphStyle(f"h{level}", parent=body, fontName=f"{FAMILY}-bold", fontSize=size,
                                             leading=size * 1.25, spaceBefore=size * 0.9, spaceAfter=size * 0.45,
                                             keepWithNext=1)
    return styles


def markup(text: str) -> str:
    """Inline Markdown -> reportlab paragraph markup (escaped, <b>/<i>)."""
    return inline_markup(text, "i", "b")


def _table(block: Table, styles: dict[str, ParagraphStyle], width: float) -> RLTable:
    aligns = {"left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT}
    cell_styles = [ParagraphStyle(f"cell-{a}", parent=styles["cell"], alignment=aligns[a]) for a in block.align]
    data = [[RLParagraph(f"<b>{markup(c)}</b>", cell_styles[j]) for j, c in enumerate(block.header)]]
    data += [[RLParagraph(markup(c), cell_styles[j]) for j, c in enumerate(row)] for row in block.rows]
    weights = column_weights(block)
    table = RLTable(data, colWidths=[width * w / sum(weights) for w in weights], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#777777")),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                               ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    table.spaceBefore, table.spaceAfter = 4, 10
    return table


def flowables(block: Block, styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    """The reportlab flowables of one block (one per list item, one otherwise)."""
    if isinstance(block, Heading):
        return [RLParagraph(markup(block.text), styles[f"h{min(block.level, 3)}"])]
    if isinstance(block, Quote):
        return [RLParagraph(f"<i>{markup(block.text)}</i>", styles["quote"])]
    if isinstance(block, ListBlock):
        last = ParagraphStyle("last-item", parent=styles["item"], spaceAfter=8)
        return [RLParagraph(markup(text), last if n == len(block.items) else styles["item"],
                            bulletText=f"{n}." if block.ordered else "•") for n, text in enumerate(block.items, 1)]
    if isinstance(block, Table):
        return [_table(block, styles, width)]
    assert isinstance(block, Paragraph)
    return [RLParagraph(markup(block.text), styles["body"])]


def _story(blocks: Sequence[Block]) -> list[Flowable]:
    styles, width = _styles(), A4[0] - 2 * MARGIN
    story = []
    for index, block in enumerate(blocks):
        parts = flowables(block, styles, width)
        parts[-1]._block_index = index  # drawn whole => block done
        story += parts
    return story


class _TrackingDoc(SimpleDocTemplate):
    """Records the page on which each block's last flowable is drawn whole."""

    def afterFlowable(self, flowable: Flowable) -> None:
        index = getattr(flowable, "_block_index", None)
        if index is not None:
            self.block_pages[index] = self.page


class _FullPageImage(Flowable):
    """Paints an image over the whole page (the scanned page); takes no room in the frame."""

    def __init__(self, image: Any) -> None:
        super().__init__()
        self.image = image

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return 0, 0

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:
        canvas.drawImage(ImageReader(self.image), 0, 0, width=A4[0], height=A4[1])


def _footer(skip_page: int | None) -> Callable[[Any, Any], None]:
    def draw(canvas: Any, doc: Any) -> None:
        if doc.page == skip_page:
            return
        canvas.saveState()
        canvas.setFont(FAMILY, 9)
        canvas.drawCentredString(A4[0] / 2, 1.2 * cm, f"Pagina {doc.page}")
        canvas.restoreState()
    return draw


def _doc(buffer: io.BytesIO, meta: dict[str, Any], cls: type[SimpleDocTemplate] = SimpleDocTemplate
         ) -> SimpleDocTemplate:
    town = "Municipality of" if meta.get("language") == "en" else "Comune di"
    author = meta.get("issuer") or (f"{town} {meta['comune']}" if meta.get("comune") else "")
    return cls(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
               title=str(meta.get("title", "")), author=str(author), subject=str(meta.get("summary", "")),
               creator="corpus/build.py", producer="ReportLab", lang=LOCALES.get(str(meta.get("language")), "it-IT"),
               invariant=1)


def render_pdf(blocks: Sequence[Block], meta: dict[str, Any], scan_page: int | None = None) -> bytes:
    """A4 PDF of the blocks; with `scan_page=2`, that page is an image of its text (no text layer)."""
    _register_fonts()
    story = _story(blocks) if scan_page is None else _with_scanned_page(blocks, meta, scan_page)
    buffer = io.BytesIO()
    footer = _footer(scan_page)
    _doc(buffer, meta).build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _with_scanned_page(blocks: Sequence[Block], meta: dict[str, Any], scan_page: int) -> list[Flowable]:
    """Story whose page `scan_page` is a picture of the blocks that start there (whole blocks only)."""
    probe = _doc(io.BytesIO(), meta, _TrackingDoc)
    probe.block_pages = {}
    probe.build(_story(blocks))
    pages: dict[int, int] = probe.block_pages
    first = next((i for i in range(len(blocks)) if pages.get(i, scan_page) >= scan_page), len(blocks))
    first = min(first, max(len(blocks) - 1, 0))
    while first > 0 and isinstance(blocks[first - 1], Heading):  # no heading orphaned before the scan
        first -= 1
    image, end = render_scan_page(blocks[first:], scan_page, font_files())
    before, after = _story(blocks[:first]), _story(blocks[first + end:])
    chunks: list[Flowable] = [*before, PageBreak()] if before else []
    chunks += [_FullPageImage(image)]
    return [*chunks, PageBreak(), *after] if after else chunks

