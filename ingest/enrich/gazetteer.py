"""Comuni, province and regioni: loaded from ISTAT's list of municipalities, recognised in text.

The list is ISTAT's "Elenco dei comuni italiani" (read by `ingest.enrich.istat`, in ISTAT's own layout or the
shipped subset); the package ships all 7,904 comuni of 2020 with their 2011 legal population
(`kb/data/comuni_italia.csv`) and `KB_GAZETTEER_PATH` points to another edition. A population column (any header
starting with "Popolazione") gives the population band.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from ingest.enrich.istat import (
    CODE,
    NAME,
    OTHER_NAME,
    PLATE,
    POPULATION,
    PROVINCE,
    REGION,
    GazetteerError,
    population,
    read_elenco,
)
from ingest.enrich.text import fold, normalise

__all__ = ["Comune", "Gazetteer", "GazetteerError", "Provincia", "load_gazetteer", "words"]

SHIPPED = "comuni_italia.csv"
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


@dataclass(frozen=True)
class Comune:
    code: str
    name: str
    provincia: str
    sigla: str
    regione: str
    popolazione: int | None
    other_name: str = ""  # the official name in German, French, Ladin or Slovene ("Bozen"), where there is one


@dataclass(frozen=True)
class Provincia:
    sigla: str
    name: str
    regione: str


def words(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end); apostrophes stay inside words, so "Sant'Angelo" and "d'Adda" are one word each."""
    return [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]


def _key(name: str) -> tuple[str, ...]:
    return tuple(fold(w) for w, _, _ in words(normalise(name)))


def code_key(code: str | int) -> str | None:
    """ISTAT's six-digit comune code: 18128, "18128" and "018128" -> "018128"; None for anything else."""
    digits = str(code).strip()
    return digits.zfill(6) if digits.isdigit() and len(digits) <= 6 else None


class Gazetteer:
    def __init__(self, comuni: Iterable[Comune], provinces: Iterable[Provincia],
                 province_aliases: dict[str, str] | None = None) -> None:
        self.comuni = list(comuni)
        self.provinces = {p.sigla: p for p in provinces}
        self.by_name: dict[tuple[str, ...], list[Comune]] = {}
        self.codes = {comune.code: comune for comune in self.comuni}
        for comune in self.comuni:  # by its Italian name and its other one ("Bozen"), each comune once per name
            for key in dict.fromkeys(_key(n) for n in (comune.name, comune.other_name) if n):
                self.by_name.setdefault(key, []).append(comune)
        self.by_first_word: dict[str, list[tuple[str, ...]]] = {}
        for key in sorted(self.by_name, key=len, reverse=True):  # longest names first: "Sant'Angelo Lodigiano"
            self.by_first_word.setdefault(key[0], []).append(key)
        self.province_by_name: dict[tuple[str, ...], Provincia] = {_key(p.name): p for p in self.provinces.values()}
        for alias, sigla in (province_aliases or {}).items():
            self.province_by_name.setdefault(_key(alias), self.provinces[sigla])
        self.regioni = sorted({p.regione for p in self.provinces.values()})

    # -- loading ---------------------------------------------------------------------------------------------
    @classmethod
    def from_istat_csv(cls, path: Path | None = None) -> Gazetteer:
        """The ISTAT list at `path`, or the shipped national one; provinces and regioni from kb/data/province.yaml."""
        raw = path.read_bytes() if path else resources.files("kb.data").joinpath(SHIPPED).read_bytes()
        provinces, aliases = _provinces()
        return cls(parse_istat_csv(raw, str(path or SHIPPED), {p.sigla: p for p in provinces}), provinces, aliases)

    # -- lookups ---------------------------------------------------------------------------------------------
    def comuni_named(self, name: str) -> list[Comune]:
        """Every comune with that name in Italian or in its other language (homonyms: "Castro" is in BG and LE)."""
        return self.by_name.get(_key(name), [])

    def by_code(self, code: str | int) -> Comune | None:
        """The comune with that ISTAT code, zero-padded or not ("18128", "018128")."""
        key = code_key(code)
        return self.codes.get(key) if key else None

    def province_named(self, name: str) -> Provincia | None:
        return self.province_by_name.get(_key(name))

    def match_comune_at(self, tokens: list[tuple[str, int, int]], i: int) -> tuple[tuple[str, ...], int] | None:
        """Longest comune name starting at word i: (name key, number of words)."""
        first = fold(tokens[i][0])
        for key in self.by_first_word.get(first, []):
            n = len(key)
            if tuple(fold(w) for w, _, _ in tokens[i:i + n]) == key:
                return key, n
        return None


def parse_istat_csv(raw: bytes, source: str, provinces: dict[str, Provincia] | None = None) -> list[Comune]:
    """Comuni of ISTAT's CSV. A provincia is written as kb/data/province.yaml names it (ISTAT calls Aosta's
    "Valle d'Aosta/Vallée d'Aoste"), so that a comune's provincia is the one a filter or the text names."""
    known = provinces or {}
    comuni: list[Comune] = []
    for row in read_elenco(raw, source):
        sigla = row[PLATE]
        comuni.append(Comune(
            code=code_key(row[CODE]) or row[CODE], name=row[NAME],
            provincia=known[sigla].name if sigla in known else _italian(row[PROVINCE]),
            sigla=sigla, regione=_italian(row[REGION]), popolazione=population(row.get(POPULATION, "")),
            other_name=row.get(OTHER_NAME, ""),
        ))
    return comuni


def _italian(name: str) -> str:
    """'Trentino-Alto Adige/Südtirol' -> 'Trentino-Alto Adige', 'Bolzano/Bozen' -> 'Bolzano' (the names used here)."""
    return name.split("/")[0].strip()


def _provinces() -> tuple[list[Provincia], dict[str, str]]:
    data = yaml.safe_load(resources.files("kb.data").joinpath("province.yaml").read_text(encoding="utf-8"))
    provinces = [Provincia(str(sigla), name, regione) for sigla, (name, regione, _) in data.items()]
    aliases = {alias: str(sigla) for sigla, (_, _, names) in data.items() for alias in names}
    return provinces, aliases


@lru_cache(maxsize=4)
def load_gazetteer(path: Path | None = None) -> Gazetteer:
    """One parsed gazetteer per file, shared by every ingestion in the process."""
    return Gazetteer.from_istat_csv(path)
