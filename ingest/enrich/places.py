"""Where a document comes from: comune, provincia and regione named in its text, checked against the gazetteer.

A comune counts most when the text says so ("Comune di Sant'Angelo Lodigiano", "Livigno (SO)", "il sindaco di
..."); a bare capitalised name counts less, and only with such a cue when it is likely to mean something else: an
Italian word ("Fondi", "Paese", "Calcio": kb/data/comuni_parole.txt), a regione ("Molise"), a saint ("San Vito"),
or a word inside a longer proper name ("Mario Bianco", "Via Roma", "Montecchio del Retrone"). With the national list
(7,904 comuni) these guards keep ordinary prose from naming comuni. A comune found in the gazetteer
brings its provincia, regione and population; homonyms ("Calliano" AT/TN) are told apart by the province or the
regione the text names. A "Comune di X" not in the gazetteer is kept with a lower confidence and no population.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ingest.enrich.gazetteer import Comune, Gazetteer, words
from ingest.enrich.text import fold, normalise
from kb.text.analysis import stop_words

_COMUNE_CUE = re.compile(r"(?:\bcomun[ei]|\bcittà|\bmunicipio|\bsindac[oa]|\bterritorio\s+comunale)\s+di\s*$",
                         re.IGNORECASE)
_PROVINCE_CUE = re.compile(r"(?:\bprovincia(?:\s+autonoma)?|\bcittà\s+metropolitana)\s+di\s*$", re.IGNORECASE)
_REGION_CUE = re.compile(r"\bregione\s*$", re.IGNORECASE)
_PLATE = re.compile(r"^\s*\((?P<sigla>[A-Z]{2})\)")
_CONNECTORS = {"di", "del", "della", "dei", "de", "d", "sul", "sulla", "al", "in", "e", "san", "santa", "sant"}
_REGION_ALIASES = {"emilia romagna": "Emilia-Romagna", "friuli venezia giulia": "Friuli-Venezia Giulia",
                   "trentino alto adige": "Trentino-Alto Adige", "valle d'aosta": "Valle d'Aosta",
                   "trentino": "Trentino-Alto Adige", "alto adige": "Trentino-Alto Adige"}


_ADJECTIVES = {f"{stem}{end}": regione for stem, regione in (
    ("lombard", "Lombardia"), ("piemontes", "Piemonte"), ("ligur", "Liguria"), ("venet", "Veneto"),
    ("toscan", "Toscana"), ("emiliano romagnol", "Emilia-Romagna"), ("friulan", "Friuli-Venezia Giulia"),
    ("sard", "Sardegna"), ("sicilian", "Sicilia"), ("puglies", "Puglia"), ("campan", "Campania"),
    ("lazial", "Lazio"), ("marchigian", "Marche"), ("umbr", "Umbria"), ("abruzzes", "Abruzzo"),
    ("molisan", "Molise"), ("lucan", "Basilicata"), ("calabres", "Calabria"), ("valdostan", "Valle d'Aosta"),
    ("trentin", "Trentino-Alto Adige")) for end in ("i", "e", "o", "a")}
_REGION_ADJECTIVE = re.compile(r"\b(?:comuni|enti locali|province|territori)\s+(" + "|".join(
    sorted(_ADJECTIVES, key=len, reverse=True)) + r")\b")


@dataclass(frozen=True)
class Found:
    value: str | int
    confidence: float
    evidence: str


@dataclass(frozen=True)
class Places:
    comune: Found | None = None
    provincia: Found | None = None
    regione: Found | None = None
    popolazione: Found | None = None


def find_places(text: str, gazetteer: Gazetteer, title: str = "") -> Places:
    text = normalise(f"{title}\n{text}" if title else text)
    tokens = words(text)
    lowered = " " + " ".join(w for w, _, _ in tokens if w[:1].islower()) + " "
    lowered = fold(lowered)
    comune_scores: dict[str, float] = defaultdict(float)
    comune_entries: dict[str, list[Comune]] = {}
    evidence: dict[str, str] = {}
    plates: dict[str, set[str]] = defaultdict(set)
    unverified: dict[str, float] = defaultdict(float)
    province_scores: dict[str, float] = defaultdict(float)
    i = 0
    while i < len(tokens):
        word, start, _ = tokens[i]
        before = text[max(0, start - 40):start]
        if _PROVINCE_CUE.search(before):
            province = _province_at(gazetteer, tokens, i)
            if province:
                province_scores[province[0]] += 1.0
                i += province[1]
                continue
        match = gazetteer.match_comune_at(tokens, i) if word[:1].isupper() else None
        shouted = match is not None and all(w.isupper() for w, _, _ in tokens[i:i + match[1]])
        if match and not shouted and _name_extent(text, tokens, i, match[1]) > match[1]:
            match = None  # "Comune di Montecchio del Retrone" is not Montecchio (TR): a name the list lacks
        cue = bool(_COMUNE_CUE.search(before))
        if match:
            key, n = match
            end = tokens[i + n - 1][2]
            name = " ".join(key)
            plate = _PLATE.match(text[end:end + 6])
            if plate:
                plates[name].add(plate.group("sigla"))
                if plate.group("sigla") in gazetteer.provinces:
                    province_scores[plate.group("sigla")] += 0.5
            strong = cue or plate is not None
            followed_by_number = re.match(r"\s?\d", text[end:end + 2]) is not None  # "Zone 30", "Pero 2"
            # in upper case ("OSPEDALE DI VENERE BARI", PNRR titles) every word looks like a name: not a sign here
            common = _needs_cue(key, gazetteer) or _after_agency(text, tokens, i) or (
                not shouted and _inside_longer_name(text, tokens, i)) or (
                n == 1 and (_sentence_initial(text, start) or f" {fold(word)} " in lowered))  # also a plain word
            if strong or not (common or followed_by_number):
                comune_scores[name] += 1.0 if strong else 0.4
                comune_entries[name] = gazetteer.by_name[key]
                evidence.setdefault(name, text[max(0, start - 30):end].strip())
            i += n
            continue
        if cue and word[:1].isupper():
            name, n = _capitalised_name(text, tokens, i)
            unverified[name] += 1.0
            end = tokens[i + n - 1][2]
            evidence.setdefault(name, text[max(0, start - 30):end].strip())
            plate = _PLATE.match(text[end:end + 6])
            if plate and plate.group("sigla") in gazetteer.provinces:
                province_scores[plate.group("sigla")] += 1.0
            i += n
            continue
        i += 1
    comune = _best_comune(comune_scores, comune_entries, plates, province_scores, evidence,
                          lambda: _found_value(find_regione(text, gazetteer)))
    if comune is not None and max(unverified.values(), default=0.0) > max(comune_scores.values()):
        comune = None  # "Comune di Borgo Castelpiano" (not in the list) says more than "Trento" named twice
    if comune is not None:
        entry, confidence, ev = comune
        found = Found(entry.name, confidence, ev)
        return Places(found, Found(entry.provincia, confidence, ev), Found(entry.regione, confidence, ev),
                      Found(entry.popolazione, confidence, ev) if entry.popolazione is not None else None)
    best_unverified = max(unverified.items(), key=lambda kv: kv[1], default=None)
    comune_found = Found(best_unverified[0], 0.5, evidence[best_unverified[0]]) if best_unverified else None
    provincia = regione = None
    if province_scores:
        sigla = max(province_scores, key=lambda s: province_scores[s])
        named = gazetteer.provinces[sigla]
        provincia = Found(named.name, 0.85, f"provincia di {named.name}")
        regione = Found(named.regione, 0.85, f"provincia di {named.name}")
    return Places(comune_found, provincia, regione or find_regione(text, gazetteer))


def find_regione(text: str, gazetteer: Gazetteer) -> Found | None:
    """A regione named in the text: 'Regione Lombardia' counts more than a bare 'in Lombardia'."""
    scores: dict[str, float] = defaultdict(float)
    folded_names = {fold(r).replace("-", " "): r for r in gazetteer.regioni} | _REGION_ALIASES
    folded_text = fold(normalise(text)).replace("-", " ")
    for m in _REGION_ADJECTIVE.finditer(folded_text):  # "comuni lombardi": the comuni of that regione
        scores[_ADJECTIVES[m.group(1)]] += 1.0
    for folded, regione in folded_names.items():
        for m in re.finditer(rf"\b{re.escape(folded)}\b", folded_text):
            scores[regione] += 1.0 if _REGION_CUE.search(folded_text[max(0, m.start() - 12):m.start()]) else 0.3
    if not scores:
        return None
    regione = max(scores, key=lambda r: scores[r])
    confidence = 0.8 if scores[regione] >= 1.0 else 0.55
    return Found(regione, confidence, f"Regione {regione}")


def _best_comune(scores: dict[str, float], entries: dict[str, list[Comune]], plates: dict[str, set[str]],
                 province_scores: dict[str, float], evidence: dict[str, str],
                 regione_of_text: Callable[[], str | None]) -> tuple[Comune, float, str] | None:
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    name, score = ranked[0]
    if score < 0.8:  # one bare mention of a name is not enough
        return None
    candidates = entries[name]
    if len(candidates) > 1:  # homonyms: the province named next to it, or in the text, or the regione decides
        chosen = [c for c in candidates if c.sigla in plates[name]] or \
                 [c for c in candidates if c.sigla in province_scores]
        if not chosen:
            regione = regione_of_text()
            chosen = [c for c in candidates if c.regione == regione]
        if len(chosen) != 1:
            return None
        candidates = chosen
    confidence = 0.9 if score >= 1.0 else 0.7
    if len(ranked) > 1 and ranked[1][1] >= score * 0.8:
        confidence -= 0.2  # several comuni named as much: a shared project, the first is a guess
    return candidates[0], round(confidence, 2), evidence[name]


def _province_at(gazetteer: Gazetteer, tokens: list[tuple[str, int, int]], i: int) -> tuple[str, int] | None:
    for n in (4, 3, 2, 1):
        name = " ".join(w for w, _, _ in tokens[i:i + n])
        province = gazetteer.province_named(name)
        if province:
            return province.sigla, n
    return None


def _capitalised_name(text: str, tokens: list[tuple[str, int, int]], i: int) -> tuple[str, int]:
    """'Comune di Castel d'Esino ha ...' -> ("Castel d'Esino", 2): capitalised words and the connectors between."""
    n = 1
    while i + n < len(tokens) and n < 6:
        word = tokens[i + n][0]
        gap = text[tokens[i + n - 1][2]:tokens[i + n][1]]
        if gap.strip() or len(gap) > 2:
            break
        if word[:1].isupper() or (fold(word).split("'")[0] in _CONNECTORS and i + n + 1 < len(tokens)
                                  and tokens[i + n + 1][0][:1].isupper() and "'" not in word[-1:]):
            n += 1
            continue
        if "'" in word and word.split("'")[-1][:1].isupper():  # d'Esino
            n += 1
            continue
        break
    while n > 1 and fold(tokens[i + n - 1][0]) in _CONNECTORS:
        n -= 1
    return " ".join(w for w, _, _ in tokens[i:i + n]), n


