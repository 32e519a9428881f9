"""The dossier's two appendices: the acts of the collection and those its items cite (grouped as the normative
overview groups them), and the calls open at export date that the collection's comuni could apply to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from qdrant_client import models

from ingest.enrich.acts import find_acts
from kb.search import SearchFilters
from kb.search.calls import days_left, deadline_key
from kb.storage.filters import BandoStatus
from kb.storage.schema import DocType
from search_api.bandi import all_calls
from search_api.documents import FIRST_PASSAGE, act_links, document_url, file_url, public_metadata
from search_api.dossier.view import Act, ActGroup, Chapter, OpenCall, euro, integer, italian_date
from search_api.normativa import act_state, group_by_level
from search_api.ui.labels import label

UNKNOWN_LEVEL = "Livello non indicato"
TERRITORIAL = ("buona_pratica", "progetto")  # the item types that stand for a comune


def normative_appendix(backend: Any, metadata: list[dict[str, Any]], live: list[dict[str, Any] | None],
                       chapters: tuple[Chapter, ...], base_url: str) -> tuple[ActGroup, ...]:
    """Acts in the collection and acts its items cite (`cited_acts`, linked to the indexed act as a document's card
    links them), EU -> national -> regional as `search_api.normativa.group_by_level` orders the overview."""
    entries: dict[str, dict[str, Any]] = {}  # by indexed doc_id, or by "atto:<key>" for an act not indexed
    for meta, ch in zip(metadata, chapters, strict=True):
        if meta.get("doc_type") == "normativa":
            entry = entries.setdefault(ch.doc_id, _entry(ch.doc_id, meta, base_url))
            entry["own"] = ch.number
    indexed: set[str] = set()
    for payload, ch in zip(live, chapters, strict=True):
        if payload is None:
            continue
        for cited in act_links(backend, payload, base_url)["cited_acts"]:
            if cited["doc_id"]:
                indexed.add(cited["doc_id"])
                entry = entries.setdefault(cited["doc_id"], {"doc_id": cited["doc_id"], "chapters": set()})
            else:
                found = find_acts(cited["reference"])
                meta = {"reference": cited["reference"], "level": found[0].level if found else None}
                entry = entries.setdefault(f"atto:{cited['key']}", _entry(f"atto:{cited['key']}", meta, None))
            entry["chapters"].add(ch.number)
    for payload in _first_passages(backend, sorted(indexed - {k for k, e in entries.items() if "metadata" in e})):
        entries[str(payload["doc_id"])].update(_entry(str(payload["doc_id"]), public_metadata(payload), base_url),
                                               chapters=entries[str(payload["doc_id"])]["chapters"])
    results = [e for e in entries.values() if "metadata" in e]
    groups = [ActGroup(str(g["label"]), tuple(_act(a, entries[a["doc_id"]]) for a in g["acts"]))
              for g in group_by_level(results, per_level=len(results), passages=0)]
    unknown = [e for e in results if not e["metadata"].get("level")]
    if unknown:
        groups.append(ActGroup(UNKNOWN_LEVEL, tuple(_act(e, e) for e in unknown)))
    return tuple(groups)


def _entry(doc_id: str, meta: dict[str, Any], base_url: str | None) -> dict[str, Any]:
    """An act as `group_by_level` reads a search result."""
    url = document_url(base_url, doc_id) if base_url else None
    return {"doc_id": doc_id, "title": meta.get("title"), "score": 0.0, "passages": [], "url": url,
            "file_url": file_url(base_url, doc_id) if base_url else None, "metadata": meta, "chapters": set()}


def _first_passages(backend: Any, doc_ids: list[str]) -> list[dict[str, Any]]:
    if not doc_ids:
        return []
    hits, _ = backend.scroll(models.Filter(must=[
        models.FieldCondition(key="doc_id", match=models.MatchAny(any=doc_ids)), FIRST_PASSAGE]), limit=len(doc_ids))
    return [h.payload for h in hits]


def _act(act: dict[str, Any], entry: dict[str, Any]) -> Act:
    meta = entry["metadata"]
    in_force = meta.get("in_force")
    return Act(reference=str(meta.get("reference") or entry.get("title") or entry["doc_id"]),
               title=entry.get("title"), date=italian_date(meta.get("act_date")), state=act_state(in_force),
               in_force=in_force, issuer=meta.get("issuer"), url=entry.get("url"),
               chapters=tuple(sorted(entry["chapters"])), own_chapter=entry.get("own"))


def open_calls(backend: Any, metadata: list[dict[str, Any]], chapters: tuple[Chapter, ...], today: dt.date,
               base_url: str) -> tuple[tuple[OpenCall, ...], str]:
    """Calls open today (the product's clock, as /bandi computes the status) on at least one theme of the items
    that are not calls, that at least one comune of the collection may apply to ("bandi per il mio comune": a call of
    its regione or of none, with no population cap or one it fits under). Returns them by deadline, and the rule in
    words for the reader."""
    themes = sorted({t for m in metadata if m.get("doc_type") != "bando" for t in m.get("themes", [])})
    comuni: dict[tuple[str | None, int | None], str] = {}
    for meta, ch in zip(metadata, chapters, strict=True):
        if meta.get("doc_type") in TERRITORIAL and (meta.get("regione") or meta.get("popolazione") is not None):
            comuni.setdefault((meta.get("regione"), meta.get("popolazione")), str(meta.get("comune") or ch.title))
    found: dict[str, dict[str, Any]] = {}
    eligible: dict[str, list[str]] = {}
    for (regione, population), name in (comuni.items() or [((None, None), "")]):
        flt = SearchFilters(doc_type=[DocType.bando], bando_status=[BandoStatus.aperto], theme=themes,
                            population=population, eligible_regione=regione)
        for payload in all_calls(backend, flt.to_qdrant(today)):
            doc_id = str(payload["doc_id"])
            found.setdefault(doc_id, payload)
            if name and name not in eligible.setdefault(doc_id, []):
                eligible[doc_id].append(name)
    own = {ch.doc_id: ch.number for ch in chapters}
    calls = tuple(_call(p, eligible.get(str(p["doc_id"]), []), own.get(str(p["doc_id"])), today, base_url)
                  for p in sorted(found.values(), key=lambda p: deadline_key(p, today)))
    return calls, _rule(themes, list(comuni.values()), today)


def _call(payload: dict[str, Any], comuni: list[str], chapter: int | None, today: dt.date,
          base_url: str) -> OpenCall:
    cap, budget = payload.get("population_cap"), payload.get("budget")
    return OpenCall(title=str(payload.get("title") or payload["doc_id"]), issuer=payload.get("issuer"),
                    regione=payload.get("regione"), deadline=italian_date(payload.get("deadline")),
                    days_left=days_left(payload, today), budget=euro(budget) if budget is not None else None,
                    population_cap=f"comuni fino a {integer(cap)} abitanti" if cap is not None else None,
                    themes=tuple(label("theme", t) for t in payload.get("themes") or []), comuni=tuple(comuni),
                    url=document_url(base_url, str(payload["doc_id"])), chapter=chapter)


def _rule(themes: list[str], comuni: list[str], today: dt.date) -> str:
    rule = (f"Bandi aperti al {italian_date(today)} (la data di apertura è passata e la scadenza non ancora, come "
            "li calcola la pagina Bandi)")
    if themes:
        rule += " su almeno uno dei temi della raccolta (" + ", ".join(label("theme", t) for t in themes) + ")"
    if comuni:
        rule += ("," if themes else "") + (
            " a cui può partecipare almeno uno dei comuni della raccolta (" + ", ".join(comuni) + "): bandi della sua "
            "regione o nazionali ed europei, senza soglia di abitanti o con una soglia che il comune rispetta")
    return rule + "."
