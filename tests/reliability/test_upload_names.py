"""Hostile file names through the upload path: the real API (`POST /documents`, its spool folder and worker,
which calls `IngestService.ingest_bytes`) and `ingest_bytes` itself with raw names. Nothing is written outside
the index, storage and spool folders; every id matches the API's pattern; what people see of a name is clean."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.service import IngestService
from kb.models.embedders import HashingEmbedder
from kb.storage.backends.edge import EdgeBackend
from tests.reliability.hostile_names import DISK_NAMES, UPLOAD_NAMES
from tests.search_api.api_fixture import hashing_api

KEY = "chiave-di-prova-affidabilita"
DOC_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
OUTSIDE = ["/tmp/kb-evil.md", "/tmp/kb-evil-direct.md", "/etc/cron.d/evil.md", "/etc/passwd.md"]


def _text(i: int) -> bytes:
    return f"# Scheda {i}\n\nIl comune ha approvato la delibera numero {1000 + i} sul verde pubblico.\n".encode()


def _all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def _inside(path: Path, folders: tuple[Path, ...]) -> bool:
    return any(path.resolve().is_relative_to(folder.resolve()) for folder in folders)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    with hashing_api(tmp_path, KEY) as client:
        yield client


def test_uploaded_names_never_leave_the_storage_folders(api: TestClient, tmp_path: Path) -> None:
    canary = tmp_path / "fuori"
    canary.mkdir()
    before = {p for p in OUTSIDE if Path(p).exists()}
    accepted: dict[str, str] = {}
    for i, name in enumerate(UPLOAD_NAMES):
        response = api.post("/documents", files={"file": (name, _text(i), "text/markdown")},
                            data={"doc_type": "progetto"}, headers={"X-API-Key": KEY})
        if Path(name).suffix.lower() in (".md", ".txt"):
            assert response.status_code == 202, (name, response.text)
            accepted[name] = response.json()["doc_id"]
        else:  # "..", "/": no name left, so no type
            assert response.status_code == 415, (name, response.text)
    assert api.app.state.services.worker.join(120)  # type: ignore[attr-defined]
    for name, doc_id in accepted.items():
        assert DOC_ID.match(doc_id), (name, doc_id)
        status = api.get(f"/documents/{doc_id}/status").json()
        assert status["status"] == "indicizzato", (name, status)
        shown = api.get(f"/documents/{doc_id}").json()
        for text in (shown["title"], status["filename"]):
            assert not [c for c in text if unicodedata.category(c) in ("Cc", "Cf")], (name, text)
    assert len(set(accepted.values())) == len(accepted)
    stored = _all_files(tmp_path)
    allowed = (tmp_path / "index", tmp_path / "files", tmp_path / "uploads")
    collections = {f"raccolte.sqlite3{suffix}" for suffix in ("", "-wal", "-shm")}  # beside the index, by design
    outside = sorted(str(p) for p in stored if not _inside(p, allowed) and not (
        p.parent == tmp_path and p.name in collections))
    assert not outside, outside
    originals = {p.name for p in (tmp_path / "files").iterdir()}
    assert originals == {f"{d}{Path(n).suffix.lower()}" for n, d in accepted.items()}
    assert not list(canary.iterdir()) and {p for p in OUTSIDE if Path(p).exists()} == before


def test_ingest_bytes_with_raw_hostile_paths_writes_only_into_files_path(tmp_path: Path) -> None:
    backend = EdgeBackend(tmp_path / "index", "hashing")
    backend.ensure_collection(32)
    service = IngestService(backend, HashingEmbedder(), files_path=tmp_path / "files", max_tokens=120,
                            overlap_tokens=20, ocr_enabled=False, enrich=False)
    names = [n for n in dict.fromkeys([*UPLOAD_NAMES, "../../../../tmp/kb-evil-direct.md", *DISK_NAMES])
             if Path(n).suffix and len(Path(n).name.encode()) <= 245]  # longer: see the test below
    before = {p for p in OUTSIDE if Path(p).exists()}
    ids = []
    for i, name in enumerate(names):
        outcome = service.ingest_bytes(Path(name), _text(100 + i), {"doc_type": "progetto"})
        assert outcome.status == "indexed", (name, outcome)
        assert outcome.doc_id and DOC_ID.match(outcome.doc_id), (name, outcome.doc_id)
        ids.append(outcome.doc_id)
    backend.close()
    assert len(set(ids)) == len(ids)
    allowed = (tmp_path / "index", tmp_path / "files")
    assert all(_inside(p, allowed) for p in _all_files(tmp_path))
    assert {p.stem for p in (tmp_path / "files").iterdir()} == set(ids)
    assert {p for p in OUTSIDE if Path(p).exists()} == before


def test_a_name_of_250_characters_is_indexed(tmp_path: Path) -> None:
    backend = EdgeBackend(tmp_path / "index", "hashing")
    backend.ensure_collection(32)
    service = IngestService(backend, HashingEmbedder(), max_tokens=120, overlap_tokens=20, ocr_enabled=False)
    path = tmp_path / ("a" * 246 + ".txt")
    path.write_bytes(_text(1))
    report = service.ingest_paths([path], defaults={"doc_type": "progetto"})
    backend.close()
    assert report.summary()["indexed"] == 1, report.outcomes