def _sentence_initial(text: str, start: int) -> bool:
    before = text[max(0, start - 3):start].strip()
    return not before or before[-1] in ".!?:\n#-*|"


def _found_value(found: Found | None) -> str | None:
    return str(found.value) if found else None


def _needs_cue(key: tuple[str, ...], gazetteer: Gazetteer) -> bool:
    """A name a bare mention usually means otherwise: an Italian word or stop word, a regione ("Molise"), a saint
    ("San Vito", "Sant'Agnello": churches, feasts). Province capitals are not among them: named twice in a project,
    the capital is its comune 82% of the time (PNRR projects), more often than any other bare name."""
    if " ".join(key).replace("-", " ") in _regioni_folded(gazetteer):
        return True
    if len(key) == 1:
        return key[0] in common_words() or key[0] in stop_words() or key[0].startswith("sant'")
    return len(key) == 2 and key[0] in _SAINTS


def _inside_longer_name(text: str, tokens: list[tuple[str, int, int]], i: int) -> bool:
    """The name ends a longer proper name: "Paolo Carpi", "Via Roma", "Leonardo da Vinci" (a capitalised word right
    before it, or before its "da", that does not merely start a sentence). What follows is `_name_extent`'s."""
    def joined(a: int, b: int) -> bool:
        return text[tokens[a][2]:tokens[b][1]] == " "

    before = i - 2 if i > 1 and tokens[i - 1][0] == "da" and joined(i - 2, i - 1) else i - 1
    return (before >= 0 and tokens[before][0][:1].isupper() and not _sentence_initial(text, tokens[before][1])
            and joined(before, before + 1) and joined(i - 1, i))


