"""What enrichment adds to one document's metadata: extracted values for the fields its submitter left empty.

Declared values are never replaced. Every filled field records its origin, `dichiarato` or `estratto`, and for
extracted ones a confidence and the words it came from, in the payload's `provenance`; `extracted_fields` lists
the extracted ones (indexed, so facets can mark them). Which fields are looked for depends on the document type:
a funding call has dates and a budget, an experience has a comune, an act has its own reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingest.enrich.acts import act_key, cited_acts, find_acts
from ingest.enrich.amounts import call_budget, comune_population, population_cap
from ingest.enrich.dates import call_dates
from ingest.enrich.gazetteer import Gazetteer
from ingest.enrich.places import find_places, find_regione
from ingest.enrich.tagging import Tag, Tagger
from kb.storage.schema import population_band
from kb.text.territory import TERRITORY_FIELDS, canonical

DECLARED, EXTRACTED = "dichiarato", "estratto"
# fields enrichment may fill, so the ones a submitter gave are recorded as declared
ENRICHABLE = ("sdg", "themes", "comune", "provincia", "regione", "popolazione", "opening_date", "deadline", "budget",
              "population_cap", "reference", "level", "act_date", "year")
TERRITORIAL_TYPES = ("buona_pratica", "progetto")


@dataclass(frozen=True)
class Value:
    value: Any
    confidence: float
    evidence: str


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == ""


def extract_values(text: str, meta: dict[str, Any], chunk_vectors: list[list[float]] | None, tagger: Tagger,
                   gazetteer: Gazetteer) -> dict[str, Value]:
    """Candidate values for the empty fields of one document (declared fields are not even looked at)."""
    doc_type = str(meta.get("doc_type") or "")
    title = str(meta.get("title") or "")
    wanted = {f for f in ENRICHABLE if _empty(meta.get(f))}
    found: dict[str, Value] = {}
    if wanted & {"sdg", "themes"}:
        tags = tagger.tags(f"{title}\n{text}", chunk_vectors, doc_type)
        for family in ("sdg", "themes"):
            if family in wanted and tags[family]:
                found[family] = tag_value(family, tags[family])
    if doc_type in TERRITORIAL_TYPES:
        places = find_places(text, gazetteer, title)
        for name in ("comune", "provincia", "regione", "popolazione"):
            item = getattr(places, name)
            if item is not None and name in wanted:
                found[name] = Value(item.value, item.confidence, item.evidence)
        if "popolazione" in wanted and "popolazione" not in found:
            comune = found.get("comune")
            stated = comune_population(text, str(comune.value) if comune else None)
            if stated:
                found["popolazione"] = Value(int(stated.value), stated.confidence, stated.evidence)
    elif doc_type == "bando":
        reference_year = meta.get("year") if isinstance(meta.get("year"), int) else None
        dates = call_dates(text, reference_year)
        for name, item in (("opening_date", dates.opening_date), ("deadline", dates.deadline)):
            if item is not None and name in wanted:
                found[name] = Value(item.date.isoformat(), item.confidence, item.evidence)
        for name, extracted in (("budget", call_budget(text)), ("population_cap", population_cap(text))):
            if extracted is not None and name in wanted:
                value = int(extracted.value) if name == "population_cap" else extracted.value
                found[name] = Value(value, extracted.confidence, extracted.evidence)
        regione = find_regione(f"{title}\n{meta.get('issuer') or ''}\n{text}", gazetteer)
        if "regione" in wanted and regione is not None and regione.confidence >= 0.8:
            found["regione"] = Value(regione.value, regione.confidence, regione.evidence)
        if "year" in wanted and "deadline" in found:
            found["year"] = Value(int(found["deadline"].value[:4]), found["deadline"].confidence, "anno della scadenza")
    elif doc_type == "normativa":
        found.update(_own_act(title, text, wanted, gazetteer))
    return found


def tag_value(family: str, tags: list[Tag]) -> Value:
    """A family's tags as one field: the labels best first; its reliability is that of its surest tag (so a weak
    second tag does not drop the document's main goal under KB_ENRICH_MIN_CONFIDENCE); the source names each tag with
    its own confidence and, if so, its rule ("7 (0.93), 13 (0.61)")."""
    labels = [int(t.label) if family == "sdg" else t.label for t in tags]
    evidence = ", ".join(f"{t.label} ({t.confidence:.2f}" + (f", {t.source})" if t.source != "testo" else ")")
                         for t in tags)
    return Value(labels, max(t.confidence for t in tags), evidence)


def _own_act(title: str, text: str, wanted: set[str], gazetteer: Gazetteer) -> dict[str, Value]:
    """An act's own reference, level and year, from its title (or its first lines)."""
    in_title = find_acts(title)
    acts = in_title or find_acts(text[:400])
    if not acts:
        return {}
    act = acts[0]
    evidence = title if in_title else text[:120]
    found = {"reference": Value(act.display, 0.85, evidence), "level": Value(act.level, 0.85, evidence),
             "year": Value(act.year, 0.85, evidence)}
    if act.level == "regionale":
        regione = find_regione(f"{title}\n{text[:1500]}", gazetteer)
        if regione is not None:
            found["regione"] = Value(regione.value, regione.confidence, regione.evidence)
    return {k: v for k, v in found.items() if k in wanted}


def enrich_metadata(meta: dict[str, Any], found: dict[str, Value], min_confidence: float) -> dict[str, Any]:
    """The document's metadata with extracted values filled in and their provenance; declared values untouched.
    What an earlier step recorded (the type, `ingest/components/doc_type_classifier.py`) is kept."""
    out = dict(meta)
    provenance: dict[str, dict[str, Any]] = dict(meta.get("provenance") or {})
    for name in ENRICHABLE:
        if not _empty(meta.get(name)):
            provenance[name] = {"origine": DECLARED, "affidabilita": 1.0}
    extracted: list[str] = list(meta.get("extracted_fields") or [])
    for name, item in found.items():
        if item.confidence < min_confidence or not _empty(meta.get(name)):
            continue
        # the spelling declared values are stored in, so filters find both (kb/text/territory.py)
        out[name] = canonical(name, str(item.value)) if name in TERRITORY_FIELDS else item.value
        provenance[name] = {"origine": EXTRACTED, "affidabilita": item.confidence, "fonte": item.evidence[:200]}
        extracted.append(name)
    if "popolazione" in extracted:
        out["population_band"] = population_band(out["popolazione"])
    out["provenance"] = provenance
    out["extracted_fields"] = sorted(extracted)
    return out


def act_links(text: str, meta: dict[str, Any]) -> dict[str, Any]:
    """Acts the document cites (canonical keys, for links) and, for an act, its own key."""
    own = act_key(str(meta.get("reference") or "")) if meta.get("reference") else None
    cited = cited_acts(text, own_key=own)
    return {"reference_key": own, "cited_acts": [a.key for a in cited][:50],
            "cited_act_labels": [a.display for a in cited][:50]}
