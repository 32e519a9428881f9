"""References to legal acts in Italian text, reduced to one canonical key so citations link to indexed acts.

"D.Lgs. 199/2021", "d.lgs. n. 199 del 2021", "Decreto Legislativo 8 novembre 2021, n. 199" all become
`dlgs:199/2021`, displayed as "D.Lgs. 199/2021". EU acts: "Direttiva (UE) 2018/2001", "Direttiva 2012/27/UE",
"Regolamento (UE) 2021/241". The same key is computed for a normativa document's declared `reference`, so a call
that cites a regulation points to it whenever the regulation is in the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.enrich.dates import MONTHS
from ingest.enrich.text import normalise

# kind -> (display prefix, level, regex for the act's name)
ACT_KINDS: dict[str, tuple[str, str, str]] = {
    "dlgs": ("D.Lgs.", "nazionale", r"d\.\s?lgs\.?|d\.\s?lg\.|dlgs\.?|decreto\s+legislativo"),
    "dl": ("D.L.", "nazionale", r"d\.\s?l\.(?!\s?gs)|decreto[\s-]legge"),
    "dpr": ("D.P.R.", "nazionale", r"d\.\s?p\.\s?r\.|dpr|decreto\s+del\s+presidente\s+della\s+repubblica"),
    "dm": ("D.M.", "nazionale", r"d\.\s?m\.|decreto\s+ministeriale"),
    "dgr": ("D.G.R.", "regionale", r"d\.\s?g\.\s?r\.|dgr|delibera(?:zione)?\s+(?:della\s+)?giunta\s+regionale"),
    "lr": ("L.R.", "regionale", r"l\.\s?r\.|legge\s+regionale"),
    "l": ("L.", "nazionale", r"legge|l\.(?!\s?r\.)"),
}
_EU_KINDS: dict[str, tuple[str, str]] = {
    "dir-ue": ("Direttiva", r"direttiva"),
    "reg-ue": ("Regolamento", r"regolamento"),
    "dec-ue": ("Decisione", r"decisione"),
}
_MONTH = "|".join(m for m in MONTHS if len(m) > 4)
# number/year forms after the act name: "199/2021", "n. 199/2021", "n. 199 del 2021", "8 novembre 2021, n. 199",
# "n. 199 dell'8 novembre 2021"
_NUMBER_YEAR = (
    r"\s*(?:,\s*)?(?:"
    r"(?:n\.?\s*|numero\s+)?(?P<num1>\d{1,4})\s*/\s*(?P<year1>(?:19|20)\d\d)(?!\s*/)"
    rf"|(?:n\.?\s*|numero\s+)(?P<num2>\d{{1,4}})\s*(?:,\s*)?del(?:l')?\s*(?:\d{{1,2}}°?\s+(?:{_MONTH})\s+)?"
    r"(?P<year2>(?:19|20)\d\d)"
    rf"|\d{{1,2}}°?\s+(?:{_MONTH})\s+(?P<year3>(?:19|20)\d\d)\s*,?\s*(?:n\.?|numero)\s*(?P<num3>\d{{1,4}})"
    r")")
_NATIONAL = re.compile(
    "(?:" + "|".join(rf"(?P<{kind}>\b(?:{names}))" for kind, (_, _, names) in ACT_KINDS.items()) + ")"
    r"(?:\s+(?:della\s+)?(?:regione\s+)?[A-Z][a-zà-ù'-]+(?:\s+[A-Z][a-zà-ù'-]+)?)?" + _NUMBER_YEAR,
    re.IGNORECASE)
_EU = re.compile(
    r"\b(?P<kind>" + "|".join(names for _, names in _EU_KINDS.values()) + r")\s*(?:delegat[oa]\s+|di\s+esecuzione\s+)?"
    r"(?:\(\s*(?:UE|CE|EU)\s*\)\s*(?:n\.?\s*)?(?P<a_year>(?:19|20)\d\d)\s*/\s*(?P<a_num>\d{1,4})"
    r"|(?:n\.?\s*)?(?P<b_year>(?:19|20)\d\d)\s*/\s*(?P<b_num>\d{1,4})\s*/\s*(?P<b_suffix>UE|CE|EU)"
    r"|(?:n\.?\s*)?(?P<c_num>\d{1,4})\s*/\s*(?P<c_year>(?:19|20)\d\d)\s*/\s*(?P<c_suffix>UE|CE|EU|CEE))",
    re.IGNORECASE)


@dataclass(frozen=True)
class ActReference:
    key: str        # canonical, e.g. "dlgs:199/2021" or "dir-ue:2018/2001"
    display: str    # e.g. "D.Lgs. 199/2021" or "Direttiva (UE) 2018/2001"
    level: str      # UE | nazionale | regionale
    year: int
    start: int
    end: int


def find_acts(text: str) -> list[ActReference]:
    """Every act reference in the text, in order of appearance (repeats included)."""
    text = normalise(text)
    found: list[ActReference] = []
    for m in _NATIONAL.finditer(text):
        kind = next(k for k in ACT_KINDS if m.group(k))
        if kind == "l" and m.group(kind)[0] == "l" and m.group(kind).lower() == "l.":
            continue  # lowercase "l." is too often an abbreviation of something else
        num = m.group("num1") or m.group("num2") or m.group("num3")
        year = int(m.group("year1") or m.group("year2") or m.group("year3"))
        prefix, level, _ = ACT_KINDS[kind]
        found.append(ActReference(f"{kind}:{int(num)}/{year}", f"{prefix} {int(num)}/{year}", level, year,
                                  m.start(), m.end()))
    for m in _EU.finditer(text):
        kind = next(k for k, (_, names) in _EU_KINDS.items() if re.fullmatch(names, m.group("kind"), re.IGNORECASE))
        year = int(m.group("a_year") or m.group("b_year") or m.group("c_year"))
        num = int(m.group("a_num") or m.group("b_num") or m.group("c_num"))
        # since 2015 EU acts are "(UE) year/number"; older ones "year/number/CE" (regulations "number/year")
        suffix = (m.group("b_suffix") or m.group("c_suffix") or "").upper()
        name = _EU_KINDS[kind][0]
        display = f"{name} {year}/{num}/{suffix}" if suffix else f"{name} (UE) {year}/{num}"
        found.append(ActReference(f"{kind}:{year}/{num}", display, "UE", year, m.start(), m.end()))
    return sorted(found, key=lambda a: a.start)


def act_key(reference: str) -> str | None:
    """Canonical key of a declared reference ("D.Lgs. 199/2021" -> "dlgs:199/2021"); None if not recognised."""
    acts = find_acts(reference)
    return acts[0].key if acts else None


def cited_acts(text: str, own_key: str | None = None) -> list[ActReference]:
    """Distinct acts cited by a document, most cited first, leaving out the document's own act."""
    counts: dict[str, tuple[int, ActReference]] = {}
    for act in find_acts(text):
        if act.key == own_key:
            continue
        seen, first = counts.get(act.key, (0, act))
        counts[act.key] = (seen + 1, first)
    return [first for _, first in sorted(counts.values(), key=lambda item: (-item[0], item[1].start))]