def _name_extent(text: str, tokens: list[tuple[str, int, int]], i: int, n: int) -> int:
    """Words of the proper name that starts at word i, at least n: it goes on over capitalised words and over "di",
    "del", "della" ... before one ("Montecchio del Retrone", "Fondi Strutturali"), on the same line."""
    end = i + n
    while end < len(tokens) and text[tokens[end - 1][2]:tokens[end][1]] == " ":
        if tokens[end][0][:1].isupper():
            end += 1
        elif (tokens[end][0] in _NAME_LINKS and end + 1 < len(tokens) and tokens[end + 1][0][:1].isupper()
              and text[tokens[end][2]:tokens[end + 1][1]] == " "):
            end += 2
        else:
            break
    return end - i


_NAME_LINKS = frozenset({"di", "del", "della", "dei", "degli", "delle", "de", "sul", "sulla", "san", "santa"})

_SAINTS = frozenset({"san", "santa", "santo"})
# health and social agencies named after their capital, serving the whole province ("ASL SALERNO", "ATS Brianza")
_AGENCIES = frozenset({"asl", "asp", "ats", "ulss", "ausl", "asst", "usl", "aou", "ao"})


def _after_agency(text: str, tokens: list[tuple[str, int, int]], i: int) -> bool:
    return i > 0 and fold(tokens[i - 1][0]) in _AGENCIES and not text[tokens[i - 1][2]:tokens[i][1]].strip()


def _regioni_folded(gazetteer: Gazetteer) -> set[str]:
    return {fold(r).replace("-", " ") for r in gazetteer.regioni}


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Comuni that are also Italian words (kb/data/comuni_parole.txt), folded."""
    text = resources.files("kb.data").joinpath("comuni_parole.txt").read_text(encoding="utf-8")
    return frozenset(fold(w.strip()) for w in text.splitlines() if w.strip() and not w.startswith("#"))
