"""Place extraction on real texts: PNRR projects located in one comune, against the comune of their location.

Italia Domani's validated projects (`progetti_validati.parquet`) have a title and a summary, and their locations
(`localizzazioni_validate.parquet`) an ISTAT comune code (`COD_ISTAT_COMUNE`). For every project located in exactly
one comune of the gazetteer, `find_places` reads title and summary as stored (mostly upper case) and its comune,
provincia and regione are compared with that comune's. Precision: right among those extracted; recall: right among
all projects (most texts name no place, so recall is low by nature). The gazetteer is the one in use (shipped, or
`KB_GAZETTEER_PATH`), so the same run measures another list or edition.

    python -m evaluation.pnrr_places --data ../shared/data/pnrr --out results/eval   (make eval-pnrr-places, ~4 min)
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from ingest.enrich.gazetteer import Comune, Gazetteer, load_gazetteer
from ingest.enrich.places import find_places

FIELDS = ("comune", "provincia", "regione")
PROJECTS, LOCATIONS = "progetti_validati.parquet", "localizzazioni_validate.parquet"


def located_projects(data: Path, gazetteer: Gazetteer) -> tuple[list[tuple[str, str, Comune]], int]:
    """(CUP, title + summary, its comune) for projects located in one comune, by CUP; and how many such projects
    have a code the gazetteer lacks (comuni created after its edition)."""
    import pandas as pd

    projects = pd.read_parquet(data / PROJECTS, engine="fastparquet",
                               columns=["CUP", "Titolo progetto", "Sintesi progetto"])
    locations = pd.read_parquet(data / LOCATIONS, engine="fastparquet", columns=["CUP", "COD_ISTAT_COMUNE"])
    locations = locations[locations["COD_ISTAT_COMUNE"].fillna("").str.strip() != ""]
    codes = locations.groupby("CUP")["COD_ISTAT_COMUNE"].agg(lambda c: sorted(set(c)))
    single = {cup: found[0] for cup, found in codes.items() if len(found) == 1}
    projects = projects[projects["CUP"].isin(list(single))].drop_duplicates("CUP").sort_values("CUP")
    out, unknown = [], 0
    for cup, title, summary in projects.itertuples(index=False):
        comune = gazetteer.by_code(str(single[cup]))
        if comune is None:
            unknown += 1
            continue
        out.append((str(cup), f"{title or ''}\n\n{summary or ''}", comune))
    return out, unknown


def score(pairs: list[tuple[dict[str, str | None], dict[str, str]]]) -> dict[str, dict[str, float]]:
    """Per field: extracted, correct, precision (correct / extracted), recall (correct / all) over (found, expected)
    pairs; a field not found is None."""
    result = {}
    for field in FIELDS:
        extracted = sum(1 for found, _ in pairs if found[field] is not None)
        correct = sum(1 for found, expected in pairs if found[field] == expected[field])
        result[field] = {"extracted": extracted, "correct": correct,
                         "precision": round(correct / extracted, 3) if extracted else 0.0,
                         "recall": round(correct / len(pairs), 3) if pairs else 0.0}
    return result


def run(data: Path, out: Path, gazetteer: Gazetteer) -> dict[str, Any]:
    projects, unknown = located_projects(data, gazetteer)
    pairs: list[tuple[dict[str, str | None], dict[str, str]]] = []
    wrong: Counter[str] = Counter()
    for _, text, comune in projects:
        places = find_places(text, gazetteer)
        found = {f: (str(getattr(places, f).value) if getattr(places, f) else None) for f in FIELDS}
        pairs.append((found, {"comune": comune.name, "provincia": comune.provincia, "regione": comune.regione}))
        if found["comune"] is not None and found["comune"] != comune.name:
            wrong[found["comune"]] += 1
    results = {"projects": len(pairs), "codes_not_in_gazetteer": unknown, "gazetteer_comuni": len(gazetteer.comuni),
               "fields": score(pairs), "most_frequent_wrong_comuni": wrong.most_common(20)}
    out.mkdir(parents=True, exist_ok=True)
    (out / "pnrr-places.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "pnrr-places.md").write_text(to_markdown(results), encoding="utf-8")
    return results


def to_markdown(results: dict[str, Any]) -> str:
    lines = ["# Luoghi estratti dai progetti PNRR: confronto con la localizzazione ISTAT", "",
             f"{_n(results['projects'])} progetti localizzati in un solo comune (titolo e sintesi); elenco dei comuni: "
             f"{_n(results['gazetteer_comuni'])} comuni; {results['codes_not_in_gazetteer']} codici non nell'elenco.",
             "", "| campo | estratti | corretti | precisione | richiamo |", "|---|---|---|---|---|"]
    for field, r in results["fields"].items():
        lines.append(f"| {field} | {r['extracted']} | {r['correct']} | {r['precision']:.3f} | {r['recall']:.3f} |")
    wrong = ", ".join(f"{name} ({n})" for name, n in results["most_frequent_wrong_comuni"])
    return "\n".join([*lines, "", f"Comuni sbagliati più frequenti: {wrong}", ""])


def _n(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def main(data: Annotated[Path, typer.Option(help="Cartella dei dati PNRR (Italia Domani)")]
         = Path("../shared/data/pnrr"),
         out: Annotated[Path, typer.Option(help="Cartella dei risultati")] = Path("results/eval")) -> None:
    """Confronta comune, provincia e regione estratti dai progetti PNRR con la loro localizzazione."""
    from kb.settings import get_settings

    for name in (PROJECTS, LOCATIONS):
        if not (data / name).is_file():
            typer.secho(f"Errore: {data / name} non trovato", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
    typer.echo(to_markdown(run(data, out, load_gazetteer(get_settings().gazetteer_path))))


if __name__ == "__main__":
    typer.run(main)
