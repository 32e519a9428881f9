"""The dossier's appendix from acts the items cite (indexed or not), items deleted or replaced since they were added,
the open calls by export date, and the formatting helpers."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient
from lxml import etree
from pypdf import PdfReader

from search_api.dossier import CollectionRef, ItemRef, build_dossier, export_dossier
from search_api.dossier.build import GONE, _pages
from search_api.dossier.view import euro, italian_date, pages_label, slug
from search_api.services import Services
from tests.search_api.api_fixture import API_KEY, LOCAL_URL, TODAY, hashing_api

PRACTICE = """# Comunità energetica a Borgo Alto

Il comune di Borgo Alto ha costituito una comunità energetica rinnovabile in attuazione del D.Lgs. 199/2021 e
della Direttiva (UE) 2018/2001, con il contributo regionale previsto dalla L.R. Veneto 16/2022 per gli studi di
fattibilità. L'impianto fotovoltaico sul tetto della palestra condivide l'energia con 60 famiglie.
"""
NOTE = "Confrontare con <Valfonda> & Valgrande"


def _submit(api: TestClient) -> str:
    meta = {"doc_type": "buona_pratica", "comune": "Borgo Alto", "provincia": "Belluno", "regione": "Veneto",
            "popolazione": 2100, "themes": ["energia-cer"], "sdg": [7]}
    accepted = api.post("/documents", files={"file": ("cer-borgo-alto.md", PRACTICE.encode(), "text/markdown")},
                        data={"metadata": json.dumps(meta)}, headers={"X-API-Key": API_KEY})
    assert accepted.status_code == 202, accepted.text
    assert api.app.state.services.worker.join(120)  # type: ignore[attr-defined]
    return str(accepted.json()["doc_id"])


def _collection(doc_id: str) -> CollectionRef:
    replaced = {"title": "Illuminazione pubblica a LED a Borgoretto (prima versione)", "doc_type": "buona_pratica",
                "comune": "Borgoretto", "regione": "Lombardia", "popolazione": 12000, "themes": ["illuminazione"],
                "summary": "La prima versione della scheda, come era quando è stata aggiunta."}
    deleted = {"title": "Orti urbani a Pietralta", "doc_type": "buona_pratica", "comune": "Pietralta",
               "regione": "Piemonte", "popolazione": 900, "themes": ["verde-urbano-clima"]}
    items = (ItemRef(doc_id, "Comunità energetica a Borgo Alto", note=NOTE),
             ItemRef("led-pianura", str(replaced["title"]), metadata_snapshot=replaced,
                     status_note="Il documento è stato sostituito il 10 novembre 2026: si riporta la versione "
                                 "aggiunta alla raccolta."),
             ItemRef("orti-pietralta", str(deleted["title"]), metadata_snapshot=deleted),
             ItemRef("bando-in-arrivo", "Bando regionale per le comunità energetiche nei piccoli comuni veneti"))
    return CollectionRef("r-borgo", "Borgo Alto <prova> & CER", None, items, dt.datetime(2026, 11, 1),
                         dt.datetime(2026, 11, 20))


def test_appendix_deleted_and_replaced_items_and_calls(writable_api: TestClient) -> None:
    services: Services = writable_api.app.state.services  # type: ignore[attr-defined]
    doc_id = _submit(writable_api)
    collection = _collection(doc_id)
    dossier = build_dossier(collection, backend=services.backend, lab_line="Lab", today=TODAY, base_url=LOCAL_URL)

    # acts cited by the practice: two indexed (linked to their card), one not; each at its level with its state
    groups = {g.label: g.acts for g in dossier.act_groups}
    assert list(groups) == ["Unione europea", "Nazionale", "Regionale"]
    [eu], [national], [regional] = groups.values()
    assert (eu.reference, eu.url, eu.state, eu.chapters) == (
        "Direttiva (UE) 2018/2001", f"{LOCAL_URL}/documents/direttiva-red", "in vigore", (1,))
    assert (national.reference, national.url, national.chapters) == (
        "D.Lgs. 199/2021", f"{LOCAL_URL}/documents/dlgs-199", (1,))
    assert (regional.reference, regional.url, regional.state, regional.chapters) == (
        "L.R. 16/2022", None, "stato non indicato", (1,))

    # replaced: its snapshot and the note; deleted without a note: the snapshot and the service's own note
    practice, led, orti, call = dossier.chapters
    assert practice.note == NOTE and practice.available
    assert led.status_note is not None and led.status_note.startswith("Il documento è stato sostituito")
    assert (led.title, led.population, led.passages_heading) == (
        "Illuminazione pubblica a LED a Borgoretto (prima versione)", "12.000 abitanti", "Sintesi")
    assert led.passages[0].text == "La prima versione della scheda, come era quando è stata aggiunta."
    assert (orti.status_note, orti.available, orti.place, orti.passages) == (GONE, False, "Pietralta, Piemonte", ())
    assert orti.citation.endswith("non più disponibile nell'archivio.")
    assert {f.label: f.value for f in call.facts}["Soglia"] == "comuni fino a 5.000 abitanti"

    # calls: on 24 November 2026 the Veneto call is not open yet; on 1 February 2027 it is, for Borgo Alto only
    # (Borgoretto's snapshot is in Lombardia), and the Lombard cycle-lane call stays out (no theme in common)
    assert dossier.calls == ()
    later = build_dossier(collection, backend=services.backend, lab_line="Lab", today=dt.date(2027, 2, 1),
                          base_url=LOCAL_URL)
    assert [(c.title, c.comuni, c.chapter, c.days_left) for c in later.calls] == [
        ("Bando regionale per le comunità energetiche nei piccoli comuni veneti", ("Borgo Alto",), 4, 119)]

    # the three files say the same; markup typed by officials stays text
    files = {fmt: export_dossier(collection, fmt, services=services, today=TODAY, base_url=LOCAL_URL).data
             for fmt in ("epub", "pdf", "docx")}
    book = zipfile.ZipFile(io.BytesIO(files["epub"]))
    first = etree.fromstring(book.read("EPUB/cap-01.xhtml"))
    assert NOTE in " ".join(first.itertext())
    second = " ".join(etree.fromstring(book.read("EPUB/cap-02.xhtml")).itertext())
    assert "sostituito il 10 novembre 2026" in second
    pdf_text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(files["pdf"])).pages)
    assert "Borgo Alto <prova> & CER" in pdf_text and NOTE in pdf_text
    assert "Attenzione: " + GONE in pdf_text and "Nessun bando aperto corrisponde alla raccolta" in pdf_text
    assert "L.R. 16/2022" in pdf_text and "non presente nell'archivio" in pdf_text
    doc_text = [p.text for p in Document(io.BytesIO(files["docx"])).paragraphs]
    assert "Attenzione: " + GONE in doc_text and any(NOTE in t for t in doc_text)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="validi: epub, pdf, docx"):
        export_dossier(_collection("x"), "odt", services=None, today=TODAY, base_url=LOCAL_URL)  # type: ignore[arg-type]


def test_formatting() -> None:
    assert _pages([2, 3, 5]) == "pp. 2-3, 5" and _pages([4]) == "p. 4" and _pages([]) == ""
    assert pages_label(3, 3) == "p. 3" and pages_label(3, 4) == "pp. 3-4" and pages_label(None, None) == ""
    assert euro(8_000_000) == "8.000.000 €" and euro(1234.5) == "1.234,50 €"
    assert italian_date("2027-03-01") == "1 marzo 2027" and italian_date("non una data") is None
    assert slug("Comunità energetiche: l'esperienza di Forlì") == "comunita-energetiche-l-esperienza-di-forli"


def test_snapshots_from_reimported_files_are_not_trusted(tmp_path: Path) -> None:
    """A collection re-imported from JSON may carry anything in its snapshots: the dossier keeps what is sound."""
    junk = {"title": "Scheda importata", "doc_type": "altro", "popolazione": "molti", "sdg": [7, 99, "x", True],
            "themes": "energia-cer", "url_fonte": "javascript:alert(1)", "fonte": "Archivio comunale",
            "budget": "tanto", "in_force": "forse", "comune": {"nome": "Borgo"}, "regione": "Veneto" * 400}
    collection = CollectionRef("r-junk", "Importata", None, (ItemRef("importata", "Scheda importata",
                                                                      metadata_snapshot=junk),),
                               dt.datetime(2026, 11, 1), dt.datetime(2026, 11, 1))
    with hashing_api(tmp_path, API_KEY) as client:  # a started app over an empty index
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        dossier = build_dossier(collection, backend=services.backend, lab_line="Lab", today=TODAY,
                                base_url=LOCAL_URL)
        epub = export_dossier(collection, "epub", services=services, today=TODAY, base_url=LOCAL_URL)
    [chapter] = dossier.chapters
    assert (chapter.type_label, chapter.population, chapter.sdgs, chapter.themes) == (
        "Documento", None, ("7. Energia pulita e accessibile",), ())
    assert chapter.place == ("Veneto" * 400)[:1000] and chapter.status_note == GONE
    assert [(f.label, f.value, f.url) for f in chapter.facts] == [("Fonte", "Archivio comunale", None)]
    assert dossier.calls == () and dossier.act_groups == ()
    book = zipfile.ZipFile(io.BytesIO(epub.data))
    assert "Archivio comunale" in " ".join(etree.fromstring(book.read("EPUB/cap-01.xhtml")).itertext())
