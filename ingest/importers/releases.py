"""One entry point per kind of import: a published file -> its records, read the same way by `kb import` and by
the evaluation's imported data sets (so what is measured is what a user indexes)."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any

from ingest.importers.records import Record, RowProblem
from ingest.importers.sdg_mapping import SdgMapping, load_mapping

PROJECTS, PNRR_CALLS, PADIGITALE_CALLS = "pnrr-progetti", "pnrr-bandi", "padigitale-avvisi"
KINDS = (PROJECTS, PNRR_CALLS, PADIGITALE_CALLS)
SHIPPED_MAPPING = "pnrr_sdg_mapping.csv"

Items = list[Record | RowProblem]


def shipped_mapping() -> SdgMapping:
    """Italia Domani's submeasure -> Agenda 2030 mapping as the package ships it (kb/data/pnrr_sdg_mapping.csv)."""
    with resources.as_file(resources.files("kb.data").joinpath(SHIPPED_MAPPING)) as shipped:
        return load_mapping(shipped)


def read_release(kind: str, file: Path, settings: Any, *, locations: Path | None = None,
                 mapping: SdgMapping | None = None, release: dt.date | None = None) -> tuple[Items, dt.date | None]:
    """The records of one published file (and its release date, if it states one). `settings`: a
    `kb.settings.Settings` (gazetteer, project link); `mapping`: the shipped one unless given."""
    from ingest.enrich.gazetteer import load_gazetteer
    from ingest.importers.calls import PADIGITALE_CALLS as PADIGITALE_SOURCE
    from ingest.importers.calls import PNRR_CALLS as PNRR_SOURCE
    from ingest.importers.calls import read_calls
    from ingest.importers.pnrr_projects import read_locations, read_projects

    if kind not in KINDS:
        raise ValueError(f"tipo di importazione sconosciuto '{kind}': validi {', '.join(KINDS)}")
    mapping = mapping or shipped_mapping()
    if kind == PROJECTS:
        gazetteer = load_gazetteer(settings.gazetteer_path)
        located = read_locations(locations, gazetteer) if locations else None
        return read_projects(file, mapping, gazetteer, locations=located, project_url=settings.pnrr_project_url,
                             release=release)
    return read_calls(file, PNRR_SOURCE if kind == PNRR_CALLS else PADIGITALE_SOURCE, mapping, release)
