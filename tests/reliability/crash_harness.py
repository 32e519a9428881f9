"""Crash trials: SIGKILL an ingestion (at a random moment or right after its k-th index write), re-run it to the
end, and compare the index and the stored originals with those of a clean run.

Runs go through the fork server of `ingest_driver.py` (imports once, one child process per run). Indexes live on
/dev/shm when there is one: a process crash loses nothing the kernel already has, on tmpfs or disk alike, and
tmpfs skips the per-write fsyncs that make a run 8x slower on this machine's disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.storage.backends.edge import EdgeBackend

DRIVER = Path(__file__).with_name("ingest_driver.py")
VOLATILE = ("ingested_at",)  # payload fields that differ between two clean runs


@dataclass
class Trial:
    scenario: str
    kill: str  # "random" or "exact"
    delay: float | None = None  # seconds after the start (random kills)
    crash_after: int | None = None  # index writes before the kill (exact kills)
    killed: bool = False  # False: the run ended before the signal
    points_after_kill: int | None = None
    opened_after_kill: str = ""
    problems: list[str] = field(default_factory=list)


class ForkServer:
    """The driver's fork server, in its own session: closing it ends the server and any child left running."""

    def __init__(self, timeout: float = 120.0) -> None:
        env = {**os.environ, "HAYSTACK_TELEMETRY_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
        self.proc = subprocess.Popen([sys.executable, str(DRIVER), "serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, start_new_session=True)
        self.timeout, self._buffer = timeout, b""
        self._read()  # {"ready": true}

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        fd, deadline = self.proc.stdout.fileno(), time.monotonic() + self.timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError(f"no answer from the fork server in {self.timeout} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"the fork server stopped (exit {self.proc.poll()})")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return dict(json.loads(line))

    def start(self, job: dict[str, Any]) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(job).encode() + b"\n")
        self.proc.stdin.flush()
        return int(self._read()["pid"])

    def wait(self) -> int:
        return int(self._read()["status"])

    def run(self, job: dict[str, Any], kill_after: float | None = None) -> int:
        """Start a job; SIGKILL it after `kill_after` seconds if still running; its exit status (-9: killed)."""
        pid = self.start(job)
        if kill_after is not None:
            time.sleep(kill_after)
            with contextlib.suppress(ProcessLookupError):  # already ended and reaped
                os.kill(pid, signal.SIGKILL)
        return self.wait()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the server's own session: it and its children only
            self.proc.wait(30)


def scratch_root() -> Path:
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="kb-crash-", dir=base))


def snapshot(index: Path, files: Path) -> dict[str, Any]:
    """Everything a clean run determines: point ids, payloads (minus timestamps), dense vectors, stored files."""
    backend = EdgeBackend(index, "hashing")
    backend.ensure_collection(None)
    try:
        points, offset = {}, None
        while True:
            hits, offset = backend.scroll(None, limit=1000, offset=offset, with_dense=True)
            for hit in hits:
                payload = {k: v for k, v in hit.payload.items() if k not in VOLATILE}
                points[hit.id] = (payload, [round(x, 6) for x in hit.dense or []])
            if offset is None:
                break
    finally:
        backend.close()
    stored = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files.iterdir()} if files.exists() else {}
    return {"points": points, "files": stored}


def differences(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    problems = []
    versions: dict[str, set[str]] = {}
    for payload, _ in got["points"].values():
        versions.setdefault(payload["doc_id"], set()).add(payload["version"])
    problems += [f"{doc}: {len(v)} versions" for doc, v in sorted(versions.items()) if len(v) > 1]
    extra, missing = set(got["points"]) - set(want["points"]), set(want["points"]) - set(got["points"])
    if extra or missing:
        problems.append(f"points: {len(got['points'])} vs {len(want['points'])} ({len(extra)} extra: "
                        f"{_docs(got, extra)}; {len(missing)} missing: {_docs(want, missing)})")
    changed = [i for i in set(got["points"]) & set(want["points"]) if got["points"][i] != want["points"][i]]
    if changed:
        problems.append(f"{len(changed)} points differ in payload or vector: {_docs(got, set(changed))}")
    if got["files"] != want["files"]:
        names = sorted(set(got["files"]) ^ set(want["files"]) | {
            n for n in set(got["files"]) & set(want["files"]) if got["files"][n] != want["files"][n]})
        problems.append(f"stored originals differ: {names}")
    return problems


def _docs(snap: dict[str, Any], ids: set[str]) -> list[str]:
    return sorted({snap["points"][i][0]["doc_id"] for i in ids})


def opens(index: Path) -> str:
    """Whether another process can open the shard now: 'ok', 'no index yet', or the error."""
    if not index.exists():
        return "no index yet"
    backend = EdgeBackend(index, "hashing")
    try:
        backend.ensure_collection(None)
        count = backend.count()
        return f"ok ({count} points)"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    finally:
        backend.close()


def fresh_copy(template: Path | None, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    if template is not None:
        shutil.copytree(template, target)
