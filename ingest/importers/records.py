"""What an importer makes of a table: one `Record` per natural key, or a `RowProblem` naming the bad line."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from ingest.prepare import slugify


@dataclass
class Record:
    """One document to index: its natural key in the source, its id, a Markdown text and its metadata."""

    key: str  # the source's identity: a CUP, or a call's title + issuer + opening date
    doc_id: str
    text: str  # Markdown, first line "# title"
    metadata: dict[str, Any]
    line: int  # first line (or position) of the record in the source file
    source_name: str

    @property
    def label(self) -> str:
        return f"{self.source_name}, riga {self.line} ({self.key})"


@dataclass
class RowProblem:
    line: int
    message: str
    key: str | None = None
    doc_id: str | None = None  # when the row's identity is known: its document is still listed by the release


@dataclass
class ImportSummary:
    """What an import did, per natural key: new / changed / unchanged / missing from the release (pruned or kept),
    and the rows it could not take, with their line numbers."""

    dataset: str
    source: str
    sha256: str
    release: dt.date | None
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # indexed before, not in this release (kept unless --prune)
    pruned: list[str] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)  # {line, key, code, message}
    chunks_written: int = 0
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {"nuovi": len(self.new), "modificati": len(self.changed), "invariati": len(self.unchanged),
                "assenti_dal_rilascio": len(self.missing), "rimossi": len(self.pruned),
                "righe_scartate": len(self.problems)}

    def as_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "source": self.source, "sha256": self.sha256,
                "release": self.release.isoformat() if self.release else None, "summary": self.counts(),
                "chunks_written": self.chunks_written, "seconds": round(self.seconds, 1),
                "new": self.new, "changed": self.changed, "missing": self.missing, "pruned": self.pruned,
                "problems": self.problems}


def keyed_id(prefix: str, name: str, key: str) -> str:
    """A readable, stable id for a record without a short code: slug of its name + 8 hex digits of its key."""
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]
    return f"{prefix}-{slugify(name)[:80].strip('-')}-{digest}"


def euro(amount: float | None) -> str | None:
    """1234567.8 -> "1.234.568 €" (whole euros, Italian grouping)."""
    if amount is None:
        return None
    return f"{amount:,.0f}".replace(",", ".") + " €"


def markdown(title: str, paragraphs: list[str], facts: list[tuple[str, str | None]]) -> str:
    """The record as a short Markdown document: title, the source's prose, then a list of labelled facts."""
    lines = [f"# {title}", ""]
    lines += [p.rstrip(".") + "." for p in paragraphs if p]
    listed = [f"- {label}: {value}" for label, value in facts if value]
    if listed:
        lines += ["", *listed]
    return "\n".join(lines).strip() + "\n"
