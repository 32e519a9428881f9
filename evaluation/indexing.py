"""Index a BEIR corpus with the product's own ingestion, into a fresh temporary Qdrant Edge index.

Each passage becomes a Markdown file with YAML front matter and goes through `IngestService.ingest_paths`, so
what is measured is exactly what users get: same chunker, analyzer, embedder and payload. BEIR ids that are not
valid product doc ids are mapped to valid ones reversibly (`DocIdMap`), and the runs are written in BEIR ids.
"""

from __future__ import annotations

import hashlib
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from evaluation.beir import BeirDataset, CorpusDoc
from ingest.service import IngestService
from kb.storage.backends.edge import EdgeBackend
from kb.storage.schema import DocumentMetadata

DOC_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
TITLE_MAX = 300
# Front matter keys the harness sets itself; everything else in `metadata` passes through if the schema has it.
OWN_KEYS = {"doc_id", "title"}
SCHEMA_KEYS = set(DocumentMetadata.model_fields) - OWN_KEYS


class DocIdMap:
    """BEIR `_id` <-> product `doc_id`. Valid ids are kept; others become `<slug>-<hash>` (unique, reversible)."""

    def __init__(self, beir_ids: Iterable[str]) -> None:
        self.to_doc: dict[str, str] = {}
        self.to_beir: dict[str, str] = {}
        ids = list(beir_ids)
        for beir_id in ids:  # valid ids first, so a mapped id can never take a valid one's place
            if DOC_ID_RE.match(beir_id):
                self._add(beir_id, beir_id)
        for beir_id in ids:
            if not DOC_ID_RE.match(beir_id):
                self._add(beir_id, mapped_doc_id(beir_id))

    def _add(self, beir_id: str, doc_id: str) -> None:
        if doc_id in self.to_beir:
            raise ValueError(f"id {beir_id!r} e {self.to_beir[doc_id]!r} finiscono sullo stesso doc_id {doc_id!r}")
        self.to_doc[beir_id], self.to_beir[doc_id] = doc_id, beir_id

    @property
    def changed(self) -> int:
        return sum(1 for b, d in self.to_doc.items() if b != d)


def mapped_doc_id(beir_id: str) -> str:
    """A valid doc id for an invalid BEIR id: readable slug plus a hash of the original (so no collisions)."""
    digest = hashlib.sha1(beir_id.encode("utf-8")).hexdigest()[:10]
    ascii_id = unicodedata.normalize("NFKD", beir_id).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9._-]+", "-", ascii_id).strip("-._")[:100]
    return f"{slug}-{digest}" if slug else f"doc-{digest}"


def front_matter(doc: CorpusDoc, doc_id: str) -> dict[str, Any]:
    """Schema fields of the BEIR metadata, plus the doc id and the title (one line, within the schema's limit)."""
    meta: dict[str, Any] = {k: v for k, v in doc.metadata.items() if k in SCHEMA_KEYS and v is not None}
    meta["doc_id"] = doc_id
    title = " ".join(doc.title.split())[:TITLE_MAX] or " ".join(str(doc.metadata.get("title") or "").split())
    if title:
        meta["title"] = title[:TITLE_MAX]
    return meta


def markdown_file(doc: CorpusDoc, doc_id: str) -> str:
    header = yaml.safe_dump(front_matter(doc, doc_id), allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{header}---\n\n{doc.text.strip()}\n"


def write_corpus(dataset: BeirDataset, folder: Path, ids: DocIdMap) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for beir_id, doc in dataset.corpus.items():
        doc_id = ids.to_doc[beir_id]
        (folder / f"{doc_id}.md").write_text(markdown_file(doc, doc_id), encoding="utf-8")
    return len(dataset.corpus)


class Summarised(Protocol):
    """What indexing did, counted by outcome: an `IngestReport`, or the imports' (`evaluation.open_data`)."""

    def summary(self) -> dict[str, int]: ...


@dataclass
class IndexedCorpus:
    backend: EdgeBackend
    ids: DocIdMap
    report: Summarised
    seconds: float


def _progress(disable: bool) -> Callable[[Iterator[Path]], Iterator[Path]]:
    from tqdm import tqdm

    def wrap(files: Iterator[Path]) -> Iterator[Path]:
        return iter(tqdm(list(files), desc="Indicizzazione", unit="doc", file=sys.stderr, disable=disable))

    return wrap


def index_corpus(dataset: BeirDataset, embedder: Any, settings: Any, work_dir: Path, doc_type: str,
                 quiet: bool = False) -> IndexedCorpus:
    """Write the corpus as Markdown under `work_dir/docs` and ingest it into a new Edge index at `work_dir/index`.

    `doc_type` is the default for passages whose metadata has none (public BEIR sets have no metadata at all).
    The caller owns the returned backend and closes it.
    """
    ids = DocIdMap(dataset.corpus)
    docs = work_dir / "docs"
    write_corpus(dataset, docs, ids)
    embedder.warm_up()
    backend = EdgeBackend(work_dir / "index", getattr(embedder, "name", settings.model))
    backend.ensure_collection(embedder.dimension)
    service = IngestService.from_settings(backend, embedder, settings, ocr_enabled=False)
    service.warm_up()
    start = time.perf_counter()
    report = service.ingest_paths([docs], defaults={"doc_type": doc_type}, progress=_progress(quiet))
    backend.optimize()
    seconds = time.perf_counter() - start
    for outcome in report.outcomes:
        if outcome.status != "indexed":
            print(f"avviso: {outcome.source}: {outcome.status} {outcome.code or ''} {outcome.message or ''}",
                  file=sys.stderr)
    return IndexedCorpus(backend, ids, report, seconds)
