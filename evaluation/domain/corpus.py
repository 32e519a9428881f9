"""corpus.jsonl rebuilt from the Markdown sources, so the evaluated text is exactly what the sample corpus holds.

The document id is the file's slug, as the product gives it at ingestion, so runs and qrels meet without mapping.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from evaluation.domain.files import SOURCES
from ingest.metadata import split_front_matter

TYPE_FOLDERS = ("bandi", "buone_pratiche", "normativa", "progetti")


def source_files(sources: Path = SOURCES) -> list[Path]:
    """The Markdown sources of the four type folders (SCHEMA.md and formats.yaml are not documents)."""
    return sorted(p for folder in TYPE_FOLDERS for p in (sources / folder).glob("*.md") if p.is_file())


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):  # also datetime
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def corpus_record(path: Path) -> dict[str, Any]:
    """BEIR corpus line of one source: the id is the slug (file name without extension), as in the index."""
    front_matter, body = split_front_matter(path.read_bytes(), str(path))
    if not front_matter.get("title"):
        raise ValueError(f"{path}: front matter without a title")
    return {"_id": path.stem, "title": str(front_matter["title"]), "text": body.decode("utf-8").strip(),
            "metadata": _jsonable(front_matter)}


def build_corpus(sources: Path = SOURCES, *, italian_only: bool = True) -> list[dict[str, Any]]:
    """Every source (by default every Italian one) as a corpus line, sorted by id; two sources with one slug are an
    error, not an overwrite. The domain set is Italian: its questions were judged against the Italian documents
    only, so the English practices (added for cross-lingual search) stay out and its numbers stay comparable."""
    records = [r for r in map(corpus_record, source_files(sources))
               if not italian_only or r["metadata"].get("language", "it") == "it"]
    ids = [r["_id"] for r in records]
    if len(ids) != len(set(ids)):
        raise ValueError("two sources share a slug: " + ", ".join(sorted({i for i in ids if ids.count(i) > 1})))
    return sorted(records, key=lambda r: r["_id"])
