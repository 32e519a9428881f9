"""PNRR projects from Italia Domani's open data: one `progetto` document per CUP.

Reads any of the portal's layouts (the first CSV release of 2022, the validated-projects Parquet, the current
63-column CSV): columns are found by normalised name (`ingest/importers/tables.py`). Rows that share a CUP are one
project (a project financed by several submeasures appears once per submeasure: amounts add up, the submeasures are
listed). Where it is: the locations file (`--localizzazioni`) joined on CUP and, through `COD_ISTAT_COMUNE`, ISTAT's
list of comuni (name, provincia, regione, legal population); without it, an implementer "COMUNE DI X" that names
one comune. SDGs: the portal's submeasure -> Agenda 2030 mapping, declared, never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.enrich.gazetteer import Comune, Gazetteer
from ingest.importers.legible import is_address, legible, legible_title, parts, with_names
from ingest.importers.records import Record, RowProblem, euro, markdown
from ingest.importers.sdg_mapping import SdgMapping
from ingest.importers.tables import Row, Table, parse_amount, parse_date, read_table

DATASET = "pnrr-progetti"
SOURCE = "Italia Domani"
CUP = ("CUP",)
TITLE, SUMMARY = ("Titolo progetto",), ("Sintesi progetto",)
MISSION, MISSION_NAME = ("Missione",), ("Descrizione Missione",)
COMPONENT, COMPONENT_NAME = ("Componente",), ("Descrizione Componente",)
MEASURE, MEASURE_NAME = ("ID Misura",), ("Descrizione Misura",)
SUBMEASURE, SUBMEASURE_NAME = ("Codice Univoco Submisura",), ("Descrizione Submisura",)
OWNER, IMPLEMENTER = ("Amministrazione Titolare",), ("Soggetto attuatore",)
PNRR_AMOUNT = ("Finanziamento PNRR", "FINANZIAMENTO_PNRR")
TOTAL_AMOUNT = ("Finanziamento Totale", "FINANZ_TOTALE", "Finanziamento - Totale")
RELEASE_DATE = ("Data di Estrazione", "Data aggiornamento", "Data Ultima Validazione")
# locations file
ISTAT_CODE = ("COD_ISTAT_COMUNE",)
PROVINCE_CODE, COMUNE_CODE = ("Codice Provincia", "Provincia"), ("Codice Comune", "Comune")
COMUNE_NAME = ("Descrizione Comune",)
PLACEHOLDER_TITLE = re.compile(r"^\s*cup\b|\bcup\s+\d|\bid\s*\d", re.IGNORECASE)  # a code, not a title


@dataclass
class _Project:
    cup: str
    line: int
    rows: list[Row] = field(default_factory=list)


def read_locations(path: Path, gazetteer: Gazetteer) -> dict[str, list[Comune]]:
    """CUP -> the comuni it is located in, as ISTAT names them (national or regional scope: none)."""
    table = read_table(path)
    table.require("il file delle localizzazioni PNRR", CUP)
    by_cup: dict[str, list[Comune]] = defaultdict(list)
    for row in table.rows:
        cup = (row.text(*CUP) or "").upper()
        comune = _located_comune(row, gazetteer)
        if cup and comune is not None and comune not in by_cup[cup]:
            by_cup[cup].append(comune)
    return dict(by_cup)


def _located_comune(row: Row, gazetteer: Gazetteer) -> Comune | None:
    code = row.text(*ISTAT_CODE)
    if not code:
        province, comune = row.text(*PROVINCE_CODE), row.text(*COMUNE_CODE)
        if not (province and comune and province.isdigit() and comune.isdigit()) or int(comune) == 0:
            return None  # "000": national scope
        code = f"{int(province):03d}{int(comune):03d}"
    found = gazetteer.by_code(code)
    if found is None and row.text(*COMUNE_NAME):  # a code changed since ISTAT's list (merged comuni): by name
        named = gazetteer.comuni_named(str(row.text(*COMUNE_NAME)))
        found = named[0] if len(named) == 1 else None
    return found


def read_projects(path: Path, mapping: SdgMapping, gazetteer: Gazetteer, *,
                  locations: dict[str, list[Comune]] | None = None, project_url: str = "",
                  release: dt.date | None = None) -> tuple[list[Record | RowProblem], dt.date | None]:
    """Records of the projects file (and the release date it states, if any)."""
    table = read_table(path)
    table.require("un file di progetti PNRR di Italia Domani", CUP, TITLE, SUBMEASURE)
    release = release or _release_of(table)
    out: list[Record | RowProblem] = []
    grouped: dict[str, _Project] = {}
    for row in table.rows:
        cup = (row.text(*CUP) or "").upper()
        if "__width__" in row.cells:
            out.append(RowProblem(row.line, f"riga con {row.cells['__width__']} campi invece di "
                                  f"{len(table.columns)}", cup or None, f"pnrr-{cup.lower()}" if cup else None))
        elif not cup:
            out.append(RowProblem(row.line, "CUP mancante"))
        else:
            grouped.setdefault(cup, _Project(cup, row.line)).rows.append(row)
    for project in grouped.values():
        try:
            out.append(_record(project, Path(path).name, mapping, gazetteer, locations, project_url))
        except ValueError as exc:
            out.append(RowProblem(project.line, str(exc), project.cup, f"pnrr-{project.cup.lower()}"))
    return sorted(out, key=lambda r: r.line), release


def _release_of(table: Table) -> dt.date | None:
    dates = []
    for row in table.rows:
        try:
            found = parse_date(row.get(*RELEASE_DATE))
        except ValueError:
            continue
        if found:
            dates.append(found)
    return max(dates) if dates else None


def _record(project: _Project, source_name: str, mapping: SdgMapping, gazetteer: Gazetteer,
            locations: dict[str, list[Comune]] | None, project_url: str) -> Record:
    first = project.rows[0]
    cup = project.cup
    if len(cup) != 15 or not cup.isalnum():
        raise ValueError(f"CUP non valido: {cup!r} (servono 15 lettere e cifre)")
    submeasures = list(dict.fromkeys(str(r.text(*SUBMEASURE)).upper() for r in project.rows if r.text(*SUBMEASURE)))
    by_submeasure = {str(r.text(*SUBMEASURE)).upper(): r for r in project.rows}  # a repeated row counts once
    pnrr = _sum(by_submeasure.values(), PNRR_AMOUNT)
    total = _sum(by_submeasure.values(), TOTAL_AMOUNT)
    implementer = first.text(*IMPLEMENTER)
    comuni = (locations or {}).get(cup) or _implementer_comune(implementer, gazetteer)
    names = [c.name for c in comuni]
    if implementer:
        implementer = with_names(legible(implementer), names)
    prose = [with_names(p, names) for p in parts(first.text(*SUMMARY)) if not is_address(p)]
    title = with_names(legible_title(first.text(*TITLE) or cup), names)
    if PLACEHOLDER_TITLE.search(title) and prose:  # "CUP 4 - ID 213 Comune di Lecce": the summary says what it is
        title = legible_title(prose[0])
    goals = [g for g in (mapping.for_code(s) for s in submeasures) if g is not None]
    sdg = sorted({n for g in goals for n in g.declared()})
    place = _place(comuni, implementer)
    # the text that is embedded and searched: what the project is, where, under which measure, for how much; the
    # rest (mission, component, owner, CUP classification) is metadata, shown on the card and filterable
    measure = first.text(*MEASURE_NAME)
    facts = [
        ("Luogo", "; ".join(f"{c.name} ({c.sigla}), {c.regione}" for c in comuni[:10]) or None),
        ("Misura PNRR", f"{legible(measure)} ({first.text(*MEASURE)})" if measure else first.text(*MEASURE)),
        ("Soggetto attuatore", implementer),
        ("Finanziamento PNRR", euro(pnrr)),
        ("CUP", cup),
    ]
    metadata: dict[str, Any] = {
        "doc_type": "progetto", "title": title, "summary": ". ".join(prose)[:1000] or None,
        "titolo_originale": first.text(*TITLE), "cup": cup, "missione": first.text(*MISSION),
        "componente": first.text(*COMPONENT), "misura": first.text(*MEASURE),
        "misura_descrizione": first.text(*MEASURE_NAME), "submisure": submeasures,
        "amministrazione_titolare": first.text(*OWNER), "soggetto_attuatore": implementer,
        "importo_pnrr": pnrr, "importo_totale": total, "sdg": sdg,
        "sdg_prevalente": int(goals[0].main) if goals and goals[0].main.isdigit() else None,
        "localizzazioni": [f"{c.name} ({c.sigla})" for c in comuni], **place,
        "fonte": SOURCE, "dataset": DATASET, "url_fonte": project_url.format(cup=cup) if project_url else None,
    }
    return Record(cup, f"pnrr-{cup.lower()}", markdown(title, prose, facts), metadata, project.line, source_name)


def _sum(rows: Any, names: tuple[str, ...]) -> float | None:
    values = []
    for row in rows:
        raw = row.get(*names)
        try:
            values.append(parse_amount(raw))
        except ValueError as exc:
            raise ValueError(f"importo non valido nella colonna {names[0]}: {raw!r}") from exc
    present = [v for v in values if v is not None]
    return round(sum(present), 2) if present else None


def _implementer_comune(implementer: str | None, gazetteer: Gazetteer) -> list[Comune]:
    """"COMUNE DI PATERNO CALABRO" -> that comune, when the name is one comune's only."""
    text = (implementer or "").strip()
    if not text.upper().startswith("COMUNE DI "):
        return []
    found = gazetteer.comuni_named(text[len("COMUNE DI "):])
    return found if len(found) == 1 else []


def _place(comuni: list[Comune], implementer: str | None) -> dict[str, Any]:
    """The comune a project is "of": its only comune, or the implementing comune among several; else the regione
    they share."""
    chosen = comuni[0] if len(comuni) == 1 else next(
        (c for c in comuni if implementer and implementer.lower() == f"comune di {c.name}".lower()), None)
    if chosen is not None:
        return {"comune": chosen.name, "provincia": chosen.provincia, "regione": chosen.regione,
                "popolazione": chosen.popolazione}
    regioni = {c.regione for c in comuni}
    return {"regione": regioni.pop()} if len(regioni) == 1 else {}


def _coded(code: str | None, name: str | None) -> str | None:
    if not code and not name:
        return None
    return " – ".join(filter(None, (code, legible(name) if name else None)))
