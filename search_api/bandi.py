"""Listing funding calls without a question: one payload per call, every call the filter admits."""

from __future__ import annotations

from typing import Any

from qdrant_client import models

from kb.search import SearchFilters
from kb.storage.schema import BENEFICIARIES, DocType
from search_api.documents import FIRST_PASSAGE
from search_api.errors import ApiError
from search_api.schemas.bandi import BandiRequest


def eligibility(params: BandiRequest) -> SearchFilters:
    """The calls a comune may apply to, whatever their status ("bandi per il mio comune"): /bandi and its feed."""
    unknown = [b for b in params.beneficiary if b not in BENEFICIARIES]
    if unknown:
        raise ApiError(422, "richiesta_non_valida", f"beneficiari sconosciuti {unknown}; validi: "
                       f"{', '.join(BENEFICIARIES)}", [{"campo": "beneficiary", "messaggio": "valore non ammesso"}])
    return SearchFilters(doc_type=[DocType.bando], beneficiary=params.beneficiary, population=params.population,
                         theme=params.theme, sdg=params.sdg, eligible_regione=params.regione)


def all_calls(backend: Any, flt: models.Filter | None) -> list[dict[str, Any]]:
    """One payload per call (its first passage), every call matching the filter.

    Only first passages are read: a call's metadata is on each of its passages, and reading them all made the
    list cost ~15x more (at 100k chunks, seconds per request under load)."""
    first: dict[str, dict[str, Any]] = {}
    offset = None
    only_first = models.Filter(must=[flt, FIRST_PASSAGE] if flt else [FIRST_PASSAGE])
    while True:
        hits, offset = backend.scroll(only_first, limit=1000, offset=offset)
        for hit in hits:  # every hit is a first passage: the first one met per call is kept
            first.setdefault(str(hit.payload.get("doc_id")), hit.payload)
        if offset is None:
            return list(first.values())
