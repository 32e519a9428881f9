"""SDG prototypes learnt from real labelled project texts: PNRR projects and their measure's main Agenda 2030 goal.

Label descriptions say what a goal is about, not the conventions by which a public body files a project under it
(Italia Domani files a school website under goal 16, a start-up grant under goal 8). Here those conventions are
learnt from examples: a seeded sample of validated PNRR projects with a summary, DISJOINT from the check of
`evaluation.pnrr_sdg` (its CUPs are left out), at most `per_goal` per main goal, each embedded as a passage
(title + summary, as the check and an upload read it). Per goal, `k` prototypes (spherical k-means of its projects'
vectors; the mean when there are few) are stored in kb/data/sdg_prototypes.npz in float16 with the model's name and
the data's source; the tagger reads them as one more evidence channel for SDGs (`tagging.prototype_similarity`),
whose weight is calibrated on the corpus calibration half like every other parameter. A short text (one chunk: a
title and a summary) gets its own prototype weight and minimum number of tags, fitted on a third set of projects
(`rule_per_mission` per mission, none used above nor by the check). Only derived vectors and those two numbers are
stored, never the projects' texts.

    python -m evaluation.sdg_prototypes --data ../shared/data/pnrr      (make sdg-prototypes)
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from evaluation.pnrr_sdg import (
    MAPPING,
    MIN_SUMMARY,
    PROJECTS,
    SUBMEASURE,
    SUMMARY,
    TITLE,
    Goals,
    Project,
    load_goals,
    load_projects,
    project_text,
    sample_projects,
)
from ingest.enrich.tag_rules import load_calibration

OUT = Path(__file__).resolve().parents[1] / "kb" / "data" / "sdg_prototypes.npz"
SHORT_PROTOTYPE_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
SHORT_MIN_LABELS = (1, 2, 3)
SOURCE = ("Italia Domani (Presidenza del Consiglio dei Ministri), open data PNRR: progetti validati e mappatura "
          "misure - Agenda 2030 SNSvS; dati aperti della PA (art. 52 CAD), con attribuzione. Vettori derivati: "
          "centroidi di titolo + sintesi dei progetti per obiettivo prevalente della misura")


def calibration_split(frame: Any, goals: dict[str, Any], exclude: set[str], per_goal: int,
                      seed: int) -> list[tuple[str, str, str]]:
    """(cup, main goal, text) for up to `per_goal` projects per main goal, none of the check's CUPs, seeded."""
    frame = frame[frame[SUMMARY].fillna("").str.len() >= MIN_SUMMARY]
    frame = frame[frame[SUBMEASURE].isin(list(goals)) & ~frame["CUP"].astype(str).isin(exclude)]
    frame = frame.assign(_goal=frame[SUBMEASURE].map(lambda code: goals[code].main))
    rows: list[tuple[str, str, str]] = []
    for goal, group in frame.groupby("_goal", sort=True):
        for _, r in group.sample(n=min(per_goal, len(group)), random_state=seed).iterrows():
            rows.append((str(r["CUP"]), str(goal), project_text(str(r[TITLE] or ""), str(r[SUMMARY] or ""))))
    return sorted(rows)


def spherical_kmeans(vectors: np.ndarray, k: int, seed: int, iterations: int = 30) -> np.ndarray:
    """`k` unit centroids of unit vectors (cosine k-means); the normalised mean when there are under 4·k vectors."""
    def unit(x: np.ndarray) -> np.ndarray:
        return np.asarray(x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12))

    if k <= 1 or len(vectors) < 4 * k:
        return unit(vectors.mean(axis=0, keepdims=True))
    rng = np.random.default_rng(seed)
    centroids = vectors[rng.choice(len(vectors), size=k, replace=False)]
    for _ in range(iterations):
        assign = (vectors @ centroids.T).argmax(axis=1)
        centroids = unit(np.stack([vectors[assign == c].mean(axis=0) if (assign == c).any() else centroids[c]
                                   for c in range(k)]))
    return centroids


def prototypes(vectors: np.ndarray, goals: list[str], k: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Per goal, its k prototypes; returned as (goal of each row, rows)."""
    by_goal: dict[str, list[int]] = defaultdict(list)
    for i, goal in enumerate(goals):
        by_goal[goal].append(i)
    labels: list[str] = []
    rows: list[np.ndarray] = []
    for goal in sorted(by_goal, key=int):
        centroids = spherical_kmeans(vectors[by_goal[goal]], k, seed)
        labels += [goal] * len(centroids)
        rows.append(centroids)
    return labels, np.concatenate(rows)


def embed_split(rows: list[tuple[str, str, str]], embedder: Any, cache: Path | None) -> np.ndarray:
    """The split's passage vectors, read back from `cache` when it holds the same CUPs (embedding costs minutes)."""
    cups = [r[0] for r in rows]
    if cache is not None and cache.is_file():
        saved = np.load(cache, allow_pickle=False)
        if list(saved["cups"]) == cups and str(saved["model"]) == embedder.name:
            return np.asarray(saved["vectors"], dtype=np.float32)
    vectors = np.asarray(embedder.embed_passages([r[2] for r in rows]), dtype=np.float32)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, cups=np.array(cups), model=np.array(embedder.name), vectors=vectors)
    return vectors


