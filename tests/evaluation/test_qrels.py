"""The one qrels reader and writer: BEIR TSV with a header, graded, stable bytes; judgments.tsv's extra rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.domain.files import load_judgments
from evaluation.qrels import QRELS_HEADER, read_qrels, write_qrels


def test_round_trip_is_sorted_and_keeps_grades_and_zeros(tmp_path: Path) -> None:
    qrels = {"q2": {"z": 1, "a": 1, "m": 2}, "q1": {"d": 0}}
    path = tmp_path / "sub" / "qrels.tsv"
    write_qrels(path, qrels)
    assert path.read_text(encoding="utf-8") == "query-id\tcorpus-id\tscore\nq1\td\t0\nq2\tm\t2\nq2\ta\t1\nq2\tz\t1\n"
    assert read_qrels(path) == qrels


def test_extra_columns_and_blank_lines_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "judgments.tsv"
    path.write_text("\t".join((*QRELS_HEADER, "source")) + "\nq1\ta\t2\tpool\n\nq1\tb\t1.0\tassessor\n")
    assert read_qrels(path) == {"q1": {"a": 2, "b": 1}}


def test_an_empty_file_has_no_qrels(tmp_path: Path) -> None:
    path = tmp_path / "empty.tsv"
    path.write_text("")
    assert read_qrels(path) == {}


@pytest.mark.parametrize(("text", "message"), [
    ("q1\ta\t1\n", "intestazione"),
    ("query-id\tcorpus-id\tscore\nq1\ta\n", "tre colonne"),
    ("query-id\tcorpus-id\tscore\nq1\ta\tmolto\n", "non numerico"),
])
def test_malformed_files_are_refused_with_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_qrels(path)


def test_judgments_keep_zeros_and_refuse_bad_or_conflicting_grades(tmp_path: Path) -> None:
    path = tmp_path / "judgments.tsv"
    header = "query-id\tcorpus-id\tscore\tsource\n"
    path.write_text(header + "q1\ta\t0\tpool\nq1\tb\t2\tpool\nq1\tb\t2\tassessor\n")
    assert load_judgments(path) == {"q1": {"a": 0, "b": 2}}
    path.write_text(header + "q1\ta\t3\tpool\n")
    with pytest.raises(ValueError, match="not 0, 1 or 2"):
        load_judgments(path)
    path.write_text(header + "q1\ta\t1\tpool\nq1\ta\t2\tassessor\n")
    with pytest.raises(ValueError, match="twice"):
        load_judgments(path)
