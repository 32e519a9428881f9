"""BEIR-layout data sets: corpus.jsonl, queries.jsonl and qrels/<split>.tsv, read once into plain dicts.

The harness evaluates the product on any data set in this layout (public ones such as SQuAD-it, and our own
domain set with graded judgments and dev/test/all splits), so this is the only place that knows the layout; the
qrels files themselves are read by `evaluation.qrels`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.qrels import Qrels, read_qrels

QRELS_DIR = "qrels"
# optional: the day the judgments hold for. Questions with status words ("bandi aperti") are answered against it,
# so a data set whose answers depend on the date measures the same thing whatever day it runs
REFERENCE_DATE_FILE = "reference_date.txt"


@dataclass(frozen=True)
class CorpusDoc:
    """One passage or document; `metadata` is the optional BEIR extension our domain set uses."""

    doc_id: str
    title: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class BeirDataset:
    """A data set restricted to one split: only the queries judged in that split are kept."""

    name: str
    path: Path
    split: str
    corpus: dict[str, CorpusDoc]
    queries: dict[str, str]
    qrels: Qrels
    reference_date: dt.date | None = None

    def limit_queries(self, max_queries: int | None) -> BeirDataset:
        """The first `max_queries` queries in file order (a quick, reproducible subset)."""
        if max_queries is None or max_queries >= len(self.queries):
            return self
        kept = list(self.queries)[:max_queries]
        return BeirDataset(self.name, self.path, self.split, self.corpus, {q: self.queries[q] for q in kept},
                           {q: self.qrels[q] for q in kept}, self.reference_date)


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: JSON non valido ({exc.msg})") from exc
            if not isinstance(row, dict) or "_id" not in row:
                raise ValueError(f"{path}:{number}: manca il campo _id")
            yield row


def available_splits(path: Path) -> list[str]:
    return sorted(p.stem for p in (Path(path) / QRELS_DIR).glob("*.tsv"))


def load_corpus(path: Path) -> dict[str, CorpusDoc]:
    corpus: dict[str, CorpusDoc] = {}
    for row in _jsonl(path):
        doc_id = str(row["_id"])
        if doc_id in corpus:
            raise ValueError(f"{path}: _id ripetuto {doc_id!r}")
        metadata = row.get("metadata") or {}
        corpus[doc_id] = CorpusDoc(doc_id, str(row.get("title") or ""), str(row.get("text") or ""),
                                   dict(metadata) if isinstance(metadata, dict) else {})
    return corpus


def load_queries(path: Path) -> dict[str, str]:
    return {str(row["_id"]): str(row.get("text") or "") for row in _jsonl(path)}


def load_beir(path: Path, split: str = "test") -> BeirDataset:
    """Load a data set folder; queries without a relevant document in the split are left out (BEIR practice)."""
    path = Path(path)
    qrels_file = path / QRELS_DIR / f"{split}.tsv"
    if not qrels_file.exists():
        raise FileNotFoundError(f"split {split!r} assente in {path}: disponibili {available_splits(path) or 'nessuno'}")
    corpus = load_corpus(path / "corpus.jsonl")
    all_queries = load_queries(path / "queries.jsonl")
    judged = {q: rels for q, rels in read_qrels(qrels_file).items() if any(g > 0 for g in rels.values())}
    missing = sorted(set(judged) - set(all_queries))
    if missing:
        raise ValueError(f"{qrels_file}: query senza testo in queries.jsonl: {missing[:5]}")
    spaced = [i for i in (*corpus, *judged) if not i or any(c.isspace() for c in i)]
    if spaced:  # TREC run files are whitespace-separated: such ids could not be written or read back
        raise ValueError(f"{path}: id vuoti o con spazi non ammessi: {spaced[:5]}")
    queries = {q: text for q, text in all_queries.items() if q in judged}  # file order, reproducible subsets
    return BeirDataset(path.resolve().name, path.resolve(), split, corpus, queries, {q: judged[q] for q in queries},
                       reference_date(path))


def reference_date(path: Path) -> dt.date | None:
    """The data set's reference day (`reference_date.txt`, ISO date), if it has one."""
    file = path / REFERENCE_DATE_FILE
    if not file.exists():
        return None
    try:
        return dt.date.fromisoformat(file.read_text(encoding="utf-8").strip())
    except ValueError as exc:
        raise ValueError(f"{file}: data non valida, atteso AAAA-MM-GG ({exc})") from exc
