"""Runs an ingestion the way `kb ingest` does (open or create the Edge index, ingest, optimize, close), with the
fake `HashingEmbedder` so a run takes a fraction of a second, for crash tests that SIGKILL it.

    python tests/reliability/ingest_driver.py run JOB.json     one run in this process
    python tests/reliability/ingest_driver.py serve            a fork server (below)

Importing Haystack and torch costs ~3 s, more than a run, so `serve` imports once and forks a child per job: it
reads one JSON job per line on stdin, answers `{"pid": N}` as the child starts and `{"pid": N, "status": S}` when
it ends (S: exit code, or minus the signal number). Children are ordinary processes: the test SIGKILLs them by
pid. A job is {"index", "files", "paths", "group_size", "write_batch", "result", "crash_after"}: with
`crash_after` = k the child SIGKILLs itself right after its k-th index write (an exact crash point).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingest.service import IngestService  # noqa: E402
from kb.models.embedders import HashingEmbedder  # noqa: E402
from kb.storage.backends.edge import EdgeBackend  # noqa: E402

DIMENSION = 32


class CrashingEdgeBackend(EdgeBackend):
    """The real Edge backend; with `crash_after` it kills its own process after that many writes."""

    def __init__(self, path: Path, crash_after: int | None) -> None:
        super().__init__(path, "hashing")
        self.crash_after, self.writes = crash_after, 0

    def _wrote(self) -> None:
        self.writes += 1
        if self.crash_after is not None and self.writes >= self.crash_after:
            os.kill(os.getpid(), signal.SIGKILL)

    def upsert(self, points: Any) -> None:
        super().upsert(points)
        self._wrote()

    def delete_where(self, flt: Any) -> None:
        super().delete_where(flt)
        self._wrote()


def run(job: dict[str, Any]) -> dict[str, Any]:
    backend = CrashingEdgeBackend(Path(job["index"]), job.get("crash_after"))
    embedder = HashingEmbedder(DIMENSION)
    backend.ensure_collection(embedder.dimension)
    service = IngestService(backend, embedder, files_path=Path(job["files"]), max_tokens=120, overlap_tokens=20,
                            ocr_enabled=False, write_batch_size=int(job.get("write_batch", 256)),
                            group_size=int(job.get("group_size", 16)))
    report = service.ingest_paths([Path(p) for p in job["paths"]], defaults={"doc_type": "progetto"})
    backend.optimize()
    backend.close()
    result = {"summary": report.summary(), "writes": backend.writes,
              "outcomes": [{"source": o.source, "status": o.status, "code": o.code, "doc_id": o.doc_id}
                           for o in report.outcomes]}
    if job.get("result"):
        Path(job["result"]).write_text(json.dumps(result))
    return result


def serve() -> None:
    warm = HashingEmbedder(DIMENSION)  # build one pipeline so lazy imports and data files load before forking
    IngestService(EdgeBackend(Path("/nonexistent"), "hashing"), warm, ocr_enabled=False).warm_up()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                run(job)
            except BaseException as exc:  # report and exit: a child must never return into the loop
                print(f"job failed: {exc!r}", file=sys.stderr, flush=True)
                code = 1
            os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        print(json.dumps({"pid": pid, "status": code}), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve()
    elif sys.argv[1:2] == ["run"] and len(sys.argv) == 3:
        print(json.dumps(run(json.loads(Path(sys.argv[2]).read_text()))))
    else:
        sys.exit(__doc__)
