"""Comuni, province and regioni: loaded from ISTAT's list of municipalities, recognised in text.

The list is ISTAT's "Elenco dei comuni italiani" CSV (`;`-separated, Windows-1252 or UTF-8, as downloaded from
istat.it); the package ships the Lombardy rows (`kb/data/comuni_lombardia.csv`) and `KB_GAZETTEER_PATH` points to the
national file. A population column (any header starting with "Popolazione") gives the population band.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from ingest.enrich.text import fold, normalise

CODE, NAME, OTHER_NAME = "Codice Comune formato alfanumerico", "Denominazione in italiano", "Denominazione altra lingua"
REGION, PROVINCE, PLATE = ("Denominazione Regione", "Denominazione dell'Unità territoriale sovracomunale "
                           "(valida a fini statistici)", "Sigla automobilistica")
REQUIRED_COLUMNS = (CODE, NAME, REGION, PROVINCE, PLATE)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


class GazetteerError(ValueError):
    """The file is not an ISTAT list of municipalities."""


@dataclass(frozen=True)
class Comune:
    code: str
    name: str
    provincia: str
    sigla: str
    regione: str
    popolazione: int | None


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


class Gazetteer:
    def __init__(self, comuni: Iterable[Comune], provinces: Iterable[Provincia],
                 province_aliases: dict[str, str] | None = None) -> None:
        self.comuni = list(comuni)
        self.provinces = {p.sigla: p for p in provinces}
        self.by_name: dict[tuple[str, ...], list[Comune]] = {}
        for comune in self.comuni:
            self.by_name.setdefault(_key(comune.name), []).append(comune)
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
        """The ISTAT list at `path`, or the shipped Lombardy rows; provinces and regioni from kb/data/province.yaml."""
        raw = path.read_bytes() if path else resources.files("kb.data").joinpath("comuni_lombardia.csv").read_bytes()
        provinces, aliases = _provinces()
        return cls(parse_istat_csv(raw, str(path or "comuni_lombardia.csv")), provinces, aliases)

    # -- lookups ---------------------------------------------------------------------------------------------
    def comuni_named(self, name: str) -> list[Comune]:
        return self.by_name.get(_key(name), [])

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


def parse_istat_csv(raw: bytes, source: str) -> list[Comune]:
    """Rows of ISTAT's CSV; headers may contain line breaks (as in ISTAT's own file)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    reader = csv.reader(io.StringIO(text), delimiter=";")
    try:
        header = [" ".join(h.split()) for h in next(reader)]
    except StopIteration as exc:
        raise GazetteerError(f"{source}: file vuoto") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise GazetteerError(f"{source}: non è l'elenco dei comuni ISTAT, mancano le colonne {missing}")
    col = {name: header.index(name) for name in REQUIRED_COLUMNS}
    population_col = next((i for i, h in enumerate(header) if h.lower().startswith("popolazione")), None)
    comuni: list[Comune] = []
    for row in reader:
        if len(row) < len(header) or not row[col[CODE]].strip():
            continue
        population = row[population_col].strip().replace(".", "") if population_col is not None else ""
        comuni.append(Comune(
            code=row[col[CODE]].strip(), name=row[col[NAME]].strip(), provincia=_italian(row[col[PROVINCE]]),
            sigla=row[col[PLATE]].strip(), regione=_italian(row[col[REGION]]),
            popolazione=int(population) if population.isdigit() else None,
        ))
    if not comuni:
        raise GazetteerError(f"{source}: nessun comune nel file")
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
