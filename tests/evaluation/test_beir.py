"""BEIR loading: splits, graded qrels, queries restricted to the judged ones, ids usable in TREC files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evaluation.beir import available_splits, load_beir
from tests.conftest import REPO

MINI = REPO / "tests" / "fixtures" / "beir-mini"


def test_load_fixture() -> None:
    data = load_beir(MINI)
    assert (data.name, data.split, len(data.corpus)) == ("beir-mini", "test", 12)
    assert list(data.queries) == [f"q{i}" for i in range(1, 9)], "unjudged q9 left out, file order kept"
    assert data.qrels["q8"] == {"DM/CAM-Appalti": 2, "mense-bio": 1}
    assert data.corpus["CER:03"].metadata["comune"] == "Valfonda"
    assert available_splits(MINI) == ["test"]
    subset = data.limit_queries(3)
    assert list(subset.queries) == ["q1", "q2", "q3"] and set(subset.qrels) == {"q1", "q2", "q3"}


def test_missing_split_names_the_available_ones() -> None:
    with pytest.raises(FileNotFoundError, match="test"):
        load_beir(MINI, "dev")


def test_ids_with_spaces_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "set"
    shutil.copytree(MINI, copy)
    with (copy / "corpus.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"_id": "con spazio", "title": "t", "text": "x"}) + "\n")
    with pytest.raises(ValueError, match="spazi"):
        load_beir(copy)


def test_qrels_need_a_header(tmp_path: Path) -> None:
    copy = tmp_path / "set"
    shutil.copytree(MINI, copy)
    (copy / "qrels" / "test.tsv").write_text("q1\tilluminazione-led\t1\n")
    with pytest.raises(ValueError, match="intestazione"):
        load_beir(copy)


def test_reference_date_is_read_and_kept_by_subsets(tmp_path: Path) -> None:
    assert load_beir(MINI).reference_date is None
    copy = tmp_path / "set"
    shutil.copytree(MINI, copy)
    (copy / "reference_date.txt").write_text("2026-11-24\n")
    data = load_beir(copy)
    assert str(data.reference_date) == "2026-11-24" and str(data.limit_queries(2).reference_date) == "2026-11-24"
    (copy / "reference_date.txt").write_text("24/11/2026\n")
    with pytest.raises(ValueError, match="AAAA-MM-GG"):
        load_beir(copy)
    assert str(load_beir(REPO / "evaluation" / "datasets" / "domain", "dev").reference_date) == "2026-11-24"
