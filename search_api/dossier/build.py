"""From a collection to the dossier's view model: each item's document as the index holds it now (or its snapshot,
when it was deleted or replaced), the passages to quote, its metadata in Italian and its citation."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from qdrant_client import models

from kb.search.calls import days_left
from kb.search.facets import status_of
from search_api.documents import document_url, file_url, public_metadata
from search_api.dossier.appendix import normative_appendix, open_calls
from search_api.dossier.model import CollectionRef, ItemRef
from search_api.dossier.view import (
    Chapter,
    Dossier,
    Fact,
    Passage,
    euro,
    integer,
    italian_date,
    pages_label,
)
from search_api.ui.labels import BANDO_STATUS, DOC_TYPES, LEVELS, label

FIRST_PASSAGES = 2  # quoted when the official chose none and the document has no summary
PASSAGE_CHARS = 700
GONE = ("Il documento non è più nell'archivio: si riportano i dati registrati quando è stato aggiunto alla "
        "raccolta.")


def build_dossier(collection: CollectionRef, *, backend: Any, lab_line: str, today: dt.date,
                  base_url: str) -> Dossier:
    chunks = {item.doc_id: document_chunks(backend, item.doc_id) for item in collection.items}
    date_label = italian_date(today) or today.isoformat()
    chapters = tuple(chapter(n, item, chunks[item.doc_id], today, base_url, date_label)
                     for n, item in enumerate(collection.items, start=1))
    metadata = [_metadata(item, chunks[item.doc_id]) for item in collection.items]
    live = [chunks[item.doc_id][0] if chunks[item.doc_id] and not item.status_note else None
            for item in collection.items]
    calls, rule = open_calls(backend, metadata, chapters, today, base_url)
    return Dossier(collection_id=collection.id, title=collection.title, intro=collection.intro, lab_line=lab_line,
                   today=today, date_label=date_label, chapters=chapters,
                   act_groups=normative_appendix(backend, metadata, live, chapters, base_url), calls=calls,
                   calls_rule=rule, base_url=base_url.rstrip("/"))


def document_chunks(backend: Any, doc_id: str) -> list[dict[str, Any]]:
    """The document's chunk payloads in reading order; empty when it is no longer indexed."""
    flt = models.Filter(must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))])
    hits, _ = backend.scroll(flt, limit=10_000)
    return [h.payload for h in sorted(hits, key=lambda h: int(h.payload.get("chunk_index", 0)))]


