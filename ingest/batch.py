"""Admitted files and records gathered into pipeline runs of `group_size`, so the encoder gets full batches across
small inputs; outcomes are reported in submission order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from ingest.prepare import PreparedFile

Outcome = TypeVar("Outcome")


@dataclass
class RecordInput:
    """One open-data record as ingestion takes it: a Markdown text, its metadata (with an explicit `doc_id`), the
    virtual file name it is stored under and a label for reports and citations ("PNRR_Progetti.csv, riga 12")."""

    path: Path
    data: bytes
    metadata: dict[str, Any]
    label: str


class Batch(Generic[Outcome]):
    """Items to index gathered into groups of `group_size` for `run_group`; outcomes kept in submission order."""

    def __init__(self, run_group: Callable[[list[tuple[PreparedFile, str]]], list[Outcome]],
                 finish: Callable[[], None], group_size: int) -> None:
        self.run_group, self.on_finish, self.group_size = run_group, finish, group_size
        self.outcomes: dict[int, Outcome] = {}
        self.group: list[tuple[int, PreparedFile, str]] = []

    def add(self, position: int, admitted: Outcome | tuple[PreparedFile, str]) -> None:
        """An outcome decided now (refused, unchanged, duplicate), or a (file, doc_id) to index."""
        if not isinstance(admitted, tuple):
            self.outcomes[position] = admitted
            return
        self.group.append((position, *admitted))
        if len(self.group) >= self.group_size:
            self._run()

    def _run(self) -> None:
        results = self.run_group([(item, doc_id) for _, item, doc_id in self.group])
        self.outcomes.update(zip([g[0] for g in self.group], results, strict=True))
        self.group = []

    def finish(self) -> list[Outcome]:
        if self.group:
            self._run()
        self.on_finish()
        return [self.outcomes[i] for i in sorted(self.outcomes)]
