"""The PNRR check on the tiny excerpt of tests/fixtures/pnrr (cut by its make_excerpt.py from the shared data)."""

from __future__ import annotations

import json
from pathlib import Path

from evaluation import pnrr_sdg
from evaluation.pnrr_sdg import Goals, Project, load_goals, measure, project_text, run, sample_projects
from kb.models.embedders import HashingEmbedder
from tests.conftest import REPO

EXCERPT = REPO / "tests" / "fixtures" / "pnrr"


def test_mapping_gives_each_submeasure_its_main_goal() -> None:
    goals = load_goals(EXCERPT / pnrr_sdg.MAPPING)
    assert goals["M6C1I1.01.00"].main == "3"  # Case della Comunità
    assert goals["M1C1I1.02.00"].main == "16"  # cloud for local administrations: the portal says 16
    assert all(g.main in g.mapped for g in goals.values())


def test_portal_text_is_read_as_sentences() -> None:
    text = project_text("NUOVA CASA DELLA COMUNITÀ", "NUOVA CASA DELLA COMUNIT DI ROTTOFRENO*VIA ALICATA SNC*XXX")
    assert text == "nuova casa della comunità. nuova casa della comunit di rottofreno. via alicata snc"
    assert project_text("Ciclovia", "Lavori sulla ciclovia del Sole*N/D") == "Ciclovia. Lavori sulla ciclovia del Sole"


def test_sample_is_stratified_and_repeatable() -> None:
    goals = load_goals(EXCERPT / pnrr_sdg.MAPPING)
    frame = pnrr_sdg.load_projects(EXCERPT / "progetti.csv")
    first, again = sample_projects(frame, goals, 1, seed=7), sample_projects(frame, goals, 1, seed=7)
    assert [p.cup for p in first] == [p.cup for p in again]
    assert sorted(p.mission for p in first) == ["M1", "M2", "M3", "M4", "M5", "M6"]


def test_rates_count_main_goals_first_tags_and_mapped_tags() -> None:
    goals = {"a": Goals("7", frozenset({"7", "13"})), "b": Goals("3", frozenset({"3"}))}
    projects = [Project("1", "M2", "a", "", True), Project("2", "M6", "b", "", False)]
    results = measure(projects, [["13", "7"], ["11"]], goals)
    assert results["overall"] == {"projects": 2, "main_goal_among_tags": 0.5, "main_goal_first": 0.0,
                                  "tags_among_mapped_goals": 0.667, "tags_per_project": 1.5}
    assert results["by_comune"]["projects"] == 1 and results["missed_main_goals"] == {"3": 1}


def test_command_writes_json_and_markdown(tmp_path: Path) -> None:
    results = run(EXCERPT, tmp_path, per_mission=2, seed=1, embedder=HashingEmbedder(), projects_file="progetti.csv")
    assert results["overall"]["projects"] == 12
    saved = json.loads((tmp_path / "pnrr-sdg.json").read_text(encoding="utf-8"))
    assert saved["overall"] == results["overall"] and set(saved["by_mission"]) == {f"M{i}" for i in range(1, 7)}
    assert "obiettivo prevalente tra i tag" in (tmp_path / "pnrr-sdg.md").read_text(encoding="utf-8")
