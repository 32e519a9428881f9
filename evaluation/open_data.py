"""Data sets whose corpus is imported open data: indexed by `kb import`'s own readers and runner, not from Markdown.

A data set folder with an `imports.yaml` names the files `make index` imports (the kind of import, the file, the
locations file of the projects). The harness reads them with the importers' readers and indexes the records through
`ingest.importers.runner.run_import`, as `kb import` does, so the evaluated documents (text, metadata, ids) are the
ones a user of `make index` searches. `corpus.jsonl` is written from the same records, for what needs the text
without an index: the bm25s baseline, the failure report, the judges and the tests.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from evaluation.indexing import DocIdMap, IndexedCorpus
from ingest.importers.records import ImportSummary, Record, RowProblem
from ingest.importers.releases import KINDS, PROJECTS, Items, read_release

IMPORTS_FILE = "imports.yaml"
REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ImportSpec:
    """One `kb import <kind> <file> [--localizzazioni <locations>]`, paths relative to the repository root."""

    kind: str
    file: Path
    locations: Path | None = None


def load_import_specs(dataset_dir: Path) -> list[ImportSpec] | None:
    """The imports that make the data set's corpus, or None for a data set indexed from corpus.jsonl."""
    path = Path(dataset_dir) / IMPORTS_FILE
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    specs = []
    for entry in data.get("imports") or []:
        kind = entry.get("kind")
        if kind not in KINDS:
            raise ValueError(f"{path}: tipo di importazione {kind!r} non valido: scegliere tra {', '.join(KINDS)}")
        locations = entry.get("localizzazioni")
        if locations and kind != PROJECTS:
            raise ValueError(f"{path}: localizzazioni vale solo per {PROJECTS}")
        specs.append(ImportSpec(kind, REPO_ROOT / entry["file"], REPO_ROOT / locations if locations else None))
    if not specs:
        raise ValueError(f"{path}: nessuna importazione elencata")
    return specs


def read_import(spec: ImportSpec, settings: Any) -> tuple[Items, dt.date | None]:
    """The records of one import, read as `kb import` reads them (shipped SDG mapping, configured gazetteer)."""
    return read_release(spec.kind, spec.file, settings, locations=spec.locations)


def _records(items: Items, spec: ImportSpec) -> list[Record]:
    problems = [f"riga {p.line}: {p.message}" for p in items if isinstance(p, RowProblem)]
    if problems:  # a row the import would skip is a document the set silently lacks: fix the slice instead
        raise ValueError(f"{spec.file.name}: righe scartate dall'importazione: {'; '.join(problems[:5])}")
    return [r for r in items if isinstance(r, Record)]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def corpus_rows(specs: Sequence[ImportSpec], settings: Any) -> list[dict[str, Any]]:
    """corpus.jsonl lines of every imported record, sorted by id: `_id` is the product's doc id, `text` the indexed
    Markdown, `metadata` what the runner stores (the record's fields, `dataset`, `fonte_rilascio`)."""
    rows: dict[str, dict[str, Any]] = {}
    for spec in specs:
        items, release = read_import(spec, settings)
        for record in _records(items, spec):
            if record.doc_id in rows:
                raise ValueError(f"{record.doc_id}: due record con lo stesso id ({record.label})")
            metadata = {k: _jsonable(v) for k, v in record.metadata.items() if v is not None and v != []}
            metadata["dataset"] = spec.kind
            if release is not None:
                metadata["fonte_rilascio"] = release.isoformat()
            rows[record.doc_id] = {"_id": record.doc_id, "title": str(record.metadata.get("title") or ""),
                                   "text": record.text, "metadata": metadata}
    return [rows[k] for k in sorted(rows)]


@dataclass
class ImportReport:
    """What the imports of a data set did, with `IngestReport.summary()`'s keys (the evaluation manifest's)."""

    summaries: list[ImportSummary]

    def summary(self) -> dict[str, int]:
        return {"indexed": sum(len(s.new) + len(s.changed) for s in self.summaries),
                "unchanged": sum(len(s.unchanged) for s in self.summaries), "duplicate": 0,
                "skipped": sum(len(s.problems) for s in self.summaries)}


def _progress(kind: str, disable: bool) -> Callable[[Iterator[Record]], Iterator[Record]]:
    from tqdm import tqdm

    def wrap(records: Iterator[Record]) -> Iterator[Record]:
        return iter(tqdm(list(records), desc=f"Importazione {kind}", unit="record", file=sys.stderr,
                         disable=disable))

    return wrap


def index_imports(specs: Sequence[ImportSpec], embedder: Any, settings: Any, work_dir: Path,
                  expected: set[str] | None = None, quiet: bool = False) -> IndexedCorpus:
    """Run the imports into a new Edge index at `work_dir/index`, as `kb import` does (same service, same runner).

    `expected`: the ids corpus.jsonl lists; any difference with what was indexed is an error (a stale corpus.jsonl,
    or records the ingestion refused), so qrels never point at documents the index lacks. The caller owns the
    returned backend and closes it.
    """
    from ingest.importers.runner import indexed_ids, run_import
    from ingest.service import IngestService
    from kb.storage.backends.edge import EdgeBackend

    embedder.warm_up()
    backend = EdgeBackend(Path(work_dir) / "index", getattr(embedder, "name", settings.model))
    try:
        backend.ensure_collection(embedder.dimension)
        service = IngestService.from_settings(backend, embedder, settings, ocr_enabled=False)
        service.warm_up()
        start = time.perf_counter()
        summaries = []
        for spec in specs:
            items, release = read_import(spec, settings)
            summaries.append(run_import(service, spec.kind, spec.file, items, release=release,
                                        progress=_progress(spec.kind, quiet)))
        backend.optimize()
        seconds = time.perf_counter() - start
        indexed = set().union(*(indexed_ids(backend, spec.kind) for spec in specs))
        problems = [f"{s.dataset} riga {p['line']}: {p['code']} {p['message']}" for s in summaries for p in s.problems]
        if problems or (expected is not None and indexed != expected):
            missing, extra = sorted((expected or indexed) - indexed), sorted(indexed - (expected or indexed))
            raise ValueError(f"l'importazione non corrisponde a corpus.jsonl (rieseguire build-corpus): mancano "
                             f"{missing[:5]}, in più {extra[:5]}; problemi: {problems[:5]}")
    except BaseException:
        backend.close()
        raise
    return IndexedCorpus(backend, DocIdMap(sorted(indexed)), ImportReport(summaries), seconds)
