"""The requests of "similar experiences": one definition for `POST /similar`, `GET /documents/{id}/similar`, the
similar-document page and the evaluation of the judged set (`evaluation/similar.py`), so what is measured is what
the routes answer."""

from __future__ import annotations

import datetime as dt

from kb.search.probe import Probe
from kb.search.types import SearchRequest
from kb.storage.filters import SearchFilters
from kb.storage.schema import DocType

PASSAGES_PER_DOC = 2  # passages shown per similar document: what it shares with the probe
EXPERIENCE_TYPES: tuple[DocType, ...] = (DocType.buona_pratica, DocType.progetto)


def experiences_request(probe: Probe, *, limit: int = 10, today: dt.date | None = None) -> SearchRequest:
    """A pasted project's comparable experiences: the good practices and projects nearest to it."""
    return SearchRequest(probe, filters=SearchFilters(doc_type=list(EXPERIENCE_TYPES)), limit=limit,
                         passages_per_doc=PASSAGES_PER_DOC, today=today, facets=False)


def more_like_this_request(probe: Probe, doc_id: str, *, limit: int = 10, today: dt.date | None = None
                           ) -> SearchRequest:
    """The documents of any type nearest to an indexed one, itself excluded."""
    return SearchRequest(probe, exclude_doc_id=doc_id, limit=limit, passages_per_doc=PASSAGES_PER_DOC, today=today,
                         facets=False)
