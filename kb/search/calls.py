"""Funding calls in the order officials expect, and the days left to apply.

Order by deadline: open calls first, the one closing soonest on top (calls without a deadline, "a sportello",
after them); then calls opening soon, by opening date; then expired calls, the most recent first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kb.search.facets import parse_date, status_of
from kb.storage.filters import BandoStatus

_FAR = dt.date.max


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
