"""Euro amounts, a call's total budget, and population figures ("comuni fino a 5.000 abitanti").

Amounts: "€ 2.500.000", "2.500.000 euro", "euro 300.000,00", "EUR 1.000", "2,5 milioni di euro", "€ 2,5 mln",
"500 mila euro", "1,2 miliardi". The budget is the amount stated as the call's total ("dotazione", "stanziamento",
"risorse disponibili"); amounts per project ("contributo massimo", "per comune") are not the budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.enrich.text import normalise, parse_italian_number, sentence_around

_NUMBER = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
_SCALE = r"milioni|milione|mln|mld|miliardi|miliardo|mila|migliaia"
_SCALES = {"milioni": 1e6, "milione": 1e6, "mln": 1e6, "mld": 1e9, "miliardi": 1e9, "miliardo": 1e9, "mila": 1e3,
           "migliaia": 1e3}
_AMOUNT = re.compile(
    rf"(?:(?:€|eur\b|euro\b)\s?(?P<n1>{_NUMBER})(?:\s?(?P<s1>{_SCALE})\b)?"
    rf"|(?P<n2>{_NUMBER})\s?(?:(?P<s2>{_SCALE})\s+(?:di\s+)?)?(?:€|euro\b|eur\b))",
    re.IGNORECASE)
_BUDGET_CUES = re.compile(r"dotazion|stanziament|stanziat|risorse|budget|plafond|importo complessiv|complessiv|"
                          r"totale|ammonta", re.IGNORECASE)
_PER_PROJECT = re.compile(r"massim|minim|per comune|per progetto|per ente|per beneficiario|per domanda|ciascun|"
                          r"fino a|non superiore|contributo|quota|premio", re.IGNORECASE)

_CAP = re.compile(
    rf"(?P<cue>pari\s+o\s+inferiore\s+a|fino\s+a|sino\s+a|inferiore\s+a|inferiori\s+a|sotto\s+i|"
    rf"al\s+di\s+sotto\s+dei|meno\s+di|non\s+superiore\s+a|non\s+superiori\s+a|entro\s+i|con\s+non\s+più\s+di|massimo)\s*(?:i\s+)?"
    rf"(?P<n>{_NUMBER})\s+abitanti", re.IGNORECASE)
_STRICT = re.compile(r"inferiore|inferiori|sotto|meno", re.IGNORECASE)
_COMUNE_CONTEXT = re.compile(r"\bcomun[ei]\b|\bborgo\b|\bpaese\b|\bcittà\b|\bunione\b", re.IGNORECASE)


@dataclass(frozen=True)
class Amount:
    euro: float
    start: int
    end: int


@dataclass(frozen=True)
class Extracted:
    value: float
    confidence: float
    evidence: str


def find_amounts(text: str) -> list[Amount]:
    """Every euro amount in the text, in order."""
    found: list[Amount] = []
    for m in _AMOUNT.finditer(text):
        raw, scale = (m.group("n1"), m.group("s1")) if m.group("n1") else (m.group("n2"), m.group("s2"))
        try:
            value = parse_italian_number(raw) * (_SCALES[scale.lower()] if scale else 1)
        except ValueError:
            continue
        found.append(Amount(round(value, 2), m.start(), m.end()))
    return found


def call_budget(text: str) -> Extracted | None:
    """The call's total budget: the first amount stated as a total; per-project amounts lose."""
    text = normalise(text)
    best: Extracted | None = None
    for amount in find_amounts(text):
        before, _ = sentence_around(text, amount.start, amount.end, limit=120)
        near = before[-90:]
        if not _BUDGET_CUES.search(near):
            continue
        confidence = 0.5 if _PER_PROJECT.search(near[-45:]) else 0.85
        if best is None or confidence > best.confidence:
            best = Extracted(amount.euro, confidence, (near + text[amount.start:amount.end]).strip())
    return best


def population_cap(text: str) -> Extracted | None:
    """Largest population of an eligible comune: 'fino a 5.000 abitanti' -> 5000, 'inferiore a 5.000' -> 4999."""
    text = normalise(text)
    for m in _CAP.finditer(text):
        before, _ = sentence_around(text, m.start(), m.end(), limit=160)
        if not _COMUNE_CONTEXT.search(before[-120:] + m.group(0)):
            continue
        value = parse_italian_number(m.group("n"))
        if _STRICT.search(m.group("cue")) and not m.group("cue").lower().startswith("pari"):
            value -= 1
        return Extracted(value, 0.85, (before[-60:] + m.group(0)).strip())
    return None


def comune_population(text: str, name: str | None = None) -> Extracted | None:
    """A comune's own population stated in the text: "un comune di 1.850 abitanti", or next to its name:
    "Sommalpe (1.850 abitanti)", "Sommalpe, 1.850 abitanti", "Sommalpe conta 1.850 abitanti". Thresholds
    ("fino a 5.000 abitanti") and the population of other places (a frazione, a union) are left out."""
    text = normalise(text)
    if name:
        near_name = re.compile(rf"\b{re.escape(name)}\b[^.()\n]{{0,40}}?(?:\(|,|\bconta|\bha|\bcon)\s*"
                               rf"(?:circa|quasi|poco più di|oltre)?\s*(?P<n>{_NUMBER})\s+(?:abitanti|residenti)",
                               re.IGNORECASE)
        m = near_name.search(text)
        if m:
            return Extracted(parse_italian_number(m.group("n")), 0.8, m.group(0))
    m = _OWN_POPULATION.search(text)
    if m:
        return Extracted(parse_italian_number(m.group("n")), 0.7, m.group(0))
    return None


_OWN_POPULATION = re.compile(
    rf"(?:\bcomune\s+(?:montano\s+|rurale\s+|lombardo\s+)?di|\bpopolazione\s+(?:residente\s+)?(?:è\s+)?di|"
    rf"\bconta)\s+(?:circa|quasi|poco più di|oltre)?\s*(?P<n>{_NUMBER})\s+abitanti", re.IGNORECASE)
