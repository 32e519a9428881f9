"""Where the domain set lives and how its hand-made files are read, checked and written.

Qrels-format files (judgments.tsv, qrels/*.tsv) go through `evaluation.qrels`, like every other qrels file; this
module adds only what is particular to the domain set: JSONL rows without a fixed schema (pool.jsonl has no
`_id`), and the rules a judgment must follow.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from evaluation.qrels import Qrels, qrels_rows

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCES = REPO_ROOT / "corpus" / "_sources"
DATASET_DIR = REPO_ROOT / "evaluation" / "datasets" / "domain"
GRADES = (0, 1, 2)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_queries(path: Path = DATASET_DIR / "queries.jsonl") -> list[dict[str, Any]]:
    """The queries as written, `metadata.kind` included (the split is stratified by it)."""
    return read_jsonl(path)


def load_judgments(path: Path = DATASET_DIR / "judgments.tsv") -> Qrels:
    """All judged pairs (grade 0 included): query id -> document id -> grade.

    Stricter than a qrels file: grades must be 0, 1 or 2, and a pair judged twice must get the same grade, so a
    slip in the hand-made file is caught before it reaches the qrels.
    """
    judged: Qrels = {}
    for qid, doc_id, grade in qrels_rows(path):
        if grade not in GRADES:
            raise ValueError(f"{path}: grade {grade} for ({qid}, {doc_id}) is not 0, 1 or 2")
        previous = judged.setdefault(qid, {}).setdefault(doc_id, grade)
        if previous != grade:
            raise ValueError(f"{path}: ({qid}, {doc_id}) judged twice with different grades")
    return judged