def _metadata(item: ItemRef, chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """The document's metadata now; its snapshot when it was deleted or replaced since it was added."""
    if chunks and not item.status_note:
        return public_metadata(chunks[0])
    return snapshot_metadata(item.metadata_snapshot)


_INTEGERS = ("popolazione", "population_cap", "year")
_AMOUNTS = ("budget", "importo_pnrr", "importo_totale")
_LISTS = ("themes", "beneficiaries", "extracted_fields")
_TEXT_CHARS = 1000


def snapshot_metadata(raw: dict[str, Any]) -> dict[str, Any]:
    """A snapshot as the chapter reads it. Snapshots come back from JSON files officials re-import, so nothing in
    them is trusted: numbers that are not numbers, SDGs outside 1-17, links that are not http(s) and values that are
    not plain text are left out, long texts cut."""
    meta: dict[str, Any] = {}
    for key, value in public_metadata(dict(raw)).items():  # flags as booleans whether stored as "si" or True
        if key in _INTEGERS or key in _AMOUNTS:
            if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e15:
                meta[key] = int(value) if key in _INTEGERS else float(value)
        elif key == "sdg":
            if isinstance(value, list):
                meta[key] = [n for n in value if isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 17]
        elif key in _LISTS:
            if isinstance(value, list):
                meta[key] = [str(v)[:200] for v in value if isinstance(v, str)]
        elif key == "url_fonte":
            if isinstance(value, str) and re.fullmatch(r"https?://\S{1,500}", value):
                meta[key] = value
        elif key == "in_force":
            if isinstance(value, bool):
                meta[key] = value
        elif isinstance(value, str):
            meta[key] = value[:_TEXT_CHARS]
    if meta.get("doc_type") not in DOC_TYPES:
        meta.pop("doc_type", None)
    return meta


def chapter(number: int, item: ItemRef, chunks: list[dict[str, Any]], today: dt.date, base_url: str,
            date_label: str) -> Chapter:
    meta = _metadata(item, chunks)
    title = item.title or str(meta.get("title") or item.doc_id)
    status_note = item.status_note or (None if chunks else GONE)
    heading, passages = _passages(item, meta, chunks if not item.status_note else [], base_url)
    pages = _pages(passages_pages(item, chunks if not item.status_note else []))
    first_page = next((p.page_start for p in item.passages if p.page_start), None)
    source = meta.get("source") or item.doc_id
    where = f"«{title}», {source}" + (f", {pages}" if pages else "")
    citation = where + (f", consultato il {date_label}." if chunks else ": non più disponibile nell'archivio.")
    population = meta.get("popolazione")
    return Chapter(
        number=number, anchor=f"cap-{number:02d}", doc_id=item.doc_id, title=title, doc_type=meta.get("doc_type"),
        type_label=DOC_TYPES.get(str(meta.get("doc_type")), "Documento"), place=_place(meta),
        population=f"{integer(population)} abitanti" if population is not None else None, note=item.note,
        status_note=status_note, passages_heading=heading, passages=passages,
        sdgs=tuple(label("sdg", n) for n in meta.get("sdg", [])),
        themes=tuple(label("theme", t) for t in meta.get("themes", [])), facts=facts(meta, today),
        citation=citation, available=bool(chunks), document_url=document_url(base_url, item.doc_id),
        file_url=file_url(base_url, item.doc_id, first_page))


def _passages(item: ItemRef, meta: dict[str, Any], chunks: list[dict[str, Any]],
              base_url: str) -> tuple[str, tuple[Passage, ...]]:
    """The chosen passages; else the document's summary; else its first passages (deleted: its summary or none)."""
    if item.passages:
        return "Passaggi scelti", tuple(
            Passage(p.text, p.section, pages_label(p.page_start, p.page_end),
                    file_url(base_url, item.doc_id, p.page_start)) for p in item.passages)
    if meta.get("summary"):
        return "Sintesi", (Passage(str(meta["summary"]), None, "", file_url(base_url, item.doc_id)),)
    quoted = []
    for payload in chunks[:FIRST_PASSAGES]:
        start = payload.get("page_start")
        quoted.append(Passage(_shorten(str(payload.get("text", ""))), payload.get("section") or None,
                              pages_label(start, payload.get("page_end")),
                              file_url(base_url, item.doc_id, start if isinstance(start, int) else None)))
    return "Dal documento", tuple(quoted)


def passages_pages(item: ItemRef, chunks: list[dict[str, Any]]) -> list[int]:
    """Every page the quoted passages span."""
    spans = ([(p.page_start, p.page_end) for p in item.passages] if item.passages
             else [(c.get("page_start"), c.get("page_end")) for c in chunks[:FIRST_PASSAGES]])
    pages: set[int] = set()
    for start, end in spans:
        if isinstance(start, int):
            pages.update(range(start, (end if isinstance(end, int) and end >= start else start) + 1))
    return sorted(pages)


def _pages(pages: list[int]) -> str:
    """[2, 3, 5] -> "pp. 2-3, 5"; [4] -> "p. 4"."""
    if not pages:
        return ""
    runs: list[list[int]] = []
    for page in pages:
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    text = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
    return f"p. {text}" if len(pages) == 1 else f"pp. {text}"


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= PASSAGE_CHARS:
        return text
    return text[:PASSAGE_CHARS].rsplit(" ", 1)[0] + " […]"


def _place(meta: dict[str, Any]) -> str | None:
    comune, provincia, regione = meta.get("comune"), meta.get("provincia"), meta.get("regione")
    head = f"{comune} ({provincia})" if comune and provincia else comune or provincia
    return ", ".join(str(x) for x in (head, regione) if x) or None


def facts(meta: dict[str, Any], today: dt.date) -> tuple[Fact, ...]:
    """The metadata an official reads in a chapter, by document type; SDGs, themes and place are shown apart."""
    guessed = set(meta.get("extracted_fields") or ())
    out: list[Fact] = []

    def add(field: str, name: str, value: object, url: str | None = None) -> None:
        if value not in (None, "", []):
            out.append(Fact(name, str(value), url, field in guessed))

    add("year", "Anno", meta.get("year"))
    add("date", "Data", italian_date(meta.get("date")))
    if meta.get("doc_type") == "normativa":
        add("reference", "Riferimento", meta.get("reference"))
        add("level", "Livello", LEVELS.get(str(meta.get("level"))) if meta.get("level") else None)
        add("act_date", "Data dell'atto", italian_date(meta.get("act_date")))
        in_force = meta.get("in_force")
        add("in_force", "Stato", None if in_force is None else "in vigore" if in_force else "abrogato")
    add("issuer", "Ente", meta.get("issuer"))
    if meta.get("doc_type") == "bando":
        add("opening_date", "Apertura", italian_date(meta.get("opening_date")))
        add("deadline", "Scadenza", italian_date(meta.get("deadline")))
        add("bando_status", f"Stato al {italian_date(today)}", _call_status(meta, today))
        add("budget", "Dotazione", euro(meta["budget"]) if meta.get("budget") is not None else None)
        add("beneficiaries", "Beneficiari", ", ".join(b.replace("_", " ") for b in meta.get("beneficiaries", [])))
        cap = meta.get("population_cap")
        add("population_cap", "Soglia", f"comuni fino a {integer(cap)} abitanti" if cap is not None else None)
        add("destinatari", "Destinatari", meta.get("destinatari"))
    add("cup", "CUP", meta.get("cup"))
    measure = " · ".join(str(meta[k]) for k in ("missione", "componente", "misura") if meta.get(k))
    add("misura", "Missione · componente · misura", measure)
    add("misura_descrizione", "Misura", meta.get("misura_descrizione"))
    add("amministrazione_titolare", "Amministrazione titolare", meta.get("amministrazione_titolare"))
    add("soggetto_attuatore", "Soggetto attuatore", meta.get("soggetto_attuatore"))
    for field, name in (("importo_pnrr", "Importo PNRR"), ("importo_totale", "Importo totale")):
        add(field, name, euro(meta[field]) if meta.get(field) is not None else None)
    if meta.get("fonte"):
        released = italian_date(meta.get("fonte_rilascio"))
        add("fonte", "Fonte", f"{meta['fonte']}" + (f" (rilascio del {released})" if released else ""),
            meta.get("url_fonte"))
    return tuple(out)


def _call_status(meta: dict[str, Any], today: dt.date) -> str | None:
    payload = {**meta, "doc_type": "bando"}
    status = status_of(payload, today)
    if status is None:
        return None
    left = days_left(payload, today)
    return BANDO_STATUS[status].lower() + (f", {left} giorni alla scadenza" if left is not None else "")
