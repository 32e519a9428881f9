"""A second check of SDG tagging on real project texts: PNRR projects and the portal's own measure -> goal mapping.

Italia Domani publishes, for every PNRR submeasure, the Agenda 2030 goals it serves, one of them marked PREVALENTE
(`Mappatura_PNRR_SNSvS_Agenda2030_v2.csv`). A project's expected tag is the main goal of its submeasure. A fixed,
seeded sample of validated projects with a summary (`progetti_validati.parquet`), stratified by mission (the same
number from each, all of a smaller one), is tagged from its title and summary as an upload would be: one passage,
doc_type `progetto`, the calibrated tagger of the default model. Reported: the share of projects whose main goal is
among the tags (the target), the share whose first tag is it, and the share of all tags that are among the
submeasure's mapped goals (main or not): a precision of sorts, since the mapping lists what a measure serves, not
everything a project may. The parameters are those fitted on the sample corpus, plus the SDG prototypes and the
short-text rule learnt from other PNRR projects (`evaluation.sdg_prototypes`, which leaves this sample's CUPs out).

    python -m evaluation.pnrr_sdg --data ../shared/data/pnrr --out results/eval   (make eval-pnrr-sdg)
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from ingest.importers.sdg_mapping import Goals, load_goals

MAPPING = "Mappatura_PNRR_SNSvS_Agenda2030_v2.csv"
PROJECTS = "progetti_validati.parquet"
SUBMEASURE, MISSION, TITLE, SUMMARY = "Codice Univoco Submisura", "Missione", "Titolo progetto", "Sintesi progetto"
MIN_SUMMARY = 30  # characters: shorter summaries are codes or "N/D", not a text to tag


@dataclass
class Project:
    cup: str
    mission: str
    submeasure: str
    text: str
    by_comune: bool


def _read_csv(path: Path) -> Any:
    import pandas as pd

    return pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)


def project_text(title: str, summary: str) -> str:
    """Title and summary as a reader would take them: the portal's `*` separators as sentence breaks, placeholder
    parts dropped, an all-capitals text in lower case (the model reads "Casa della comunità" better than capitals)."""
    parts = [p.strip() for p in re.split(r"\*", summary or "") if p.strip() and p.strip().upper() not in {"XXX", "N/D"}]
    text = ". ".join(dict.fromkeys([title.strip(), *parts]))
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.6 * len(letters):
        text = text.lower()
    return text


def load_projects(path: Path) -> Any:
    import pandas as pd

    if path.suffix == ".parquet":
        return pd.read_parquet(path, engine="fastparquet")
    return _read_csv(path)


def sample_projects(frame: Any, goals: dict[str, Goals], per_mission: int, seed: int) -> list[Project]:
    """Projects with a summary and a mapped submeasure, `per_mission` from each mission (seeded), ordered by CUP."""
    frame = frame[frame[SUMMARY].fillna("").str.len() >= MIN_SUMMARY]
    frame = frame[frame[SUBMEASURE].isin(list(goals))]
    groups = [group.sample(n=min(per_mission, len(group)), random_state=seed)
              for _, group in frame.groupby(MISSION, sort=True)]
    projects = [Project(str(r["CUP"]), str(r[MISSION]), str(r[SUBMEASURE]),
                        project_text(str(r[TITLE] or ""), str(r[SUMMARY] or "")),
                        "COMUNE" in str(r.get("Soggetto attuatore", "")).upper())
                for group in groups for _, r in group.iterrows()]
    return sorted(projects, key=lambda p: (p.mission, p.cup))


def tag_projects(projects: list[Project], tagger: Any, embedder: Any,
                 batch: int = 64) -> tuple[list[list[str]], list[list[str]]]:
    """Each project's SDG tags, best first, from one passage (title + summary); and, as a diagnostic of the ranking
    apart from the threshold, its three best-scoring goals."""
    from ingest.enrich.tag_rules import Calibration

    calibration = tagger.calibration()
    top3 = {**calibration, "sdg": Calibration.from_dict({**vars(calibration["sdg"]), "threshold": -1e9,
                                                        "max_labels": 3, "min_labels": 3})}
    tags: list[list[str]] = []
    ranked: list[list[str]] = []
    for start in range(0, len(projects), batch):
        group = projects[start:start + batch]
        vectors = embedder.embed_passages([p.text for p in group])
        for project, vector in zip(group, vectors, strict=True):
            tags.append([t.label for t in tagger.tags(project.text, [vector], "progetto", calibration)["sdg"]])
            ranked.append([t.label for t in tagger.tags(project.text, [vector], "progetto", top3)["sdg"]])
    return tags, ranked


def _rates(pairs: list[tuple[Project, list[str]]], goals: dict[str, Goals]) -> dict[str, Any]:
    n = len(pairs)
    if not n:
        return {"projects": 0}
    found = sum(goals[p.submeasure].main in tags for p, tags in pairs)
    first = sum(bool(tags) and tags[0] == goals[p.submeasure].main for p, tags in pairs)
    all_tags = [(p, t) for p, tags in pairs for t in tags]
    mapped = sum(t in goals[p.submeasure].mapped for p, t in all_tags)
    return {"projects": n, "main_goal_among_tags": round(found / n, 3), "main_goal_first": round(first / n, 3),
            "tags_among_mapped_goals": round(mapped / len(all_tags), 3) if all_tags else None,
            "tags_per_project": round(len(all_tags) / n, 2)}


def measure(projects: list[Project], tags: list[list[str]], goals: dict[str, Goals]) -> dict[str, Any]:
    pairs = list(zip(projects, tags, strict=True))
    by_mission = defaultdict(list)
    by_goal = defaultdict(list)
    for p, t in pairs:
        by_mission[p.mission].append((p, t))
        by_goal[goals[p.submeasure].main].append((p, t))
    missed = Counter(goals[p.submeasure].main for p, t in pairs if goals[p.submeasure].main not in t)
    return {"overall": _rates(pairs, goals),
            "by_comune": _rates([(p, t) for p, t in pairs if p.by_comune], goals),
            "by_mission": {m: _rates(v, goals) for m, v in sorted(by_mission.items())},
            "by_main_goal": {g: _rates(v, goals) for g, v in sorted(by_goal.items(), key=lambda kv: int(kv[0]))},
            "missed_main_goals": dict(missed.most_common()),
            "examples_missed": [{"cup": p.cup, "text": p.text[:200], "main_goal": goals[p.submeasure].main,
                                 "tags": t} for p, t in pairs if goals[p.submeasure].main not in t][:15]}


def to_markdown(results: dict[str, Any]) -> str:
    o = results["overall"]
    lines = ["# SDG dei progetti PNRR: tag estratti contro l'obiettivo prevalente della misura", "",
             f"{o['projects']} progetti validati con sintesi ({results['sample']}); modello {results['model']}; "
             "fonte: Italia Domani, open data PNRR (progetti validati, mappatura misure - Agenda 2030).", "",
             "| gruppo | progetti | obiettivo prevalente tra i tag | primo tag | tag tra gli obiettivi della misura | "
             "tag per progetto |", "|---|---|---|---|---|---|"]

    def row(name: str, m: dict[str, Any]) -> str:
        mapped = "—" if m.get("tags_among_mapped_goals") is None else f"{m['tags_among_mapped_goals']:.3f}"
        return (f"| {name} | {m['projects']} | {m['main_goal_among_tags']:.3f} | {m['main_goal_first']:.3f} | "
                f"{mapped} | {m['tags_per_project']:.2f} |")

    lines.append(row("tutti", o))
    if results["by_comune"].get("projects"):
        lines.append(row("attuati da un Comune", results["by_comune"]))
    lines += [row(f"missione {m}", v) for m, v in results["by_mission"].items()]
    lines += [row(f"SDG {g} prevalente", v) for g, v in results["by_main_goal"].items()]
    lines += ["", f"Diagnostica dell'ordinamento, soglia a parte: l'obiettivo prevalente è tra i primi tre SDG per "
              f"punteggio nel {100 * results['main_goal_among_top3_ranked']:.1f}% dei progetti.".replace(".", ",", 1),
              "", "Obiettivi prevalenti mancati (progetti): " + ", ".join(
        f"SDG {g}: {n}" for g, n in results["missed_main_goals"].items()), "", "## Esempi mancati", ""]
    lines += [f"- {e['cup']} (SDG {e['main_goal']}; tag {e['tags']}): {e['text']}" for e in results["examples_missed"]]
    return "\n".join(lines) + "\n"


def run(data: Path, out: Path, per_mission: int, seed: int, embedder: Any | None = None,
        projects_file: str = PROJECTS) -> dict[str, Any]:
    from ingest.enrich.tagging import Tagger

    if embedder is None:
        from kb.models.factory import embedder_from_settings
        from kb.settings import get_settings

        embedder = embedder_from_settings(get_settings())
    goals = load_goals(data / MAPPING)
    projects = sample_projects(load_projects(data / projects_file), goals, per_mission, seed)
    tagger = Tagger(embedder)
    tagger.warm_up()
    tags, ranked = tag_projects(projects, tagger, embedder)
    results = {"model": embedder.name, "sample": f"{per_mission} per missione, seme {seed}",
               **measure(projects, tags, goals),
               "main_goal_among_top3_ranked": round(sum(goals[p.submeasure].main in r for p, r in
                                                        zip(projects, ranked, strict=True)) / len(projects), 3)}
    out.mkdir(parents=True, exist_ok=True)
    (out / "pnrr-sdg.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "pnrr-sdg.md").write_text(to_markdown(results), encoding="utf-8")
    return results


def main(data: Annotated[Path, typer.Option(help="Cartella dei dati PNRR (Italia Domani)")]
         = Path("../shared/data/pnrr"),
         out: Annotated[Path, typer.Option(help="Cartella dei risultati")] = Path("results/eval"),
         per_mission: Annotated[int, typer.Option(min=1, help="Progetti per missione")] = 250,
         seed: Annotated[int, typer.Option(help="Seme del campione")] = 2030,
         projects_file: Annotated[str, typer.Option(help="File dei progetti nella cartella (parquet o csv ';')")]
         = PROJECTS) -> None:
    """Tagga un campione fisso di progetti PNRR e lo confronta con l'obiettivo prevalente della loro misura."""
    if not (data / MAPPING).is_file():
        typer.secho(f"Errore: {data / MAPPING} non trovato", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    typer.echo(to_markdown(run(data, out, per_mission, seed, projects_file=projects_file)))


if __name__ == "__main__":
    typer.run(main)
