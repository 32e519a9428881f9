"""Open-data tables as rows of plain values: CSV in any of the portals' conventions, Parquet, JSON lists.

Publishers change their layouts between releases (Italia Domani's first CSV has `CUP ` with a trailing space and
`FINANZIAMENTO _UE`, its Parquet `CUP` and `Finanziamento UE (diverso da PNRR)`), so columns are found by their
normalised name (case, accents, spaces, underscores and punctuation ignored) among the names a field has had. Cells
the portals use for "nothing" (`N/D`, `N/A`, empty) are None; each row keeps the line it starts on, so a bad row
is reported where a person can find it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.errors import IngestError

MISSING = {"", "n/d", "n/a", "nd", "na", "null", "none", "nan", "-"}
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def column_key(name: str) -> str:
    """`"FINANZIAMENTO _UE"` -> `"finanziamento ue"`, `"CUP "` -> `"cup"`, `"Città"` -> `"citta"`."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    ascii_name = "".join(c if c.isascii() else " " for c in bare).lower()  # a typographic apostrophe is a break
    return _NOT_WORD.sub(" ", ascii_name).strip()


@dataclass
class Row:
    line: int  # the line the record starts on (CSV), or its 1-based position (Parquet, JSON)
    cells: dict[str, Any]  # normalised column name -> value (None for a missing cell)

    def get(self, *names: str) -> Any:
        """The first present value among the column's known names (normalised or not)."""
        for name in names:
            value = self.cells.get(column_key(name))
            if value is not None:
                return value
        return None

    def text(self, *names: str) -> str | None:
        value = self.get(*names)
        if value is None:
            return None
        text = " ".join(str(value).split())
        return text or None


@dataclass
class Table:
    source: str
    columns: list[str]  # normalised
    rows: list[Row]

    def has(self, *names: str) -> bool:
        return any(column_key(n) in self.columns for n in names)

    def require(self, what: str, *alternatives: Sequence[str]) -> None:
        """Refuse a file that lacks a needed column, naming it: each alternative is a list of a field's names."""
        missing = [names[0] for names in alternatives if not self.has(*names)]
        if missing:
            raise IngestError("invalid_table", f"non è {what}: mancano le colonne {', '.join(missing)}", self.source)


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        stripped = value.strip()
        return None if stripped.lower() in MISSING else stripped
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return None if str(value) == "NaT" else value.to_pydatetime()
    return value


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def read_csv(raw: bytes, source: str) -> Table:
    """`;` or `,` separated (whichever the header uses more), UTF-8 with or without BOM, or Windows-1252."""
    text = _decode(raw)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [column_key(h) for h in next(reader)]
    except StopIteration as exc:
        raise IngestError("invalid_table", "file vuoto", source) from exc
    except csv.Error as exc:
        raise IngestError("invalid_table", f"CSV illeggibile: {exc}", source) from exc
    rows: list[Row] = []
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise IngestError("invalid_table", f"CSV illeggibile alla riga {start}: {exc}", source) from exc
        if any(v.strip() for v in values):
            cells = {name: _cell(v) for name, v in zip(header, values, strict=False) if name}
            if len(values) != len(header):
                cells["__width__"] = len(values)
            rows.append(Row(start, cells))
        start = reader.line_num + 1
    return Table(source, header, rows)


def read_parquet(path: Path) -> Table:
    import pandas as pd

    try:
        frame = pd.read_parquet(path, engine="fastparquet")
    except Exception as exc:  # the engines raise many types for a damaged file
        raise IngestError("invalid_table", f"Parquet illeggibile: {exc}", str(path)) from exc
    header = [column_key(str(c)) for c in frame.columns]
    rows = [Row(i + 1, {name: _cell(v) for name, v in zip(header, values, strict=True)})
            for i, values in enumerate(frame.itertuples(index=False, name=None))]
    return Table(str(path), header, rows)


def read_json_list(raw: bytes, source: str) -> Table:
    try:
        data = json.loads(_decode(raw))
    except ValueError as exc:
        raise IngestError("invalid_table", f"JSON non valido: {exc}", source) from exc
    if isinstance(data, dict):  # {"data": [...]} and similar wrappers
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else data
    if not isinstance(data, list):
        raise IngestError("invalid_table", "atteso un elenco JSON di record", source)
    columns: dict[str, None] = {}
    rows: list[Row] = []
    for i, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            rows.append(Row(i, {"__invalid__": f"il record {i} non è un oggetto JSON"}))
            continue
        cells = {column_key(str(k)): _cell(v) for k, v in item.items()}
        columns.update(dict.fromkeys(cells))
        rows.append(Row(i, cells))
    return Table(source, list(columns), rows)


def read_table(path: Path) -> Table:
    """The file at `path` by its extension: .csv, .parquet, .json."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return read_parquet(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError("unreadable", f"file non leggibile: {exc.strerror or exc}", str(path)) from exc
    if suffix == ".json":
        return read_json_list(raw, str(path))
    if suffix in (".csv", ".txt", ".tsv"):
        return read_csv(raw, str(path))
    raise IngestError("unsupported_format", f"formato non supportato ({suffix or 'senza estensione'}): servono "
                      "CSV, Parquet o JSON", str(path))


# -- values ------------------------------------------------------------------------------------------------------
_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+$")


def parse_amount(value: Any) -> float | None:
    """Amounts as the portals write them: `114.000.000`, `1.234,56`, `42576.0`, `1 250 000`, `€ 5.000`.

    Raises ValueError for text that is not an amount."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    text = re.sub(r"[\s\u00a0\u202f€]", "", str(value)).replace("EUR", "")
    if not text:
        return None
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif _THOUSANDS.match(text) or text.count(".") > 1:
        text = text.replace(".", "")
    return float(text)


def parse_date(value: Any) -> dt.date | None:
    """`28/11/2022`, `2022-11-28`, `2022-11-28T00:00:00`, a datetime. Raises ValueError for anything else."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text[:10], pattern).date()
        except ValueError:
            continue
    return dt.datetime.fromisoformat(text).date()
