"""Funding calls from open data: Italia Domani's PNRR calls (CSV) and PA digitale 2026's calls (JSON or CSV).

One `bando` document per call. The natural key is the call's title + issuer + opening date: the same title is
reissued by the same issuer (a deserted 5G tender reopened two months later is another call), while the rows of one
call under two submeasures (the hydrogen IPCEI fund) are one document with both submeasures and their amounts added.
Status is not copied: the product's clock computes it from the dates (`aperto`, `in_arrivo`, `scaduto`); the
source's own status, with the day it was observed, is kept as `stato_fonte`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.enrich.text import fold
from ingest.importers.legible import legible
from ingest.importers.records import Record, RowProblem, euro, keyed_id, markdown
from ingest.importers.sdg_mapping import Goals, SdgMapping
from ingest.importers.tables import Row, parse_amount, parse_date, read_table

# addressees as the sources write them -> the product's beneficiary vocabulary (kb/storage/schema.py BENEFICIARIES)
BENEFICIARY_CUES: tuple[tuple[str, str], ...] = (
    (r"unioni? di comuni", "unioni_di_comuni"), (r"comunita montan", "comunita_montane"),
    (r"\bcomun[ei]\b", "comuni"), (r"citta metropolitan", "citta_metropolitane"), (r"\bprovinc", "province"),
    (r"scuol|istituti? scolastic|istituzioni scolastic", "scuole"),
    (r"impres|operator[ei] economic|\bpmi\b|aziende(?! ospedal)|startup|liberi professionisti", "imprese"),
    (r"terzo settore|associazion|\bets\b|no profit|onlus|cooperative sociali", "enti_terzo_settore"),
    (r"individu|cittadin|persone fisiche|famiglie|esperti|studenti", "cittadini"),
    (r"comunita energetic|\bcer\b|autoconsum", "cer"),
    (r"pubblic\w* amministrazion|amministrazioni pubblich|\bpa\b|enti pubblici|enti regional|regioni|universit|"
     r"ricerca|\basl\b|aziende ospedal|ministeri|agenzi|afam|\baoo\b|altri enti|"
     r"istituti zooprofilattici", "enti_pubblici"),
    # "enti locali" are, by law (TUEL, art. 2), comuni, province, città metropolitane, comunità montane and unioni
    (r"enti locali", "comuni"), (r"enti locali", "province"), (r"enti locali", "citta_metropolitane"),
    (r"enti locali", "unioni_di_comuni"), (r"enti locali", "comunita_montane"),
)


def beneficiaries(addressees: str | None) -> list[str]:
    text = fold(addressees or "")
    return list(dict.fromkeys(slug for cue, slug in BENEFICIARY_CUES if re.search(cue, text)))


@dataclass(frozen=True)
class CallSource:
    """How one publisher's file names the fields of a call."""

    dataset: str
    fonte: str
    id_prefix: str
    title: tuple[str, ...]
    issuer: tuple[str, ...]
    opening: tuple[str, ...]
    deadline: tuple[str, ...]
    budget: tuple[tuple[str, ...], ...]  # first present wins
    addressees: tuple[str, ...]
    status: tuple[str, ...]
    link: tuple[str, ...]
    observed: tuple[str, ...]
    measure: tuple[str, ...]  # submeasure code or the publisher's measure label
    measure_name: tuple[str, ...]
    default_issuer: str | None = None
    default_link: str | None = None
    goals_of: Callable[[SdgMapping, str | None], Goals | None] = lambda m, code: m.for_code(code)


def _padigitale_goals(mapping: SdgMapping, measure: str | None) -> Goals | None:
    """"1.4.1 Esperienza del cittadino…" -> the mapping of submeasure M1C1I1.4.1 (all PA digitale measures are
    Mission 1, Component 1)."""
    number = re.match(r"\s*(\d+(?:\.\d+)+)", measure or "")
    return mapping.for_measure_id(f"M1C1I{number.group(1)}") if number else None


PNRR_CALLS = CallSource(
    dataset="pnrr-bandi", fonte="Italia Domani", id_prefix="pnrr-bando",
    title=("Titolo Bando o Avviso",), issuer=("Soggetto emanante",), opening=("Data apertura bando",),
    deadline=("Data chiusura effettiva bando",),
    budget=(("Importo previsto PNRR",), ("Importo complessivo gara",)),
    addressees=("Destinatari del Bando o dell’Avviso", "Destinatari del Bando o dell'Avviso", "Destinatari"),
    status=("Stato del Bando",), link=("Link al bando",), observed=("Data aggiornamento-osservazione bandi",),
    measure=("Codice Univoco Submisura",), measure_name=("Descrizione Submisura",),
)
PADIGITALE_CALLS = CallSource(
    dataset="padigitale-avvisi", fonte="PA digitale 2026 (Dipartimento per la trasformazione digitale)",
    id_prefix="padigitale", title=("titolo",), issuer=("ente",), opening=("data_inizio_bando",),
    deadline=("data_fine_bando",), budget=(("totale_importo_stanziato",),), addressees=("soggetti_destinatari",),
    status=("stato",), link=("link", "url"), observed=("data_aggiornamento",), measure=("misura",),
    measure_name=("misura",), default_issuer="Dipartimento per la trasformazione digitale",
    default_link="https://padigitale2026.gov.it/", goals_of=_padigitale_goals,
)


