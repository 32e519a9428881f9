"""The dossier as a Word document (python-docx), for officials who edit it: real headings (Word's navigation pane
and the table of contents read them), a TOC field Word fills when the file is opened, links to the originals at the
cited page."""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_BREAK, WD_PARAGRAPH_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph

from search_api.dossier.view import Chapter, Dossier

BLUE = RGBColor(0x0B, 0x5A, 0x8A)
RED = RGBColor(0xB3, 0x26, 0x1E)
GREY = RGBColor(0x42, 0x53, 0x5E)
TYPE_COLOURS = {"buona_pratica": RGBColor(0x1F, 0x7A, 0x4D), "progetto": RGBColor(0x1B, 0x5E, 0x8C),
                "normativa": RGBColor(0x6B, 0x3F, 0x8F), "bando": RGBColor(0xA0, 0x52, 0x1C)}


def render_docx(dossier: Dossier) -> bytes:
    doc = Document()
    _italian(doc)
    props = doc.core_properties
    props.title, props.author, props.language = dossier.title, dossier.lab_line, "it-IT"
    props.subject, props.keywords = f"Dossier della raccolta «{dossier.title}»", "Agenda 2030; comuni"
    _cover(doc, dossier)
    _table_of_contents(doc)
    doc.add_heading("Introduzione", level=1)
    for para in (dossier.intro or "").split("\n\n"):
        if para.strip():
            doc.add_paragraph(para.strip())
    doc.add_paragraph(f"Il dossier raccoglie {len(dossier.chapters)} documenti dell'archivio, uno per capitolo, "
                      "nell'ordine della raccolta, ciascuno con la citazione dell'originale (pagine e collegamento). "
                      "In appendice il quadro normativo e i bandi aperti al " + dossier.date_label + ".")
    _small(doc.add_paragraph(), f"Dati dell'archivio «Comuni sostenibili» al {dossier.date_label}: "
           f"{dossier.base_url}/. I valori segnati con * sono stati estratti automaticamente dal testo.")
    for chapter in dossier.chapters:
        _page_break(doc)
        _chapter(doc, chapter)
    _page_break(doc)
    _acts(doc, dossier)
    _page_break(doc)
    _calls(doc, dossier)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _italian(doc: DocxDocument) -> None:
    """Italian proofing for the whole text, and Word refreshes the fields (the table of contents) on opening."""
    rpr = doc.styles["Normal"].element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "it-IT")
    rpr.append(lang)
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)


def _cover(doc: DocxDocument, dossier: Dossier) -> None:
    lab = doc.add_paragraph()
    lab.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
    run = lab.add_run(dossier.lab_line.upper())
    run.font.color.rgb, run.font.size = TYPE_COLOURS["buona_pratica"], Pt(12)
    title = doc.add_paragraph(dossier.title, style="Title")
    title.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
    count = len(dossier.chapters)
    for text in (f"Dossier · {count} {'scheda' if count == 1 else 'schede'}", dossier.date_label):
        para = doc.add_paragraph()
        para.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
        para.add_run(text).font.size = Pt(13)
    _page_break(doc)


def _table_of_contents(doc: DocxDocument) -> None:
    """A TOC field over the level-1 headings; Word computes it (and its page numbers) when the file opens."""
    heading = doc.add_paragraph()
    heading.add_run("Indice").bold = True
    run = doc.add_paragraph().add_run()
    for kind, text in (("begin", None), ("instr", 'TOC \\o "1-1" \\h \\z \\u'), ("separate", None),
                       ("text", "L'indice si aggiorna all'apertura in Word (o con F9)."), ("end", None)):
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        elif kind == "text":
            element = OxmlElement("w:t")
            element.text = text
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        run._r.append(element)
    _page_break(doc)


def _chapter(doc: DocxDocument, c: Chapter) -> None:
    badge = doc.add_paragraph().add_run(c.type_label.upper())
    badge.bold, badge.font.size = True, Pt(9)
    badge.font.color.rgb = TYPE_COLOURS.get(c.doc_type or "", GREY)
    doc.add_heading(f"{c.number}. {c.title}", level=1)
    if c.place or c.population:
        place = doc.add_paragraph().add_run(" · ".join(x for x in (c.place, c.population) if x))
        place.italic = True
    if c.status_note:
        warning = doc.add_paragraph()
        label = warning.add_run("Attenzione: ")
        label.bold, label.font.color.rgb = True, RED
        warning.add_run(c.status_note)
    if c.note:
        note = doc.add_paragraph(style="Intense Quote")
        note.add_run("Nota della raccolta: ").bold = True
        note.add_run(c.note)
    doc.add_heading(c.passages_heading, level=2)
    for passage in c.passages:
        doc.add_paragraph(passage.text, style="Quote")
        where = doc.add_paragraph()
        if passage.section:
            _small(where, passage.section + (", " if passage.pages else ""))
        if passage.pages or not passage.section:
            _link(where, passage.url, passage.pages or "documento originale")
    if not c.passages:
        doc.add_paragraph("Testo non disponibile.").runs[0].italic = True
    doc.add_heading("Scheda", level=2)
    if c.sdgs:
        _fact(doc, "Obiettivi Agenda 2030", "; ".join(f"SDG {s}" for s in c.sdgs))
    if c.themes:
        _fact(doc, "Temi", ", ".join(c.themes))
    for fact in c.facts:
        para = _fact(doc, fact.label, "" if fact.url else fact.value + ("*" if fact.extracted else ""))
        if fact.url:
            _link(para, fact.url, fact.value)
    doc.add_heading("Citazione", level=2)
    doc.add_paragraph().add_run(c.citation).italic = True
    if c.available:
        links = doc.add_paragraph()
        links.add_run("Originale: ")
        _link(links, c.file_url, c.file_url)
        links.add_run().add_break()
        links.add_run("Scheda: ")
        _link(links, c.document_url, c.document_url)