def fit_short_rule(projects: list[Project], goals: dict[str, Goals], embedder: Any,
                   learnt: tuple[list[str], np.ndarray], cache: Path | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The short-text prototype weight and minimum with the best F1 of "the main goal is among the tags" (recall)
    and "a tag is among the measure's mapped goals" (precision) on PNRR projects that neither the prototypes nor the
    check use; the corpus calibration stays as fitted. Returns the rule and its fit's numbers."""
    from ingest.enrich.tagging import Tagger, choose_all

    if not projects:
        return {}, {"projects": 0}
    rows = [(p.cup, goals[p.submeasure].main, p.text) for p in projects]
    vectors = embed_split(rows, embedder, cache)
    tagger = Tagger(embedder)
    tagger.warm_up()
    tagger.prototypes = learnt
    base = load_calibration(embedder.name)
    scores = [tagger.scores(p.text, [v.tolist()], "progetto") for p, v in zip(projects, vectors, strict=True)]
    best: tuple[float, dict[str, Any], dict[str, Any]] | None = None
    for weight, least in itertools.product(SHORT_PROTOTYPE_WEIGHTS, SHORT_MIN_LABELS):
        rule: dict[str, Any] = {"short_chunks": 1, "short_prototype_weight": weight, "short_min_labels": least}
        calibration = {**base, "sdg": replace(base["sdg"], **rule)}
        tags = [[t.label for t in choose_all(s, calibration, tagger.links)["sdg"]] for s in scores]
        found = sum(goals[p.submeasure].main in t for p, t in zip(projects, tags, strict=True)) / len(projects)
        given = [(p, label) for p, t in zip(projects, tags, strict=True) for label in t]
        mapped = sum(label in goals[p.submeasure].mapped for p, label in given) / max(1, len(given))
        f1 = 2 * found * mapped / (found + mapped) if found + mapped else 0.0
        if best is None or f1 > best[0] + 1e-9:
            best = (f1, rule, {"projects": len(projects), "main_goal_among_tags": round(found, 3),
                               "tags_among_mapped_goals": round(mapped, 3), "f1": round(f1, 3),
                               "tags_per_project": round(len(given) / len(projects), 2)})
    assert best is not None
    return best[1], best[2]


def build(data: Path, per_goal: int, k: int, seed: int, check_per_mission: int, check_seed: int,
          cache: Path | None, out: Path = OUT, embedder: Any | None = None,
          projects_file: str = PROJECTS, rule_per_mission: int = 100) -> dict[str, Any]:
    if embedder is None:
        from kb.models.factory import embedder_from_settings
        from kb.settings import get_settings

        embedder = embedder_from_settings(get_settings())
    embedder.warm_up()
    goals = load_goals(data / MAPPING)
    frame = load_projects(data / projects_file)
    check = {p.cup for p in sample_projects(frame, goals, check_per_mission, check_seed)}
    rows = calibration_split(frame, goals, check, per_goal, seed)
    vectors = embed_split(rows, embedder, cache)
    labels, centroids = prototypes(vectors, [r[1] for r in rows], k, seed)
    centroids = centroids.astype(np.float16)
    held = check | {r[0] for r in rows}
    rule_projects = [p for p in sample_projects(frame[~frame["CUP"].astype(str).isin(held)], goals, rule_per_mission,
                                                seed) if p.cup not in held]
    short, fit = fit_short_rule(rule_projects, goals, embedder, (labels, centroids.astype(np.float32)),
                                None if cache is None else cache.with_suffix(".rule.npz"))
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, model=np.array(embedder.name), labels=np.array(labels), source=np.array(SOURCE),
                        vectors=centroids, short_rule=np.array(json.dumps(short)))
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[r[1]] += 1
    return {"model": embedder.name, "projects": len(rows), "cups": [r[0] for r in rows], "per_goal": dict(counts),
            "prototypes": len(labels), "excluded_check_cups": len(check), "short_rule": short,
            "short_rule_fit": fit}


def main(data: Annotated[Path, typer.Option(help="Cartella dei dati PNRR (Italia Domani)")]
         = Path("../shared/data/pnrr"),
         per_goal: Annotated[int, typer.Option(min=1, help="Progetti al massimo per obiettivo prevalente")] = 300,
         k: Annotated[int, typer.Option(min=1, help="Prototipi per obiettivo")] = 3,
         seed: Annotated[int, typer.Option(help="Seme del campione di calibrazione")] = 17,
         cache: Annotated[Path | None, typer.Option(help="File dei vettori già calcolati (fuori dal repository)")]
         = Path("results/tmp/pnrr-prototype-vectors.npz")) -> None:
    """Prototipi SDG dai progetti PNRR (esclusi quelli della verifica `evaluation.pnrr_sdg`)."""
    summary = build(data, per_goal, k, seed, 250, 2030, cache)
    typer.echo(json.dumps({k: v for k, v in summary.items() if k != "cups"}, indent=2))


if __name__ == "__main__":
    typer.run(main)
