"""Regione, provincia and comune values in one spelling, the same when a document is written and when it is searched.

Filters match stored keywords exactly, so `lombardia`, ` Lombardia ` or `Friuli Venezia Giulia` found nothing when
the index held `Lombardia` and `Friuli-Venezia Giulia`. Every territory value therefore goes through `canonical()`:
a key that ignores case, accents, apostrophes, hyphens, slashes and spacing (`territory_key`) looks the value up
among the official names, which are ISTAT's Italian ones as the gazetteer writes them ("Trentino-Alto Adige",
"Valle d'Aosta": the part before ISTAT's "/Südtirol", "/Vallée d'Aoste"), with common variants, the provinces' car
plate codes ("MI" -> "Milano") and prefixes such as "Regione" or "Comune di". The comuni known are the shipped
gazetteer's (`kb/data/comuni_italia.csv`, all of Italy), by Italian name and by name in another language ("Bozen");
any other value is kept as written, only tidied (NFC, plain apostrophes, single spaces, trimmed). A few comuni share
a key while their names differ ("Paternò" CT and "Paterno" PZ, "Tre Ville" TN and "Treville" AL, "Corvara" PE and
Corvara in Badia, "Corvara" in Ladin): there the value's own spelling (accents and spaces kept) decides, an Italian
name before another language's, and a value neither spelling matches is kept tidied rather than guessed.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources

import yaml

TERRITORY_FIELDS = ("regione", "provincia", "comune")
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc\u00b4\u0060\u2032", "'"))
# spellings people write for a regione besides its name (hyphens, spaces, case and accents need no entry)
_REGIONE_VARIANTS: dict[str, tuple[str, ...]] = {
    "Trentino-Alto Adige": ("Trentino-Alto Adige/Südtirol", "Trentino-Südtirol"),
    "Valle d'Aosta": ("Valle d'Aosta/Vallée d'Aoste", "Vallée d'Aoste", "Val d'Aosta", "Valle Aosta"),
    "Friuli-Venezia Giulia": ("FVG",),
}
# words before a name that are not part of it, as keys, longest first
_PREFIXES: dict[str, tuple[str, ...]] = {
    "regione": ("regioneautonoma", "regionedella", "regionedel", "regione"),
    "provincia": ("provinciaautonomadi", "cittametropolitanadi", "liberoconsorziocomunaledi", "provinciadi"),
}
_COMUNE_DI = re.compile(r"^comune\s+di\s+", re.IGNORECASE)


def tidy(value: str) -> str:
    """NFC, plain apostrophes, runs of white space as one space, trimmed: the form of a value no list knows."""
    return " ".join(unicodedata.normalize("NFC", value.translate(_APOSTROPHES)).split())


def territory_key(value: str) -> str:
    """Letters and digits only, lower case, no accents: 'Friuli - Venezia Giulia' and 'friuli venezia giulia',
    'Sant’Angelo' and 'SANTANGELO' have the same key."""
    decomposed = unicodedata.normalize("NFKD", value).casefold()
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def _read(name: str) -> str:
    return resources.files("kb.data").joinpath(name).read_text(encoding="utf-8")


def _table(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """key of each spelling -> official name; the first pair for a key wins, so official names go first."""
    table: dict[str, str] = {}
    for spelling, official in pairs:
        table.setdefault(territory_key(spelling), official)
    return table


@lru_cache(maxsize=1)
def regioni() -> dict[str, str]:
    """The 20 regioni (kb/data/regioni.yaml) and their variants, by key."""
    names = [str(r) for regions in yaml.safe_load(_read("regioni.yaml")).values() for r in regions]
    return _table([(n, n) for n in names] + [(v, n) for n, vs in _REGIONE_VARIANTS.items() for v in vs])


@lru_cache(maxsize=1)
def province() -> dict[str, str]:
    """The 107 provinces (kb/data/province.yaml) by key of their name, their other names and their plate code."""
    data = yaml.safe_load(_read("province.yaml"))
    names = [(str(name), str(name)) for name, _, _ in data.values()]
    others = [(str(alias), str(name)) for name, _, aliases in data.values() for alias in aliases]
    plates = [(str(sigla), str(name)) for sigla, (name, _, _) in data.items()]
    return _table(names + others + plates)


def _spelling(value: str) -> str:
    """Case-insensitive but accent- and space-sensitive: 'paternò' matches 'Paternò', not 'Paterno'."""
    return tidy(value).casefold()


@lru_cache(maxsize=1)
def _comuni_spellings() -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
    """(key -> Italian name where the key names one comune name only, key -> [(spelling, name)] where it names
    several: Italian names first, then names in another language)."""
    rows = list(csv.DictReader(io.StringIO(_read("comuni_italia.csv")), delimiter=";"))
    pairs = [(row[column].strip(), row["Denominazione in italiano"].strip())
             for column in ("Denominazione in italiano", "Denominazione altra lingua") for row in rows
             if (row[column] or "").strip()]
    by_key: dict[str, list[tuple[str, str]]] = {}
    for spelling, name in pairs:
        by_key.setdefault(territory_key(spelling), []).append((spelling, name))
    unique = {key: found[0][1] for key, found in by_key.items() if len({name for _, name in found}) == 1}
    return unique, {key: found for key, found in by_key.items() if key not in unique}


def comuni() -> dict[str, str]:
    """The comuni of the shipped gazetteer whose key is theirs alone, by key of their Italian name and of their
    name in another language."""
    return _comuni_spellings()[0]


def _comune(text: str, key: str) -> str | None:
    """The comune a key names: its own, or among comuni sharing the key the one spelt exactly as `text`."""
    unique, shared = _comuni_spellings()
    if key in unique:
        return unique[key]
    spelt = [name for spelling, name in shared.get(key, []) if _spelling(spelling) == _spelling(text)]
    return spelt[0] if spelt else None


_TABLES: dict[str, Callable[[], dict[str, str]]] = {"regione": regioni, "provincia": province, "comune": comuni}


def _lookup(field: str, text: str) -> str | None:
    key = territory_key(text)
    if field == "comune":
        bare = _COMUNE_DI.sub("", text)
        return _comune(text, key) or (_comune(bare, territory_key(bare)) if bare != text else None)
    table = _TABLES[field]()
    if key in table:
        return table[key]
    for prefix in _PREFIXES.get(field, ()):
        if key.startswith(prefix) and key[len(prefix):] in table:
            return table[key[len(prefix):]]
    return None


def canonical(field: str, value: str) -> str:
    """The official name of a regione, provincia or comune (`field`), or the value tidied when no list has it;
    '' for a blank value."""
    if field not in _TABLES:
        raise ValueError(f"campo territoriale sconosciuto {field!r}; validi: {', '.join(TERRITORY_FIELDS)}")
    text = tidy(value)
    if not text:
        return ""
    found = _lookup(field, text)
    if found is None and "/" in text:  # a bilingual name, "Bolzano/Bozen": its Italian part
        found = _lookup(field, text.split("/", 1)[0])
    return found or text


def canonical_regione(value: str) -> str:
    return canonical("regione", value)


def canonical_values(field: str, values: Iterable[str]) -> list[str]:
    """Each value canonical, blanks dropped, each value once (in first-seen order)."""
    return list(dict.fromkeys(c for c in (canonical(field, v) for v in values) if c))
