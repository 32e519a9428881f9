"""Words of a question that are really a filter: "bandi aperti", "avvisi scaduti", "contributi in arrivo".

An official types "bandi aperti per piste ciclabili": `aperti` is a status, not a topic. When a query names funding
calls (bando, avviso, finanziamento, contributo, call...) and a status word qualifies them, and the request sets no
status filter of its own, calls in the other statuses are left out; documents of other types stay. The response
says what was interpreted (`interpreted`), so an interface can show it and a client can turn it off
(`interpret=false`).

A status word qualifies calls when it comes after a call word, within `WINDOW` words ("bandi per le piste ciclabili
ancora aperti"), and is not part of a theme ("mobilità attiva", "cittadinanza attiva"). Negation turns it into the
other statuses: "non scaduti" = open or opening soon, "non ancora aperti" = opening soon; "ancora" alone only
stresses ("ancora aperti" = open).
"""

from __future__ import annotations

import re

from kb.storage.filters import BandoStatus
from kb.text.analysis import fold

CALL_WORDS = frozenset({"bando", "bandi", "avviso", "avvisi", "finanziamento", "finanziamenti", "contributo",
                        "contributi", "call", "incentivo", "incentivi", "agevolazione", "agevolazioni"})
STATUS_PHRASES: dict[BandoStatus, tuple[str, ...]] = {
    BandoStatus.aperto: ("aperto", "aperti", "aperta", "aperte", "attivo", "attivi", "attiva", "attive", "in corso",
                         "in scadenza"),
    BandoStatus.scaduto: ("scaduto", "scaduti", "scaduta", "scadute", "chiuso", "chiusi", "chiusa", "chiuse"),
    BandoStatus.in_arrivo: ("in arrivo", "di prossima apertura", "prossima apertura", "in uscita", "futuri",
                            "futuro", "in apertura"),
}
THEME_PHRASES = ("mobilita attiva", "cittadinanza attiva", "partecipazione attiva", "politiche attive",
                 "invecchiamento attivo", "parte attiva", "ruolo attivo", "cittadini attivi", "mobilita dolce attiva")
WINDOW = 12  # words after a call word in which a status word still qualifies it
_WORD = re.compile(r"[a-z0-9]+")


def call_statuses(query: str) -> list[BandoStatus]:
    """Statuses the query asks funding calls to be in; empty when it names no call or no status."""
    text = f" {' '.join(_WORD.findall(fold(query)))} "
    for phrase in THEME_PHRASES:
        text = text.replace(f" {phrase} ", " _ ")
    words = text.split()
    calls = [i for i, w in enumerate(words) if w in CALL_WORDS]
    if not calls:
        return []
    found: set[BandoStatus] = set()
    for status, phrases in STATUS_PHRASES.items():
        for phrase in phrases:
            size = len(phrase.split())
            for start in range(len(words) - size + 1):
                if " ".join(words[start:start + size]) != phrase:
                    continue
                if not any(0 < start - c <= WINDOW for c in calls):
                    continue
                found.update(_meaning(status, words[max(0, start - 3):start]))
    return [s for s in STATUS_PHRASES if s in found]


def _meaning(status: BandoStatus, before: list[str]) -> list[BandoStatus]:
    """The statuses a status word asks for, given the three words before it ("che non sono ancora aperti")."""
    if "non" not in before:
        return [status]
    if "ancora" in before and status is BandoStatus.aperto:
        return [BandoStatus.in_arrivo]  # not yet open
    if "ancora" in before and status is BandoStatus.scaduto:
        return [BandoStatus.aperto]  # not yet expired
    return [other for other in STATUS_PHRASES if other is not status]
