"""ISTAT's "Elenco dei comuni italiani" as ISTAT publishes it, and the subset of it the package ships.

ISTAT's CSV is `;`-separated, Windows-1252 (UTF-8 in some copies), with line breaks inside header cells, and its
header names change between editions ("Denominazione Regione" in one, "Denominazione regione" in the 2020 one), so
columns are found by a normalised header (case, accents, apostrophes and white space ignored).

    python -m ingest.enrich.istat --source ../shared/data/istat/Elenco-comuni-italiani-2020-01-01.csv

writes `kb/data/comuni_italia.csv`: the columns the gazetteer reads, UTF-8, populations as plain integers, one header
line. The source and its checks are in kb/data/COMUNI_SOURCE.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import unicodedata
from pathlib import Path

CODE, NAME, OTHER_NAME = "Codice Comune formato alfanumerico", "Denominazione in italiano", "Denominazione altra lingua"
REGION, PROVINCE, PLATE = ("Denominazione regione", "Denominazione dell'Unità territoriale sovracomunale "
                           "(valida a fini statistici)", "Sigla automobilistica")
POPULATION = "Popolazione legale 2011 (09/10/2011)"
REQUIRED_COLUMNS = (CODE, NAME, REGION, PROVINCE, PLATE)
SHIPPED_COLUMNS = (CODE, NAME, OTHER_NAME, REGION, PROVINCE, PLATE, POPULATION)
SHIPPED = Path(__file__).resolve().parents[2] / "kb" / "data" / "comuni_italia.csv"
# names Windows-1252 cannot hold, written "?" in ISTAT's CSV: the official spelling, by comune code
_SPELLING_FIXES = {("031022", OTHER_NAME): "Sovodnje ob Soči"}


class GazetteerError(ValueError):
    """The file is not an ISTAT list of municipalities."""


def header_key(name: str) -> str:
    """'Denominazione Regione', 'denominazione  regione' and 'Denominazione\\nregione' have one key."""
    decomposed = unicodedata.normalize("NFKD", name.replace("\u2019", "'")).casefold()
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def read_elenco(raw: bytes, source: str) -> list[dict[str, str]]:
    """The rows of ISTAT's list, each by the column names above (population under POPULATION when a column whose
    header starts with "Popolazione" exists); other columns are dropped, rows without a code skipped."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    reader = csv.reader(io.StringIO(text), delimiter=";")
    try:
        header = [header_key(h) for h in next(reader)]
    except StopIteration as exc:
        raise GazetteerError(f"{source}: file vuoto") from exc
    missing = [c for c in REQUIRED_COLUMNS if header_key(c) not in header]
    if missing:
        raise GazetteerError(f"{source}: non è l'elenco dei comuni ISTAT, mancano le colonne {missing}")
    columns = {name: header.index(header_key(name)) for name in (*REQUIRED_COLUMNS, OTHER_NAME)
               if header_key(name) in header}
    population = next((i for i, h in enumerate(header) if h.startswith("popolazione")), None)
    if population is not None:
        columns[POPULATION] = population
    rows: list[dict[str, str]] = []
    for cells in reader:
        if len(cells) < len(header) or not cells[columns[CODE]].strip():
            continue
        row = {name: cells[i].strip() for name, i in columns.items()}
        rows.append({name: _SPELLING_FIXES.get((row[CODE], name), value) for name, value in row.items()})
    if not rows:
        raise GazetteerError(f"{source}: nessun comune nel file")
    return rows


def population(value: str) -> int | None:
    """'12.665' or '12665' -> 12665; blank -> None."""
    digits = value.strip().replace(".", "")
    return int(digits) if digits.isdigit() else None


def shipped_rows(rows: list[dict[str, str]]) -> list[list[str]]:
    """The shipped columns of each row, by code; populations as plain integers."""
    table = []
    for row in sorted(rows, key=lambda r: r[CODE]):
        cells = [row.get(column, "") for column in SHIPPED_COLUMNS]
        people = population(cells[-1])
        cells[-1] = "" if people is None else str(people)
        table.append(cells)
    return table


def write_shipped(rows: list[dict[str, str]], target: Path) -> None:
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        writer.writerow(SHIPPED_COLUMNS)
        writer.writerows(shipped_rows(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description="Scrive kb/data/comuni_italia.csv dall'elenco dei comuni ISTAT.")
    parser.add_argument("--source", type=Path, required=True, help="Elenco-comuni-italiani.csv di ISTAT")
    parser.add_argument("--out", type=Path, default=SHIPPED)
    args = parser.parse_args()
    rows = read_elenco(args.source.read_bytes(), str(args.source))
    write_shipped(rows, args.out)
    total = sum(population(r.get(POPULATION, "")) or 0 for r in rows)
    print(f"{args.out}: {len(rows)} comuni, popolazione legale 2011 {total:,}".replace(",", "."))


if __name__ == "__main__":
    main()
