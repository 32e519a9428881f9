"""Open-data text made legible for display: the source's capitals, `*`-joined parts and dropped accents.

Italia Domani's titles and summaries are often written in capitals, with parts joined by `*`
("SOGGETTO*INDIRIZZO*OGGETTO"), accents dropped ("COMUNIT") or written as apostrophes ("CITTA'"). A reader gets
sentence case, the parts as separate phrases and the accents back; the original is always kept beside it.
"""

from __future__ import annotations

import re

# acronyms and codes kept in capitals when a text is put in sentence case
ACRONYMS = frozenset("""
PNRR PNC CER LED PA UE USA CUP CIG ISTAT ANAS RFI FS ASL ASP ATS AOU IRCCS INAIL INPS ENEA GSE MIT MASE MIC MUR MIMIT
PCM SPA SRL SNC SAS SCARL ONLUS APS ODV ETS IPCEI ICT IT AI 5G 4G BUL PMI ZES TPL BRT RSA ERP PEBA PUMS PAES PAESC
DPCM DL DLGS DM DPR LR ATO ATER ACER IACP ERSU ADSU AFAM UNESCO FESR FSE FEASR POR PON ITS CPIA CRI VVF SUAP SUE
""".split())
_ROMAN = re.compile(r"^(?=[IVXLC]+$)C{0,3}(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
# words the source writes without their final accent: "COMUNIT" -> "comunità", "CITT" -> "città"
_NOT_ACCENTED = frozenset({"kit", "audit", "deficit", "summit", "exit", "split", "credit", "bit", "habit", "input",
                           "transit", "profit", "circuit", "digit", "merit", "visit", "unit", "limit", "it"})
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]*)?")
_ACCENT_BY_VOWEL = {"a": "à", "e": "é", "i": "ì", "o": "ò", "u": "ù"}
_GRAVE_E = frozenset({"e'", "cioe'", "caffe'"})  # "è" and friends; "perche'" -> "perché" (acute) by default
ADDRESS_START = re.compile(r"^(via|viale|v\.le|piazza|p\.zza|piazzale|corso|c\.so|largo|vicolo|strada|str\.|contrada|"
                           r"c\.da|località|localita|loc\.|frazione|fraz\.|borgo|lungomare|lungolago|piazzetta)\b",
                           re.IGNORECASE)


def mostly_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def _restore_accent(word: str) -> str:
    """A lower-case word with its final accent back: "comunit" -> "comunità", "citta'" -> "città"."""
    if word.endswith("'") and len(word) > 2 and word[-2] in _ACCENT_BY_VOWEL:
        if word in _GRAVE_E:
            return word[:-2] + "è"
        return word[:-2] + _ACCENT_BY_VOWEL[word[-2]]
    if len(word) >= 5 and word.endswith("it") and word not in _NOT_ACCENTED:
        return word + "à"
    if word in ("citt", "pubblicit", "universit"):
        return word + "à"
    return word


def _word_case(word: str) -> str:
    bare = word.rstrip("'")
    if bare.upper() in ACRONYMS or _ROMAN.match(bare) or any(c.isdigit() for c in bare):
        return word
    return _restore_accent(word.lower())


def sentence_case(text: str) -> str:
    """"PISTA CICLABILE VIALE BOLOGNINI" -> "Pista ciclabile viale bolognini": only the first letter stays a
    capital (proper nouns cannot be told apart here; `with_names` raises the known ones), acronyms stay."""
    lowered = _WORD.sub(lambda m: _word_case(m.group(0)), text)
    for i, char in enumerate(lowered):
        if char.isalpha():
            return lowered[:i] + char.upper() + lowered[i + 1:]
    return lowered


def legible(text: str | None) -> str:
    """One phrase (no `*` parts): sentence case if it is written in capitals, spaces folded."""
    if not text:
        return ""
    folded = " ".join(text.split())
    return sentence_case(folded) if mostly_capitals(folded) else folded


def parts(text: str | None) -> list[str]:
    """The `*`-separated parts, each legible, without placeholders ("XXX", "N/D") and repeats."""
    found: list[str] = []
    for part in (text or "").split("*"):
        clean = legible(part.strip(" .;,-"))
        if clean and clean.upper() not in {"XXX", "N/D", "ND", "N.D."} and clean.lower() not in \
                {p.lower() for p in found}:
            found.append(clean)
    return found


def is_address(part: str) -> bool:
    return bool(ADDRESS_START.match(part.strip()))


def legible_title(title: str | None, max_length: int = 300) -> str:
    """A title fit for a result list: its `*` parts as phrases joined by " – ", addresses left out."""
    pieces = [p for p in parts(title) if not is_address(p)] or parts(title)
    joined = " – ".join(pieces)
    return joined if len(joined) <= max_length else joined[:max_length - 1].rsplit(" ", 1)[0] + "…"


def with_names(text: str, names: list[str]) -> str:
    """Known proper nouns (the project's comuni, its implementer) in their official spelling: "comune di agnone" ->
    "comune di Agnone"."""
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", name, text, flags=re.IGNORECASE)
    return text
