"""DOCX (python-docx) and ODT (odfpy) rendering, with zip entries normalised so rebuilding gives identical bytes."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from typing import Any

from _render_markdown import Block, Heading, ListBlock, Paragraph, Quote, Table, inline_runs

ZIP_DATE = (2020, 1, 1, 0, 0, 0)
_DOCX_HEADING = {1: "Title", 2: "Heading 1", 3: "Heading 2", 4: "Heading 3"}
_DOCX_ALIGN = {"left": 0, "center": 1, "right": 2}  # WD_ALIGN_PARAGRAPH values


def fixed_datetime(meta: dict[str, Any]) -> dt.datetime:
    """The document's `date` (midnight UTC), or 1 January 2020: never the build time."""
    value = meta.get("date")
    day = value if isinstance(value, dt.date) else dt.date(2020, 1, 1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def normalize_zip(data: bytes) -> bytes:
    """Same entries in the same order, with a fixed timestamp and permissions."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, ZIP_DATE)
            entry.compress_type, entry.external_attr = info.compress_type, 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def _cap(value: Any, limit: int = 255) -> str:
    """Text cut to the 255-character limit of DOCX core properties."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _docx_runs(paragraph: Any, text: str, bold: bool = False, italic: bool = False) -> None:
    for run in inline_runs(text, bold, italic):
        piece = paragraph.add_run(run.text)
        piece.bold, piece.italic = run.bold or None, run.italic or None


def render_docx(blocks: Sequence[Block], meta: dict[str, Any]) -> bytes:
    """DOCX with Title (for `#`), Heading 1-3 (for `##`-`####`), list styles, Quote and grid tables."""
    import docx

    document = docx.Document()
    for block in blocks:
        if isinstance(block, Heading):
            _docx_runs(document.add_paragraph(style=_DOCX_HEADING[min(block.level, 4)]), block.text)
        elif isinstance(block, Quote):
            _docx_runs(document.add_paragraph(style="Quote"), block.text)
        elif isinstance(block, ListBlock):
            for item in block.items:
                _docx_runs(document.add_paragraph(style="List Number" if block.ordered else "List Bullet"), item)
        elif isinstance(block, Table):
            table = document.add_table(rows=0, cols=len(block.header))
            table.style = "Table Grid"
            for r, row in enumerate([block.header, *block.rows]):
                cells = table.add_row().cells
                for j, text in enumerate(row):
                    cells[j].paragraphs[0].alignment = _DOCX_ALIGN[block.align[j]]
                    _docx_runs(cells[j].paragraphs[0], text, bold=r == 0)
            document.add_paragraph()
        elif isinstance(block, Paragraph):
            _docx_runs(document.add_paragraph(), block.text)
    props, when = document.core_properties, fixed_datetime(meta).replace(tzinfo=None)
    props.title, props.subject = _cap(meta.get("title", "")), _cap(meta.get("summary", ""))
    props.author = props.last_modified_by = _cap(meta.get("issuer") or meta.get("comune") or "")
    props.keywords = _cap(", ".join(str(t) for t in meta.get("themes") or []))
    props.comments, props.language, props.revision = "", "it-IT", 1
    props.created = props.modified = when
    buffer = io.BytesIO()
    document.save(buffer)
    return normalize_zip(buffer.getvalue())


def _odt_styles(doc: Any) -> dict[str, Any]:
    from odf.style import (
        ListLevelProperties,
        ParagraphProperties,
        Style,
        TableCellProperties,
        TableColumnProperties,
        TableProperties,
        TextProperties,
    )
    from odf.text import ListLevelStyleBullet, ListLevelStyleNumber, ListStyle

    def add(style: Any, *props: Any, automatic: bool = False) -> Any:
        for prop in props:
            style.addElement(prop)
        (doc.automaticstyles if automatic else doc.styles).addElement(style)
        return style

    body = add(Style(name="Text_20_body", displayname="Text body", family="paragraph"),
               ParagraphProperties(marginbottom="0.21cm"), TextProperties(fontsize="11pt"))
    styles = {"body": body, "quote": add(Style(name="Quotations", family="paragraph", parentstylename=body),
                                         ParagraphProperties(marginleft="1cm", marginright="1cm"),
                                         TextProperties(fontstyle="italic"))}
    for level, size in ((1, "18pt"), (2, "14pt"), (3, "12pt"), (4, "11pt")):
        styles[f"h{level}"] = add(Style(name=f"Heading_20_{level}", displayname=f"Heading {level}",
                                        family="paragraph", defaultoutlinelevel=str(level)),
                                  ParagraphProperties(margintop="0.4cm", marginbottom="0.2cm", keepwithnext="always"),
                                  TextProperties(fontsize=size, fontweight="bold"))
    for name, props in (("T_b", {"fontweight": "bold"}), ("T_i", {"fontstyle": "italic"}),
                        ("T_bi", {"fontweight": "bold", "fontstyle": "italic"})):
        styles[name] = add(Style(name=name, family="text"), TextProperties(**props), automatic=True)
    bullets, numbers = ListStyle(name="L_bullet"), ListStyle(name="L_number")
    bullet = ListLevelStyleBullet(level="1", bulletchar="•")
    number = ListLevelStyleNumber(level="1", numformat="1", numsuffix=".")
    for level_style, lst in ((bullet, bullets), (number, numbers)):
        level_style.addElement(ListLevelProperties(spacebefore="0.4cm", minlabelwidth="0.6cm"))
        lst.addElement(level_style)
        doc.automaticstyles.addElement(lst)
    styles["ul"], styles["ol"] = bullets, numbers
    styles["table"] = add(Style(name="Tbl", family="table"), TableProperties(width="16.5cm", align="left"),
                          automatic=True)
    styles["cell"] = add(Style(name="Tbl_cell", family="table-cell"),
                         TableCellProperties(border="0.5pt solid #777777", padding="0.1cm"), automatic=True)
    styles["column"] = add(Style(name="Tbl_col", family="table-column"), automatic=True)
    styles["column"].addElement(TableColumnProperties())
    return styles


def _odt_text(element: Any, text: str, styles: dict[str, Any], bold: bool = False) -> Any:
    from odf import teletype
    from odf.text import Span

    for run in inline_runs(text, bold):
        name = "T_bi" if run.bold and run.italic else "T_b" if run.bold else "T_i" if run.italic else None
        target = Span(stylename=styles[name]) if name else element
        teletype.addTextToElement(target, run.text)
        if name:
            element.addElement(target)
    return element


def render_odt(blocks: Sequence[Block], meta: dict[str, Any]) -> bytes:
    """ODT with text:h outline levels, paragraphs, text:list and table:table."""
    from odf.element import Element

    # odfpy keeps the namespaces declared so far in one class-level dict and writes them all into every later
    # document: start from an empty one so the bytes do not depend on what ran before, then put it back.
    saved = dict(Element.namespaces)
    Element.namespaces.clear()
    try:
        return _odt(blocks, meta)
    finally:
        Element.namespaces.clear()
        Element.namespaces.update(saved)


def _odt(blocks: Sequence[Block], meta: dict[str, Any]) -> bytes:
    from odf import dc
    from odf import meta as odf_meta
    from odf.opendocument import OpenDocumentText
    from odf.table import Table as OdfTable
    from odf.table import TableCell, TableColumn, TableRow
    from odf.text import H, List, ListItem, P

    doc = OpenDocumentText()
    styles, tables = _odt_styles(doc), 0
    for block in blocks:
        if isinstance(block, Heading):
            level = min(block.level, 4)
            doc.text.addElement(_odt_text(H(outlinelevel=level, stylename=styles[f"h{level}"]), block.text, styles))
        elif isinstance(block, Quote):
            doc.text.addElement(_odt_text(P(stylename=styles["quote"]), block.text, styles))
        elif isinstance(block, ListBlock):
            lst = List(stylename=styles["ol" if block.ordered else "ul"])
            for item in block.items:
                entry = ListItem()
                entry.addElement(_odt_text(P(stylename=styles["body"]), item, styles))
                lst.addElement(entry)
            doc.text.addElement(lst)
        elif isinstance(block, Table):
            tables += 1
            table = OdfTable(name=f"Tabella{tables}", stylename=styles["table"])
            table.addElement(TableColumn(numbercolumnsrepeated=len(block.header), stylename=styles["column"]))
            for r, row in enumerate([block.header, *block.rows]):
                tr = TableRow()
                for text in row:
                    cell = TableCell(valuetype="string", stylename=styles["cell"])
                    cell.addElement(_odt_text(P(), text, styles, bold=r == 0))
                    tr.addElement(cell)
                table.addElement(tr)
            doc.text.addElement(table)
        elif isinstance(block, Paragraph):
            doc.text.addElement(_odt_text(P(stylename=styles["body"]), block.text, styles))
    when = fixed_datetime(meta).strftime("%Y-%m-%dT%H:%M:%S")
    doc.meta.addElement(dc.Title(text=str(meta.get("title", ""))))
    doc.meta.addElement(dc.Language(text="it-IT"))
    doc.meta.addElement(odf_meta.CreationDate(text=when))
    doc.meta.addElement(dc.Date(text=when))
    buffer = io.BytesIO()
    doc.write(buffer)
    return normalize_zip(buffer.getvalue())
