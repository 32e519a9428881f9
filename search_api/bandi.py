"""Funding calls: status from the dates against today, eligibility, and the order officials expect.

Order by deadline: open calls first, the one closing soonest on top (calls without a deadline, "a sportello",
after them); then calls opening soon, by opening date; then expired calls, the most recent first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from qdrant_client import models

from kb.index.filters import BandoStatus, SearchFilters
from kb.index.schema import DocType
from search_api.documents import FIRST_PASSAGE
from search_api.facets import parse_date, status_of

_FAR = dt.date.max


def eligibility_filter(filters: SearchFilters, regione: str | None, today: dt.date) -> models.Filter:
    """The filters, plus: a call of the comune's regione, or one with no regione (national, European)."""
    base = filters.model_copy(update={"doc_type": [DocType.bando]}).to_qdrant(today)
    must: list[models.Condition] = list(base.must or []) if base and isinstance(base.must, list) else []
    if regione:
        must.append(models.Filter(should=[
            models.FieldCondition(key="regione", match=models.MatchValue(value=regione)),
            models.IsNullCondition(is_null=models.PayloadField(key="regione")),
            models.IsEmptyCondition(is_empty=models.PayloadField(key="regione")),
        ]))
    return models.Filter(must=must)


def deadline_key(payload: dict[str, Any], today: dt.date) -> tuple[int, int, str]:
    status = status_of(payload, today)
    opening, deadline = parse_date(payload.get("opening_date")), parse_date(payload.get("deadline"))
    if status == BandoStatus.aperto:
        return 0, (deadline or _FAR).toordinal(), str(payload.get("doc_id"))
    if status == BandoStatus.in_arrivo:
        return 1, (opening or _FAR).toordinal(), str(payload.get("doc_id"))
    if status == BandoStatus.scaduto:
        return 2, -(deadline or dt.date.min).toordinal(), str(payload.get("doc_id"))
    return 3, 0, str(payload.get("doc_id"))


def days_left(payload: dict[str, Any], today: dt.date) -> int | None:
    deadline = parse_date(payload.get("deadline"))
    if deadline is None or status_of(payload, today) != BandoStatus.aperto:
        return None
    return (deadline - today).days


def all_calls(backend: Any, flt: models.Filter) -> list[dict[str, Any]]:
    """One payload per call (its first passage), every call matching the filter.

    Only first passages are read: a call's metadata is on each of its passages, and reading them all made the
    list cost ~15x more (at 100k chunks, seconds per request under load)."""
    first: dict[str, dict[str, Any]] = {}
    offset = None
    only_first = models.Filter(must=[flt, FIRST_PASSAGE])
    while True:
        hits, offset = backend.scroll(only_first, limit=1000, offset=offset)
        for hit in hits:  # every hit is a first passage: the first one met per call is kept
            first.setdefault(str(hit.payload.get("doc_id")), hit.payload)
        if offset is None:
            return list(first.values())
