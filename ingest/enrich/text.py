"""Text normalisation shared by the extractors: typographic apostrophes, Markdown emphasis, spacing."""

from __future__ import annotations

import re
import unicodedata

from kb.text import analysis

_APOSTROPHES = str.maketrans(dict.fromkeys(analysis.APOSTROPHES, "'"))
_EMPHASIS = re.compile(r"(\*\*|__|\*|(?<!\w)_(?=\w)|(?<=\w)_(?!\w))")
_SPACES = re.compile(r"[ \t\u00a0\u202f]+")


def normalise(text: str) -> str:
    """NFC, plain apostrophes, no Markdown emphasis, single spaces (line breaks kept for sentence cues)."""
    text = unicodedata.normalize("NFC", text).translate(_APOSTROPHES)
    return _SPACES.sub(" ", _EMPHASIS.sub("", text))


def fold(text: str) -> str:
    """Case- and accent-insensitive key: 'Cantù' and 'CANTU' compare equal; any apostrophe is a plain one."""
    return analysis.fold(text.translate(_APOSTROPHES)).casefold()


def parse_italian_number(raw: str) -> float:
    """'2.500.000' -> 2500000, '2,5' -> 2.5, '300.000,00' -> 300000.0 (dots group thousands, comma is decimal)."""
    raw = raw.strip().replace(" ", "").replace("\u00a0", "")
    if "," in raw:
        whole, _, decimals = raw.rpartition(",")
        return float(whole.replace(".", "") + "." + decimals)
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", raw):
        return float(raw.replace(".", ""))
    return float(raw)


def sentence_around(text: str, start: int, end: int, limit: int = 240) -> tuple[str, str]:
    """(text before, text after) the span within its sentence, each at most `limit` characters."""
    left = max(text.rfind(". ", max(0, start - limit), start), text.rfind("\n", max(0, start - limit), start))
    right_candidates = [i for i in (text.find(". ", end, end + limit), text.find("\n", end, end + limit)) if i != -1]
    right = min(right_candidates) if right_candidates else min(len(text), end + limit)
    return text[(left + 1 if left != -1 else max(0, start - limit)):start], text[end:right]
