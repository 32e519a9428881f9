"""BEIR qrels files (`query-id corpus-id score`, tab-separated, one header line): the one reader and writer.

Every qrels file of the project goes through here: the data sets' `qrels/<split>.tsv`, the domain set's
`judgments.tsv` (the same three columns plus a `source` column, which the reader ignores) and the `qrels.tsv` an
evaluation keeps next to its runs. Grades are kept as written, zeros included: BEIR readers count a listed 0 as
"judged, not relevant", which is what a missing pair means too, so metrics do not change either way.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

QRELS_HEADER: tuple[str, str, str] = ("query-id", "corpus-id", "score")

# query id -> document id -> grade
Qrels = dict[str, dict[str, int]]


def qrels_rows(path: Path) -> Iterator[tuple[str, str, int]]:
    """(query id, document id, grade) per line, in file order; columns past the third are ignored.

    The first line must be a header (its third column not a number), so a header-less file is refused rather
    than its first pair silently read as the header.
    """
    with Path(path).open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh, delimiter="\t")
        header = next(rows, None)
        if header is None:
            return
        if len(header) < 3 or header[2].strip().lstrip("-").replace(".", "", 1).isdigit():
            raise ValueError(f"{path}: manca l'intestazione {', '.join(QRELS_HEADER)}")
        for number, row in enumerate(rows, 2):
            if not row or not "".join(row).strip():
                continue
            if len(row) < 3:
                raise ValueError(f"{path}:{number}: attese tre colonne, trovate {len(row)}")
            try:
                grade = int(float(row[2]))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: grado non numerico {row[2]!r}") from exc
            yield row[0].strip(), row[1].strip(), grade


def read_qrels(path: Path) -> Qrels:
    """query id -> document id -> grade (a pair listed twice keeps its last grade)."""
    qrels: Qrels = {}
    for qid, doc_id, grade in qrels_rows(path):
        qrels.setdefault(qid, {})[doc_id] = grade
    return qrels


def write_qrels(path: Path, qrels: Qrels) -> None:
    """Header, then query ids in sorted order, each query's documents by grade (best first), then id.

    Sorted so that the same judgments always give the same bytes: regenerated files diff cleanly.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("\t".join(QRELS_HEADER) + "\n")
        for qid in sorted(qrels):
            for doc_id, grade in sorted(qrels[qid].items(), key=lambda kv: (-kv[1], kv[0])):
                fh.write(f"{qid}\t{doc_id}\t{grade}\n")
