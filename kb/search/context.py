""""Comuni come il mio": experiences from comuni of similar size and area rank higher.

Given the asking comune's population P and/or regione R, each experience (buona pratica or progetto) with its own
comune's population p and regione r is re-scored as

    relevance   = max(score, 0) / best score of the result set              (0..1, the same in every mode)
    size_sim    = max(0, 1 - |log10(p) - log10(P)| / 2)                     (1 same size, 0.5 ten times, 0 at 100x)
    area_sim    = 1 same regione, 0.5 same ISTAT division (Nord-ovest, Nord-est, Centro, Sud, Isole), else 0
    final score = relevance * (1 + size_weight * size_sim + area_weight * area_sim)

A missing part of the context, or of the document, contributes 0. Normative texts and funding calls are not
experiences and keep factor 1. Weights are settings (`KB_CONTEXT_SIZE_WEIGHT` 0.3, `KB_CONTEXT_AREA_WEIGHT` 0.2):
a boost can reorder documents of close relevance, not lift an off-topic one over a pertinent one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from kb.search.fusion import DocumentHit
from kb.text.territory import canonical_regione, territory_key

EXPERIENCE_TYPES = frozenset({"buona_pratica", "progetto"})


@lru_cache(maxsize=1)
def division_of() -> dict[str, str]:
    """Official regione name -> ISTAT division."""
    data = yaml.safe_load(resources.files("kb.data").joinpath("regioni.yaml").read_text(encoding="utf-8"))
    return {canonical_regione(region): division for division, regions in data.items() for region in regions}


@dataclass(frozen=True)
class CommuneContext:
    population: int | None = None
    regione: str | None = None

    @property
    def empty(self) -> bool:
        return self.population is None and not self.regione


def size_similarity(population: int | None, reference: int | None) -> float:
    if population is None or reference is None:
        return 0.0
    gap = abs(math.log10(max(population, 1)) - math.log10(max(reference, 1)))
    return max(0.0, 1.0 - gap / 2.0)


def area_similarity(regione: str | None, reference: str | None) -> float:
    if not regione or not reference:
        return 0.0
    regione, reference = canonical_regione(regione), canonical_regione(reference)  # 'Val d'Aosta' is Valle d'Aosta
    if territory_key(regione) == territory_key(reference):
        return 1.0
    divisions = division_of()
    here, there = divisions.get(regione), divisions.get(reference)
    return 0.5 if here is not None and here == there else 0.0


def boost_factor(payload: dict[str, object], context: CommuneContext, size_weight: float,
                 area_weight: float) -> float:
    if context.empty or payload.get("doc_type") not in EXPERIENCE_TYPES:
        return 1.0
    population = payload.get("popolazione")
    regione = payload.get("regione")
    size = size_similarity(population if isinstance(population, int) else None, context.population)
    area = area_similarity(regione if isinstance(regione, str) else None, context.regione)
    return 1.0 + size_weight * size + area_weight * area


def rerank(documents: list[DocumentHit], context: CommuneContext, size_weight: float, area_weight: float
           ) -> tuple[list[DocumentHit], dict[str, float]]:
    """Documents re-scored for the asking comune, best first, and each document's boost factor. Relevance is the
    score min-max scaled over the result set (1 = best, 0 = last): fused scores may be z-scores, negative too, and a
    factor needs a scale that starts at zero."""
    best = max((d.score for d in documents), default=0.0)
    worst = min((d.score for d in documents), default=0.0)
    boosts: dict[str, float] = {}
    ranked = []
    for doc in documents:
        relevance = (doc.score - worst) / (best - worst) if best > worst else 1.0
        boosts[doc.doc_id] = boost_factor(doc.payload, context, size_weight, area_weight)
        ranked.append(DocumentHit(doc.doc_id, relevance * boosts[doc.doc_id], doc.payload, doc.chunks))
    ranked.sort(key=lambda d: (-d.score, d.doc_id))
    return ranked, boosts
