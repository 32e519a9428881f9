"""Facet counts over the result set: how many matching documents carry each value of each filterable field.

The result set is the list of documents the search returns over all its pages (query + filters), so a count is
the number of documents, never of passages, and the counts of a single-valued field add up to the total.

Facets are disjunctive, as in InstantSearch or Elastic's Search UI: a facet whose own filter is set is counted over
the result set of the same search without that filter (every other filter applied), so checking "Lombardia" keeps
the other regioni listed with the count each would give if checked too (values of one field are OR, fields AND).
The engine runs one more retrieval per filtered facet for that (`refined_facets`, `without_own_filter`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from kb.storage.filters import SearchFilters, bando_status
from kb.storage.schema import FLAG_FIELDS

# facet name (as the filter parameter) -> payload field
FACET_FIELDS: dict[str, str] = {
    "doc_type": "doc_type",
    "sdg": "sdg",
    "theme": "themes",
    "regione": "regione",
    "provincia": "provincia",
    "comune": "comune",
    "population_band": "population_band",
    "year": "year",
    "level": "level",
    "in_force": "in_force",
    "bando_status": "bando_status",
}
# facet -> the SearchFilters fields that are its own filter (left out when that facet is counted); the statuses read
# in the question are the status facet's filter too (an explicit status replaces them)
OWN_FILTERS: dict[str, tuple[str, ...]] = {
    "doc_type": ("doc_type",), "sdg": ("sdg",), "theme": ("theme",), "regione": ("regione",),
    "provincia": ("provincia",), "comune": ("comune",), "population_band": ("population_band",),
    "year": ("year_from", "year_to"), "level": ("level",), "in_force": ("in_force",),
    "bando_status": ("bando_status", "calls_in_status"),
}
# payload fields a candidate needs for facets, status and the comune context
FACET_PAYLOAD = tuple(sorted({f for f in FACET_FIELDS.values() if f != "bando_status"}
                             | {"opening_date", "deadline", "popolazione", "extracted_fields"}))
# a facet whose value may have been extracted rather than declared -> the field enrichment records
_ENRICHED = {"doc_type": "doc_type", "sdg": "sdg", "themes": "themes", "regione": "regione", "provincia": "provincia",
             "comune": "comune", "population_band": "popolazione", "year": "year", "level": "level"}


def parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def status_of(payload: dict[str, Any], today: dt.date) -> str | None:
    """Status of a funding call today (aperto / in_arrivo / scaduto); None for other documents."""
    if payload.get("doc_type") != "bando":
        return None
    status = bando_status(parse_date(payload.get("opening_date")), parse_date(payload.get("deadline")), today)
    return status.value if status else None


def refined_facets(filters: SearchFilters) -> list[str]:
    """The facets whose own filter is set: each is counted without it."""
    return [name for name, own in OWN_FILTERS.items()
            if any(getattr(filters, f) not in (None, []) for f in own)]


def without_own_filter(filters: SearchFilters, facet: str) -> SearchFilters:
    """The filters every other facet sets: the result set `facet` is counted over."""
    cleared = {f: SearchFilters.model_fields[f].get_default(call_default_factory=True) for f in OWN_FILTERS[facet]}
    return filters.model_copy(update=cleared)


def selected_values(filters: SearchFilters, facet: str) -> list[Any]:
    """The values a user checked in `facet`, as the facet lists them (a year range checks no single value)."""
    if facet == "year":
        return []
    chosen = getattr(filters, OWN_FILTERS[facet][0])
    if chosen is None:
        return []
    return [getattr(v, "value", v) for v in (chosen if isinstance(chosen, list) else [chosen])]


def newest_payloads(payloads: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One payload per document among passages' `payloads`, of its newest version: the documents
    `group_by_document` makes of them, without ranking (what a facet needs)."""
    newest: dict[str, tuple[str, dict[str, Any]]] = {}
    for payload in payloads:
        doc_id, version = str(payload.get("doc_id")), str(payload.get("ingested_at", ""))
        kept = newest.get(doc_id)
        if kept is None or version > kept[0]:
            newest[doc_id] = (version, payload)
    return [payload for _, payload in newest.values()]


def count_facets(payloads: Iterable[dict[str, Any]], today: dt.date, limit: int = 50,
                 names: Collection[str] | None = None, selected: Mapping[str, Sequence[Any]] | None = None
                 ) -> dict[str, list[dict[str, Any]]]:
    """{facet: [{value, count, extracted}]}, most frequent first (ties by value), at most `limit` values per facet;
    `extracted` counts the documents whose value was extracted from the text rather than declared. `names` limits
    the facets counted; a `selected` value is always listed (count 0 if no document has it), so it can be unchecked.

    A hot path (every search, a few hundred documents): plain loops, no per-value helper calls.
    """
    wanted = FACET_FIELDS if names is None else {n: f for n, f in FACET_FIELDS.items() if n in names}
    fields = [(name, field, _ENRICHED.get(field)) for name, field in wanted.items() if field != "bando_status"]
    with_status = "bando_status" in wanted
    counts: dict[str, dict[Any, int]] = {name: {} for name in wanted}
    extracted: dict[str, dict[Any, int]] = {name: {} for name in wanted}
    for payload in payloads:
        guessed = payload.get("extracted_fields") or ()
        for name, field, source in fields:
            value = payload.get(field)
            if value is None or value == "" or value == []:
                continue
            counter = counts[name]
            marked = extracted[name] if source in guessed else None
            if isinstance(value, list):
                for item in set(value):
                    counter[item] = counter.get(item, 0) + 1
                    if marked is not None:
                        marked[item] = marked.get(item, 0) + 1
            else:
                if field in FLAG_FIELDS and isinstance(value, str):
                    value = value == "si"
                counter[value] = counter.get(value, 0) + 1
                if marked is not None:
                    marked[value] = marked.get(value, 0) + 1
        if with_status:
            status = status_of(payload, today)
            if status:
                counts["bando_status"][status] = counts["bando_status"].get(status, 0) + 1
    facets = {}
    for name, counter in counts.items():
        shown = [value for value, _ in sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))[:limit]]
        shown += [v for v in (selected or {}).get(name, ()) if v not in shown]
        facets[name] = [{"value": v, "count": counter.get(v, 0), "extracted": extracted[name].get(v, 0)} for v in shown]
    return facets