def _acts(doc: DocxDocument, dossier: Dossier) -> None:
    doc.add_heading("Appendice normativa", level=1)
    doc.add_paragraph("Gli atti presenti nella raccolta e quelli citati dai suoi documenti, dal livello europeo a "
                      "quello regionale; in ciascun livello il più recente per primo, con il suo stato.")
    if not dossier.act_groups:
        doc.add_paragraph("Nessun atto normativo nella raccolta né citato dai suoi documenti.")
    for group in dossier.act_groups:
        doc.add_heading(group.label, level=2)
        for act in group.acts:
            para = doc.add_paragraph(style="List Bullet")
            named = bool(act.title and act.title.startswith(act.reference))  # "D.Lgs. 199/2021: recepimento..."
            name = act.title if named and act.title else act.reference
            if act.url:
                _link(para, act.url, name)
            else:
                para.add_run(name).bold = True
            if act.title and not named:
                para.add_run(f" — {act.title}")
            state = para.add_run(f" ({act.state})")
            state.bold = True
            state.font.color.rgb = RED if act.in_force is False else TYPE_COLOURS["buona_pratica"]
            details = [act.date, act.issuer,
                       f"capitolo {act.own_chapter}" if act.own_chapter else None,
                       ("citato nei capitoli " if len(act.chapters) > 1 else "citato nel capitolo ")
                       + ", ".join(map(str, act.chapters)) if act.chapters else None,
                       None if act.url else "non presente nell'archivio"]
            if any(details):
                _small(para, " · " + " · ".join(d for d in details if d))


def _calls(doc: DocxDocument, dossier: Dossier) -> None:
    doc.add_heading(f"Bandi aperti al {dossier.date_label}", level=1)
    _small(doc.add_paragraph(), dossier.calls_rule)
    if not dossier.calls:
        doc.add_paragraph("Nessun bando aperto corrisponde alla raccolta a questa data.")
    for call in dossier.calls:
        title = doc.add_paragraph()
        _link(title, call.url, call.title, bold=True)
        deadline = (f"scadenza {call.deadline}" + (f" ({call.days_left} giorni)" if call.days_left is not None
                                                   else "")) if call.deadline else "senza scadenza (a sportello)"
        lines = [" · ".join(x for x in (call.issuer, call.regione or "nazionale o europeo", deadline) if x),
                 " · ".join(x for x in (f"Dotazione {call.budget}" if call.budget else None, call.population_cap,
                                        "temi: " + ", ".join(call.themes) if call.themes else None) if x),
                 "Possono partecipare: " + ", ".join(call.comuni) if call.comuni else "",
                 f"È nella raccolta: capitolo {call.chapter}" if call.chapter else ""]
        for line in lines:
            if line:
                _small(doc.add_paragraph(), line)


def _fact(doc: DocxDocument, label: str, value: str) -> Paragraph:
    para = doc.add_paragraph()
    para.paragraph_format.space_after = Pt(2)
    name = para.add_run(f"{label}: ")
    name.bold, name.font.color.rgb = True, GREY
    if value:
        para.add_run(value)
    return para


def _small(para: Paragraph, text: str) -> None:
    run = para.add_run(text)
    run.font.size, run.font.color.rgb = Pt(9), GREY


def _page_break(doc: DocxDocument) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _link(para: Paragraph, url: str, text: str, *, bold: bool = False) -> None:
    """An external hyperlink (python-docx reads them, `Paragraph.hyperlinks`, but has no call to add one)."""
    rel = para.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    for tag, value in (("w:color", "0B5A8A"), ("w:u", "single"), *((("w:b", None),) if bold else ())):
        element = OxmlElement(tag)
        if value:
            element.set(qn("w:val"), value)
        props.append(element)
    run.append(props)
    text_element = OxmlElement("w:t")
    text_element.set(qn("xml:space"), "preserve")
    text_element.text = text
    run.append(text_element)
    link.append(run)
    para._p.append(link)
