"""Italia Domani's mapping of PNRR submeasures to the Agenda 2030 goals: the declared SDGs of an imported record.

`Mappatura_PNRR_SNSvS_Agenda2030_v2.csv` lists, for every submeasure (`Codice Univoco submisura`, e.g.
`M2C2I4.01.00`), the goals it serves, one of them marked PREVALENTE. A PNRR project or call gets its submeasure's
goals as declared metadata, the main one first: the portal's own classification, not a guess from the text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import IngestError
from ingest.importers.tables import read_table

MAPPING_FILE = "Mappatura_PNRR_SNSvS_Agenda2030_v2.csv"
CODE, MEASURE_ID, GOAL, MAIN = "Codice Univoco submisura", "ID Submisura", "GOAL", "PREVALENTE"


@dataclass(frozen=True)
class Goals:
    main: str
    mapped: frozenset[str]

    def declared(self) -> list[int]:
        """The goals as numbers: what `sdg` gets (sorted by the schema), with `main` as `sdg_prevalente`."""
        return sorted({int(g) for g in self.mapped if g.isdigit() and 1 <= int(g) <= 17})


@dataclass
class SdgMapping:
    by_code: dict[str, Goals]
    by_measure_id: dict[str, Goals]  # "M1C1I1.4.1" (the ID Submisura column), for sources that give only that

    def for_code(self, code: str | None) -> Goals | None:
        return self.by_code.get((code or "").strip().upper())

    def for_measure_id(self, measure_id: str | None) -> Goals | None:
        return self.by_measure_id.get((measure_id or "").strip().upper())

    def __len__(self) -> int:
        return len(self.by_code)


def load_goals(path: Path) -> dict[str, Goals]:
    """Per submeasure code, its main goal (PREVALENTE = si) and every goal the mapping gives it."""
    return load_mapping(path).by_code


def load_mapping(path: Path) -> SdgMapping:
    table = read_table(path)
    table.require("la mappatura PNRR -> Agenda 2030 di Italia Domani", [CODE], [GOAL], [MAIN])
    mapped: dict[str, set[str]] = defaultdict(set)
    main: dict[str, str] = {}
    measure_ids: dict[str, str] = {}
    for row in table.rows:
        code, goal = (row.text(CODE) or "").upper(), row.text(GOAL)
        if not code or not goal:
            continue
        goal = re.sub(r"\.0$", "", goal)
        mapped[code].add(goal)
        if (row.text(MAIN) or "").lower() == "si":
            main[code] = goal
        if row.text(MEASURE_ID):
            measure_ids[str(row.text(MEASURE_ID)).upper()] = code
    goals = {code: Goals(main.get(code) or sorted(found)[0], frozenset(found)) for code, found in mapped.items()}
    if not goals:
        raise IngestError("invalid_table", "la mappatura non contiene obiettivi", str(path))
    return SdgMapping(goals, {mid: goals[code] for mid, code in measure_ids.items()})
