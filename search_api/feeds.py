"""Saved searches and alerts: a search or a call listing as an Atom feed, its entries the matching documents.

A feed holds the same documents as the listing (the same core search, or for calls without a question the same
eligibility filters as /bandi), newest first by the date their indexed version was written (`ingested_at`), at most
`FEED_ENTRIES`. Entry ids are tag URIs made of the public address and the document id, so an entry keeps its id
across replacements (its `updated` changes) and a reader shows a document once; the feed's id is made of its
canonical query (same filters in another order or spelling, same feed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode, urlsplit

from pydantic import BaseModel
from qdrant_client import models

from kb.search import SearchEngine
from kb.search import SearchRequest as CoreRequest
from kb.search.calls import days_left
from kb.search.facets import parse_date, status_of
from kb.text.territory import canonical_regione
from search_api.atom import MEDIA_TYPE, Category, Entry, Feed, Link
from search_api.bandi import all_calls, eligibility
from search_api.documents import FIRST_PASSAGE, document_url, file_url
from search_api.schemas.bandi import BandiRequest
from search_api.schemas.search import SearchRequest
from search_api.services import Services
from search_api.ui import labels

FEED_ENTRIES = 50
# the date of the tag URIs (RFC 4151): when this service started minting them; changing it changes every id
TAG_DATE = "2026"
AUTHOR = "Laboratorio dei comuni sostenibili"
GENERATOR = "Comuni sostenibili: ricerca"
SUMMARY_CHARS = 600
# request fields that page or order a listing: not part of what a feed selects
_PAGING = {"page", "page_size", "order"}
_STATUS_WORDS = {"aperto": "aperti", "in_arrivo": "in arrivo", "scaduto": "scaduti"}
_SEARCH_FILTERS = ("doc_type", "bando_status", "sdg", "theme", "regione", "provincia", "comune", "population_band",
                   "level", "in_force")


def tag_uri(base_url: str, specific: str) -> str:
    """`tag:host,2026:path/specific`: the public address's host and path, so two services never share an id."""
    address = urlsplit(base_url)
    prefix = address.path.strip("/")
    return f"tag:{address.hostname or 'localhost'},{TAG_DATE}:{prefix + '/' if prefix else ''}{specific}"


def canonical_query(params: BaseModel) -> str:
    """The request's selecting parameters as a query string, in a fixed order and spelling."""
    data = params.model_dump(mode="json", exclude_defaults=True, exclude=_PAGING)
    if isinstance(params, BandiRequest) and params.regione:
        data["regione"] = canonical_regione(params.regione) or params.regione
    pairs = [(key, v) for key in sorted(data) for v in (data[key] if isinstance(data[key], list) else [data[key]])]
    return urlencode([(k, str(v).lower() if isinstance(v, bool) else v) for k, v in pairs])


# -- which documents ----------------------------------------------------------------------------------------------
def _newest_first(payloads: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    ordered = sorted(payloads, key=lambda p: str(p.get("doc_id")))
    ordered.sort(key=lambda p: str(p.get("ingested_at", "")), reverse=True)
    return ordered[:FEED_ENTRIES]


def _first_passages(backend: Any, doc_ids: list[str]) -> list[dict[str, Any]]:
    """Each document's first passage (its metadata in full), newest version, in the order of `doc_ids`."""
    if not doc_ids:
        return []
    flt = models.Filter(must=[models.FieldCondition(key="doc_id", match=models.MatchAny(any=doc_ids)), FIRST_PASSAGE])
    with backend.reading():
        hits, _ = backend.scroll(flt, limit=4 * len(doc_ids))
    newest: dict[str, dict[str, Any]] = {}
    for hit in hits:
        doc_id = str(hit.payload.get("doc_id"))
        if str(hit.payload.get("ingested_at", "")) >= str(newest.get(doc_id, {}).get("ingested_at", "")):
            newest[doc_id] = hit.payload
    return [newest[d] for d in doc_ids if d in newest]  # a document deleted meanwhile is left out


def _search_set(engine: SearchEngine, request: CoreRequest) -> list[str]:
    """The ids of the search's whole result set (all its pages), newest first."""
    whole = dataclasses.replace(request, offset=0, limit=10 * engine.candidates, passages=False, facets=False)
    return [str(p["doc_id"]) for p in _newest_first(d.payload for d in engine.search(whole).documents)]


def search_documents(services: Services, params: SearchRequest, today: dt.date) -> list[dict[str, Any]]:
    ids = _search_set(services.engine, params.to_core(today))
    return _first_passages(services.backend, ids)


def call_documents(services: Services, params: BandiRequest, today: dt.date) -> list[dict[str, Any]]:
    """The calls /bandi lists for the same parameters (all pages)."""
    filters = eligibility(params)
    if params.status:
        filters = filters.model_copy(update={"bando_status": params.status})
    if not params.q:
        return _newest_first(all_calls(services.backend, filters.to_qdrant(today)))
    ids = _search_set(services.engine, CoreRequest(params.q, filters=filters, interpret=False, today=today))
    return _first_passages(services.backend, ids)


# -- how they read --------------------------------------------------------------------------------------------------
def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _date(value: Any) -> str | None:
    day = parse_date(value)
    return day.strftime("%d/%m/%Y") if day else None


def _updated(payload: dict[str, Any]) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(payload.get("ingested_at")))
    except ValueError:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _facts(payload: dict[str, Any], today: dt.date) -> list[str]:
    """What an official reads first: type, place and size, and for a call its issuer, status and deadline."""
    doc_type = str(payload.get("doc_type"))
    facts = [labels.label("doc_type", doc_type)]
    if doc_type == "bando":
        status = status_of(payload, today)
        left = days_left(payload, today)
        facts += [str(payload["issuer"])] if payload.get("issuer") else []
        facts.append(f"ambito: {payload.get('regione') or 'nazionale'}")
        if status:
            facts.append(f"stato: {labels.label('bando_status', status).lower()}"
                         + (f" ({left} giorni alla scadenza)" if left is not None else ""))
        opening, deadline = _date(payload.get("opening_date")), _date(payload.get("deadline"))
        facts += [f"apertura {opening}"] if opening else []
        facts += [f"scadenza {deadline}"] if deadline else ["a sportello, senza scadenza"]
        if payload.get("population_cap"):
            facts.append(f"comuni fino a {_number(int(payload['population_cap']))} abitanti")
        return facts
    place = [str(payload[k]) for k in ("provincia", "regione") if payload.get(k)]
    if payload.get("comune"):
        facts.append(f"Comune di {payload['comune']}" + (f" ({', '.join(place)})" if place else ""))
    elif place:
        facts.append(", ".join(place))
    if payload.get("popolazione"):
        facts.append(f"{_number(int(payload['popolazione']))} abitanti")
    if doc_type == "normativa" and payload.get("level"):
        facts.append(labels.label("level", payload["level"]))
    if payload.get("year"):
        facts.append(str(payload["year"]))
    return facts


