"""Facet counts over the result set: how many matching documents carry each value of each filterable field.

The result set is the list of documents the search returns over all its pages (query + filters), so a count is
the number of documents, never of passages, and the counts of a single-valued field add up to the total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from kb.storage.filters import bando_status
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


def count_facets(payloads: Iterable[dict[str, Any]], today: dt.date,
                 limit: int = 50) -> dict[str, list[dict[str, Any]]]:
    """{facet: [{value, count, extracted}]}, most frequent first (ties by value), at most `limit` values per facet;
    `extracted` counts the documents whose value was extracted from the text rather than declared.

    A hot path (every search, a few hundred documents): plain loops, no per-value helper calls.
    """
    fields = [(name, field, _ENRICHED.get(field)) for name, field in FACET_FIELDS.items() if field != "bando_status"]
    counts: dict[str, dict[Any, int]] = {name: {} for name in FACET_FIELDS}
    extracted: dict[str, dict[Any, int]] = {name: {} for name in FACET_FIELDS}
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
        status = status_of(payload, today)
        if status:
            counts["bando_status"][status] = counts["bando_status"].get(status, 0) + 1
    return {name: [{"value": value, "count": n, "extracted": extracted[name].get(value, 0)}
                   for value, n in sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))[:limit]]
            for name, counter in counts.items()}
