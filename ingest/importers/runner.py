"""An import is ingestion of records instead of files: incremental by natural key, never deleting silently.

Each record becomes a Markdown text with declared metadata and an explicit id derived from its natural key, and goes
through `IngestService.ingest_records`: the same checks, analysis, embedding, enrichment and writer as a file. A
record whose text and metadata are unchanged is left as indexed (re-importing a release changes nothing; the
release date alone does not make a new version). Documents of the dataset that the release no longer lists are
reported as missing and removed only with `prune`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from qdrant_client import models

from ingest.importers.records import ImportSummary, Record, RowProblem
from ingest.service import IngestService, RecordInput

IMPORT_ROOT = Path("/import")  # records have no file: their stored text is named /import/<dataset>/<doc_id>.md


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def indexed_ids(backend: Any, dataset: str) -> set[str]:
    """Ids of the documents this dataset has in the index."""
    flt = models.Filter(must=[models.FieldCondition(key="dataset", match=models.MatchValue(value=dataset))])
    return {str(value) for value, _ in backend.facet("doc_id", flt, limit=10_000_000)}


def run_import(service: IngestService, dataset: str, source: Path, items: Iterable[Record | RowProblem], *,
               release: dt.date | None, prune: bool = False,
               progress: Callable[[Iterator[Record]], Iterator[Record]] | None = None) -> ImportSummary:
    started = time.monotonic()
    summary = ImportSummary(dataset, str(source), file_sha256(source), release)
    records: list[Record] = []
    listed: set[str] = set()
    for item in items:
        listed.add(item.doc_id or "")
        if isinstance(item, RowProblem):
            summary.problems.append({"line": item.line, "key": item.key, "code": "invalid_row",
                                     "message": item.message})
        else:
            records.append(item)
    before = indexed_ids(service.backend, dataset)
    inputs = (_as_input(record, dataset, release) for record in (progress or iter)(iter(records)))
    outcomes = service.ingest_records(inputs)
    for record, outcome in zip(records, outcomes, strict=True):
        if outcome.status == "unchanged":
            summary.unchanged.append(record.key)
        elif outcome.status == "indexed":
            (summary.changed if record.doc_id in before else summary.new).append(record.key)
            summary.chunks_written += outcome.chunks
        else:  # refused (invalid metadata, duplicate text of another record)
            summary.problems.append({"line": record.line, "key": record.key, "code": outcome.code,
                                     "message": outcome.message})
    summary.missing = sorted(before - listed)
    if prune:
        for doc_id in summary.missing:
            service.delete(doc_id)
        summary.pruned = list(summary.missing)
    summary.problems.sort(key=lambda p: p["line"])
    summary.seconds = time.monotonic() - started
    return summary


def _as_input(record: Record, dataset: str, release: dt.date | None) -> RecordInput:
    metadata = {k: v for k, v in record.metadata.items() if v is not None and v != []}
    metadata.update(doc_id=record.doc_id, dataset=dataset)
    if release is not None:
        metadata["fonte_rilascio"] = release
    return RecordInput(IMPORT_ROOT / dataset / f"{record.doc_id}.md", record.text.encode("utf-8"), metadata,
                       record.label)