def entry(payload: dict[str, Any], today: dt.date, base_url: str) -> Entry:
    doc_id = str(payload["doc_id"])
    summary = " · ".join(_facts(payload, today))
    if payload.get("summary"):
        summary = f"{summary}. {str(payload['summary'])[:SUMMARY_CHARS]}"
    author = payload.get("issuer") or (f"Comune di {payload['comune']}" if payload.get("comune") else AUTHOR)
    categories = [Category(str(payload.get("doc_type")), labels.label("doc_type", payload.get("doc_type")))]
    categories += [Category(f"tema:{t}", labels.label("theme", t)) for t in payload.get("themes") or []]
    categories += [Category(f"sdg:{n}", labels.label("sdg", n)) for n in payload.get("sdg") or []]
    return Entry(id=tag_uri(base_url, f"documenti/{doc_id}"), title=str(payload.get("title") or doc_id),
                 updated=_updated(payload), summary=summary, authors=(str(author),), categories=tuple(categories),
                 links=(Link(file_url(base_url, doc_id), title="Documento originale"),
                        Link(document_url(base_url, doc_id), rel="related", type="application/json",
                             title="Scheda del documento")))


def _feed(base_url: str, path: str, page: str, params: BaseModel, title: str, subtitle: str,
          payloads: list[dict[str, Any]], today: dt.date) -> Feed:
    query = canonical_query(params)
    suffix = f"?{query}" if query else ""
    entries = [entry(p, today, base_url) for p in payloads]
    # with no entry, the day the statuses were computed for: an empty feed changes only when they can
    updated = max((e.updated for e in entries), default=dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC))
    return Feed(id=tag_uri(base_url, f"feed{path}{suffix}"), title=f"{title} · Comuni sostenibili", updated=updated,
                authors=(AUTHOR,), subtitle=subtitle, generator=GENERATOR, entries=entries,
                links=(Link(f"{base_url}{path}{suffix}", rel="self", type=MEDIA_TYPE),
                       Link(f"{base_url}{page}{suffix}", type="text/html")))


def search_feed(services: Services, params: SearchRequest, today: dt.date, base_url: str) -> Feed:
    chosen = []
    for name in _SEARCH_FILTERS:
        value = getattr(params, name)
        if value not in (None, []):
            shown = ", ".join(labels.label(name, v) for v in (value if isinstance(value, list) else [value]))
            chosen.append(f"{labels.FACET_TITLES.get(name, 'Comune')}: {shown}")
    if params.year_from or params.year_to:
        chosen.append(f"anni {params.year_from or '…'}-{params.year_to or '…'}")
    title = f"Ricerca «{params.q}»" + (f" ({'; '.join(chosen)})" if chosen else "")
    return _feed(base_url, "/search/feed.atom", "/", params, title,
                 "I documenti che corrispondono alla ricerca, dal più recente inserito nella base di conoscenza",
                 search_documents(services, params, today), today)


def bandi_title(params: BandiRequest) -> str:
    """`Bandi aperti per comuni di 5.000 abitanti in Lombardia`: the listing in the words of a comune."""
    parts = ["Bandi"]
    if params.status:
        parts.append(" o ".join(_STATUS_WORDS[s.value] for s in params.status))
    if params.q:
        parts.append(f"su «{params.q}»")
    if params.beneficiary:
        parts.append("per " + ", ".join(b.replace("_", " ") for b in params.beneficiary))
    if params.population:
        parts.append(f"per comuni di {_number(params.population)} abitanti")
    if params.regione:
        parts.append(f"in {canonical_regione(params.regione) or params.regione}")
    if params.theme:
        parts.append("su " + ", ".join(labels.label("theme", t) for t in params.theme))
    if params.sdg:
        parts.append("per gli obiettivi " + ", ".join(str(n) for n in params.sdg))
    return " ".join(parts)


def bandi_feed(services: Services, params: BandiRequest, today: dt.date, base_url: str) -> Feed:
    return _feed(base_url, "/bandi/feed.atom", "/ui/bandi", params, bandi_title(params),
                 f"I bandi che corrispondono ai criteri, dal più recente inserito; stato calcolato al "
                 f"{today.strftime('%d/%m/%Y')}", call_documents(services, params, today), today)