def read_calls(path: Path, source: CallSource, mapping: SdgMapping,
               release: dt.date | None = None) -> tuple[list[Record | RowProblem], dt.date | None]:
    table = read_table(path)
    table.require(f"un elenco di bandi ({source.fonte})", source.title, source.opening)
    observed = [_date_or_none(r.get(*source.observed)) for r in table.rows]
    release = release or max((d for d in observed if d), default=None)
    merged: dict[str, list[Row]] = {}
    out: list[Record | RowProblem] = []
    for row in table.rows:
        if "__invalid__" in row.cells or "__width__" in row.cells:
            out.append(RowProblem(row.line, str(row.cells.get("__invalid__") or "numero di campi errato")))
            continue
        title, issuer = row.text(*source.title), row.text(*source.issuer) or source.default_issuer
        if not title:
            out.append(RowProblem(row.line, "titolo del bando mancante"))
            continue
        key = " · ".join(filter(None, (title, issuer, row.text(*source.opening))))
        merged.setdefault(key, []).append(row)
    for key, rows in merged.items():
        doc_id = keyed_id(source.id_prefix, rows[0].text(*source.title) or "", key)
        try:
            out.append(_record(key, doc_id, rows, source, mapping, Path(path).name))
        except ValueError as exc:
            out.append(RowProblem(rows[0].line, str(exc), key, doc_id))
    return sorted(out, key=lambda r: r.line), release


def _date_or_none(value: Any) -> dt.date | None:
    try:
        return parse_date(value)
    except ValueError:
        return None


def _date(row: Row, names: tuple[str, ...], what: str) -> dt.date | None:
    raw = row.get(*names)
    try:
        return parse_date(raw)
    except ValueError as exc:
        raise ValueError(f"{what} non valida: {raw!r} (attesa gg/mm/aaaa)") from exc


def _budget(rows: list[Row], source: CallSource) -> float | None:
    for names in source.budget:
        values = []
        for row in rows:
            raw = row.get(*names)
            try:
                values.append(parse_amount(raw))
            except ValueError:
                continue  # "N/A" spelt otherwise, a note in the cell: this column gives no amount
        present = [v for v in values if v]
        if present:
            return round(sum(present), 2)
    return None


def _record(key: str, doc_id: str, rows: list[Row], source: CallSource, mapping: SdgMapping,
            source_name: str) -> Record:
    first = rows[0]
    title_original = first.text(*source.title) or ""
    title = legible(title_original)[:300]
    issuer = first.text(*source.issuer) or source.default_issuer
    opening, deadline = _date(first, source.opening, "data di apertura"), _date(first, source.deadline,
                                                                                 "data di chiusura")
    if opening and deadline and deadline < opening:
        raise ValueError(f"la chiusura ({deadline:%d/%m/%Y}) precede l'apertura ({opening:%d/%m/%Y})")
    addressees = first.text(*source.addressees)
    status, observed = first.text(*source.status), _date_or_none(first.get(*source.observed))
    measures = list(dict.fromkeys(str(r.text(*source.measure)) for r in rows if r.text(*source.measure)))
    goals = [g for g in (source.goals_of(mapping, m) for m in measures) if g is not None]
    link = first.text(*source.link)
    link = link if link and re.match(r"^https?://\S+$", link) else source.default_link
    budget = _budget(rows, source)
    stato = None
    if status:
        stato = f"{legible(status)} (rilevato il {observed:%d/%m/%Y})" if observed else legible(status)
    facts = [("Ente", issuer), ("Apertura", f"{opening:%d/%m/%Y}" if opening else None),
             ("Scadenza", f"{deadline:%d/%m/%Y}" if deadline else "non indicata (a sportello o fino a esaurimento)"),
             ("Destinatari", addressees), ("Dotazione", euro(budget)),
             ("Misura", "; ".join(dict.fromkeys(_measure_label(r, source) for r in rows)) or None),
             ("Stato secondo la fonte", stato), ("Link", link)]
    metadata: dict[str, Any] = {
        "doc_type": "bando", "title": title, "titolo_originale": title_original if title_original != title else None,
        "issuer": (issuer or "")[:200] or None, "opening_date": opening, "deadline": deadline, "budget": budget,
        "beneficiaries": beneficiaries(addressees), "destinatari": (addressees or "")[:500] or None,
        "stato_fonte": stato, "sdg": sorted({n for g in goals for n in g.declared()}),
        "sdg_prevalente": int(goals[0].main) if goals and goals[0].main.isdigit() else None,
        "submisure": [m for m in measures if re.match(r"^M\dC\d", m)], "fonte": source.fonte,
        "url_fonte": link, "missione": measures[0][:2] if measures and re.match(r"^M\d", measures[0]) else None,
    }
    return Record(key, doc_id, markdown(title, [], facts), metadata, first.line, source_name)


def _measure_label(row: Row, source: CallSource) -> str:
    code, name = row.text(*source.measure), row.text(*source.measure_name)
    return " – ".join(filter(None, (code, name if name != code else None)))
