"""Submitted documents are ingested inside the server process (Qdrant Edge admits one process per index).

An upload is first written to a spool folder (file + its metadata), then a single worker thread runs it through
the ingestion service. The spool survives a restart: what was queued and not finished is queued again at start-up.
Each document's last status is kept in a small JSON file, so `GET /documents/{id}/status` answers after a restart.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

logger = logging.getLogger("kb.uploads")


class JobState(StrEnum):
    in_coda = "in_coda"
    in_elaborazione = "in_elaborazione"
    indicizzato = "indicizzato"
    invariato = "invariato"
    duplicato = "duplicato"
    scartato = "scartato"


FINAL_BY_OUTCOME = {"indexed": JobState.indicizzato, "unchanged": JobState.invariato,
                    "duplicate": JobState.duplicato, "skipped": JobState.scartato}


@dataclass
class JobStatus:
    doc_id: str
    status: JobState
    filename: str
    submitted_at: str
    finished_at: str | None = None
    chunks: int = 0
    code: str | None = None
    message: str | None = None
    warnings: list[str] | None = None
    kept_version: str | None = None  # scartato: the date of the version that stays indexed (None: nothing stays)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class IngestWorker:
    """One background thread, one file at a time; `ingest` is `IngestService.ingest_bytes`."""

    def __init__(self, ingest: Callable[..., Any], root: Path, on_finish: Callable[[JobStatus], None] | None = None):
        self._ingest, self._on_finish = ingest, on_finish
        self.queue_dir, self.status_dir = root / "queue", root / "status"
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._active: set[str] = set()
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> None:
        self.queue_dir.mkdir(parents=True, exist_ok=True)
        self.status_dir.mkdir(parents=True, exist_ok=True)
        while not self._queue.empty():  # the spool folder is the truth: rebuild the queue from it
            self._queue.get_nowait()
        for job_dir in sorted(self.queue_dir.iterdir(), key=lambda p: p.stat().st_mtime):
            job_file = job_dir / "job.json"
            if not job_file.exists():  # interrupted while being written: nothing was acknowledged
                shutil.rmtree(job_dir, ignore_errors=True)
                continue
            doc_id = json.loads(job_file.read_text())["doc_id"]
            self._active.add(doc_id)
            self._queue.put(job_dir.name)
            logger.info("requeued upload %s after restart", doc_id)
        self._thread = threading.Thread(target=self._loop, name="kb-ingest", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def join(self, timeout: float = 60.0) -> bool:
        """Wait until the queue is empty (tests, shutdown); True if it emptied in time."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._active, timeout)

    # -- API side --------------------------------------------------------------------------------------------
    def is_pending(self, doc_id: str) -> bool:
        with self._lock:
            return doc_id in self._active

    def pending(self) -> int:
        with self._lock:
            return len(self._active)

    def submit(self, doc_id: str, filename: str, data: bytes, overrides: dict[str, Any]) -> JobStatus:
        job_dir = self.queue_dir / uuid.uuid4().hex
        job_dir.mkdir(parents=True)
        (job_dir / filename).write_bytes(data)
        status = JobStatus(doc_id, JobState.in_coda, filename, _now())
        job = {"doc_id": doc_id, "filename": filename, "overrides": overrides, "submitted_at": status.submitted_at}
        tmp = job_dir / "job.json.tmp"
        tmp.write_text(json.dumps(job, ensure_ascii=False))
        tmp.replace(job_dir / "job.json")  # the job exists only once fully written
        with self._lock:
            self._active.add(doc_id)
        self._save(status)
        self._queue.put(job_dir.name)
        return status

    def status(self, doc_id: str) -> JobStatus | None:
        try:  # read once, no exists() first: a DELETE may remove it in between
            data = json.loads((self.status_dir / f"{doc_id}.json").read_text())
        except FileNotFoundError:
            return None
        data["status"] = JobState(data["status"])
        return JobStatus(**data)

    def forget(self, doc_id: str) -> None:
        (self.status_dir / f"{doc_id}.json").unlink(missing_ok=True)

    # -- worker side -----------------------------------------------------------------------------------------
    def _save(self, status: JobStatus) -> None:
        path = self.status_dir / f"{status.doc_id}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(status), ensure_ascii=False))
        tmp.replace(path)

    def _loop(self) -> None:
        while True:
            name = self._queue.get()
            if name is None:
                return
            if not (self.queue_dir / name / "job.json").exists():
                continue
            try:
                self._process(self.queue_dir / name)
            except Exception:  # the worker must survive anything a file does
                logger.exception("upload %s failed", name)

    def _process(self, job_dir: Path) -> None:
        job = json.loads((job_dir / "job.json").read_text())
        doc_id, filename = job["doc_id"], job["filename"]
        status = JobStatus(doc_id, JobState.in_elaborazione, filename, job["submitted_at"])
        self._save(status)
        path = job_dir / filename
        try:
            outcome = self._ingest(path, path.read_bytes(), {**job["overrides"], "doc_id": doc_id})
            status.status = FINAL_BY_OUTCOME.get(outcome.status, JobState.scartato)
            status.chunks, status.code, status.message = outcome.chunks, outcome.code, outcome.message
            status.warnings, status.kept_version = outcome.warnings or None, outcome.kept_version
        except Exception as exc:
            logger.exception("ingestion of upload %s failed", doc_id)
            status.status, status.code = JobState.scartato, "processing_error"
            status.message = f"errore durante l'elaborazione ({type(exc).__name__})"
        status.finished_at = _now()
        self._save(status)
        shutil.rmtree(job_dir, ignore_errors=True)
        with self._idle:
            self._active.discard(doc_id)
            self._idle.notify_all()
        logger.info("upload %s: %s", doc_id, status.status.value)
        if self._on_finish is not None:
            self._on_finish(status)
