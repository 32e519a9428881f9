"""SDG prototypes from PNRR projects, on the tiny excerpt of tests/fixtures/pnrr: disjoint from the check, compact."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evaluation import pnrr_sdg
from evaluation.sdg_prototypes import build, spherical_kmeans
from ingest.enrich.tagging import load_prototypes
from kb.models.embedders import HashingEmbedder
from tests.conftest import REPO

EXCERPT = REPO / "tests" / "fixtures" / "pnrr"


def test_prototypes_leave_out_the_checks_projects_and_store_only_vectors(tmp_path: Path) -> None:
    out = tmp_path / "sdg_prototypes.npz"
    summary = build(EXCERPT, per_goal=50, k=2, seed=3, check_per_mission=1, check_seed=7, cache=None, out=out,
                    embedder=HashingEmbedder(), projects_file="progetti.csv")
    goals = pnrr_sdg.load_goals(EXCERPT / pnrr_sdg.MAPPING)
    frame = pnrr_sdg.load_projects(EXCERPT / "progetti.csv")
    check = {p.cup for p in pnrr_sdg.sample_projects(frame, goals, 1, seed=7)}
    assert summary["projects"] > 0 and not check & set(summary["cups"])
    saved = np.load(out, allow_pickle=False)
    assert saved["vectors"].dtype == np.float16 and len(saved["labels"]) == summary["prototypes"]
    assert str(saved["model"]) == HashingEmbedder().name and "Italia Domani" in str(saved["source"])
    assert set(saved.files) == {"model", "labels", "source", "vectors", "short_rule"}, "no project text"


def test_spherical_kmeans_gives_unit_centroids_and_the_mean_for_few_vectors() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(40, 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    centroids = spherical_kmeans(vectors, 3, seed=1)
    assert centroids.shape == (3, 8) and np.allclose(np.linalg.norm(centroids, axis=1), 1.0)
    assert spherical_kmeans(vectors[:5], 3, seed=1).shape == (1, 8)


def test_shipped_prototypes_belong_to_the_default_model() -> None:
    loaded = load_prototypes("multilingual-e5-small")
    assert loaded is not None and load_prototypes("another-model") is None
    labels, vectors = loaded
    assert vectors.shape == (len(labels), 384) and {"3", "7", "16"} <= set(labels)
