"""Words of a question that are really a filter: "bandi aperti", "avvisi scaduti", "contributi in arrivo".

An official types "bandi aperti per piste ciclabili": `aperti` is a status, not a topic. When a query names funding
calls (bando, avviso, finanziamento, contributo, call...) together with a status word, and the request sets no status
filter of its own, calls in the other statuses are left out; documents of other types stay. The response says what
was interpreted (`interpreted`), so an interface can show it and a client can turn it off (`interpret=false`).
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
_WORD = re.compile(r"[a-z0-9]+")


def call_statuses(query: str) -> list[BandoStatus]:
    """Statuses the query asks funding calls to be in; empty when it names no call or no status."""
    words = _WORD.findall(fold(query))
    if not CALL_WORDS.intersection(words):
        return []
    text = f" {' '.join(words)} "
    return [status for status, phrases in STATUS_PHRASES.items() if any(f" {p} " in text for p in phrases)]
