"""Italian sentence splitting without downloads (NLTK's punkt data is not installable here).

A sentence ends at . ! or ? followed by a space and an upper-case letter, a digit or a quote, except after
common Italian abbreviations (art., n., D.Lgs., ecc., pag., dott., sig.) and single initials. Apostrophes never end
a sentence: "l'impianto", "dell'ente" and "c'è" stay whole.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset((
    "art artt n nn co c comma lett d lgs dlgs dl dpr dm dpcm l lr reg dir es ecc pag pagg p pp sig sigg dott dr "
    "ing arch avv prof geom rag on sen cfr vol cap tab fig all mln mld ca vs nr prot rif tel"
).split())
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[\"«“(\[]?[A-ZÀ-ÖØ-Ý0-9])")
_LAST_WORD = re.compile(r"([A-Za-zÀ-ÿ]+)\.$")


def split_sentences(text: str) -> list[str]:
    parts = _BOUNDARY.split(text.strip())
    sentences: list[str] = []
    for part in parts:
        if sentences and _ends_with_abbreviation(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {part}"
        else:
            sentences.append(part)
    return [s for s in (s.strip() for s in sentences) if s]


def _ends_with_abbreviation(sentence: str) -> bool:
    match = _LAST_WORD.search(sentence)
    if not match:
        return False
    word = match.group(1)
    return len(word) == 1 or word.lower().replace(".", "") in ABBREVIATIONS
