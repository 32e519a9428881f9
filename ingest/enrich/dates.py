"""Italian dates in running text, and the opening date and deadline of a funding call.

Recognised: "30 giugno 2025", "1° marzo 2026", "lunedì 2 febbraio 2026", "30/06/2025", "30.06.2025", "31-12-25",
and dates without a year ("dal 1° marzo"), which take the year of the nearest later date in the same sentence or the
document's reference year. A call's dates are told apart by the words before them ("entro", "scadenza", "dal",
"a partire da") and rank higher in a sentence about applications ("domande", "candidature").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ingest.enrich.text import normalise, sentence_around

MONTHS = {
    "gennaio": 1, "febbraio": 2, "marzo": 3, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7, "agosto": 8,
    "settembre": 9, "ottobre": 10, "novembre": 11, "dicembre": 12,
    "gen": 1, "feb": 2, "mar": 3, "apr": 4, "mag": 5, "giu": 6, "lug": 7, "ago": 8, "set": 9, "sett": 9,
    "ott": 10, "nov": 11, "dic": 12,
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WRITTEN = re.compile(rf"\b(?P<day>[0-3]?\d)(?:\s?[°º]|°)?\s+(?P<month>{_MONTH})\.?(?:\s+(?P<year>(?:19|20)\d\d))?\b",
                      re.IGNORECASE)
_FIRST = re.compile(rf"\b(?P<day>primo)\s+(?P<month>{_MONTH})(?:\s+(?P<year>(?:19|20)\d\d))?\b", re.IGNORECASE)
_NUMERIC = re.compile(r"\b(?P<day>[0-3]?\d)[/.-](?P<month>[01]?\d)[/.-](?P<year>(?:19|20)\d\d|\d\d)\b")

_DEADLINE_CUES = re.compile(
    r"(entro|scadenza|scade|scadono|termine|non oltre|fino al|fino alle|chiusura|chiude|ultimo giorno)\b[^.;]{0,60}$",
    re.IGNORECASE)
_OPENING_CUES = re.compile(
    r"(?:^|\W)(dal|dall'|dalle|a partire da\w*|a decorrere da\w*|apertura|si apre|apre|aprirà|disponibile da\w*)"
    r"\b[^.;]{0,40}$", re.IGNORECASE)
# "dal 1° marzo al 30 giugno", "dalle ore 10 del 2 maggio alle ore 12 del 30 giugno": the second date closes the range
_RANGE_END = re.compile(r"^\W*(?:ed?\s+)?(?:al|all'|alle|allo|fino\s+a\w*|sino\s+a\w*|a)\b", re.IGNORECASE)
_APPLICATION = re.compile(r"domand|candidatur|presentazion|proposte|istanz|richiest|partecipazion|adesion|invio",
                          re.IGNORECASE)
_NOT_APPLICATION = re.compile(r"lavori|interventi|conclu|rendicont|realizzazion|graduatoria|esercizio|quesiti",
                              re.IGNORECASE)


@dataclass(frozen=True)
class DateMention:
    date: dt.date
    start: int
    end: int
    had_year: bool


@dataclass(frozen=True)
class CallDate:
    date: dt.date
    confidence: float
    evidence: str


@dataclass(frozen=True)
class CallDates:
    opening_date: CallDate | None
    deadline: CallDate | None


def find_dates(text: str, reference_year: int | None = None) -> list[DateMention]:
    """Every date in the text, in order; a date without a year borrows one (see module docstring) or is dropped."""
    raw: list[tuple[int, int, int, int, int | None]] = []  # start, end, day, month, year
    for pattern in (_WRITTEN, _FIRST):
        for m in pattern.finditer(text):
            day = 1 if m.group("day").lower() == "primo" else int(m.group("day"))
            year = int(m.group("year")) if m.group("year") else None
            raw.append((m.start(), m.end(), day, MONTHS[m.group("month").lower()], year))
    for m in _NUMERIC.finditer(text):
        year = int(m.group("year"))
        year = year + 2000 if year < 100 else year
        raw.append((m.start(), m.end(), int(m.group("day")), int(m.group("month")), year))
    raw.sort()
    found: list[DateMention] = []
    for i, (start, end, day, month, year) in enumerate(raw):
        had_year = year is not None
        if year is None:
            year = _borrowed_year(text, raw, i) or reference_year
        if year is None:
            continue
        try:
            found.append(DateMention(dt.date(year, month, day), start, end, had_year))
        except ValueError:
            continue  # 31 febbraio, 45/13/2020: not a date
    return found


def _borrowed_year(text: str, raw: list[tuple[int, int, int, int, int | None]], i: int) -> int | None:
    """'dal 1° marzo al 30 giugno 2026': the year of the next dated mention in the same sentence."""
    end = raw[i][1]
    for start, _, _, _, year in raw[i + 1:]:
        between = text[end:start]
        if "." in between.replace("°", "") or "\n" in between or len(between) > 120:
            return None
        if year is not None:
            return year
    return None


def call_dates(text: str, reference_year: int | None = None) -> CallDates:
    """Opening date and deadline for applications, each with a confidence in [0, 1]."""
    text = normalise(text)
    openings: list[CallDate] = []
    deadlines: list[CallDate] = []
    previous: tuple[DateMention, str] | None = None
    for mention in find_dates(text, reference_year):
        before, after = sentence_around(text, mention.start, mention.end)
        sentence = before + after
        about_applications = bool(_APPLICATION.search(sentence))
        about_other = bool(_NOT_APPLICATION.search(before[-80:]))
        base = 0.9 if about_applications and not about_other else 0.55 if not about_other else 0.3
        if not mention.had_year:
            base -= 0.1
        evidence = (before[-60:] + text[mention.start:mention.end]).strip()
        near = before[-70:]
        if previous and previous[1] == "opening" and _RANGE_END.match(text[previous[0].end:mention.start]):
            deadlines.append(CallDate(mention.date, openings[-1].confidence, evidence))
            previous = (mention, "deadline")
            continue
        kind = ""
        if _DEADLINE_CUES.search(near) and not _OPENING_CUES.search(near[-25:]):
            deadlines.append(CallDate(mention.date, round(base, 2), evidence))
            kind = "deadline"
        elif _OPENING_CUES.search(near):
            openings.append(CallDate(mention.date, round(base, 2), evidence))
            kind = "opening"
        previous = (mention, kind)
    deadline = _best(deadlines)
    opening = _best([o for o in openings if deadline is None or o.date <= deadline.date])
    return CallDates(opening, deadline)


def _best(candidates: list[CallDate]) -> CallDate | None:
    """Highest confidence; among equals, the first mention (calls state their own dates before others)."""
    if not candidates:
        return None
    top = max(c.confidence for c in candidates)
    return next(c for c in candidates if c.confidence == top)
