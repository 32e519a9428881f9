"""Status words read in a question only when they qualify calls, with negation (issue 19, item 4)."""

from __future__ import annotations

import pytest

from kb.search.intent import call_statuses
from kb.storage.filters import BandoStatus

OPEN, EXPIRED, SOON = BandoStatus.aperto, BandoStatus.scaduto, BandoStatus.in_arrivo


@pytest.mark.parametrize("question, statuses", [
    ("bandi aperti per piste ciclabili", [OPEN]),
    ("avvisi scaduti illuminazione", [EXPIRED]),
    ("contributi in arrivo per le scuole", [SOON]),
    ("bandi per le piste ciclabili ancora aperti", [OPEN]),  # "ancora" alone only stresses
    ("bandi non scaduti", [OPEN, SOON]),
    ("bandi non ancora aperti", [SOON]),
    ("bandi che non sono ancora aperti", [SOON]),
    ("avvisi non ancora scaduti per il fotovoltaico", [OPEN]),
    ("bandi non aperti", [EXPIRED, SOON]),
    ("progetto mobilità attiva contributi", []),  # a theme, and before the call word
    ("contributi per la mobilità attiva", []),
    ("comuni con bandi di cittadinanza attiva", []),
    ("aperti i bandi?", []),  # a status before the call word does not qualify it
    ("bandi per la riqualificazione energetica degli edifici scolastici comunali aperti", [OPEN]),
    ("piste ciclabili aperte al pubblico", []),  # no call word
])
def test_status_words(question: str, statuses: list[BandoStatus]) -> None:
    assert call_statuses(question) == statuses
