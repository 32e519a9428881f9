"""The `kb` command line: ingest with a summary, search --json with titles and pages, stats, delete, lock message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb.storage.backends.edge import EdgeBackend
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "docs"


def kb(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KB_INDEX_PATH": str(tmp_path / "index"), "KB_FILES_PATH": str(tmp_path / "files"),
           "HF_HUB_OFFLINE": "1", "HAYSTACK_TELEMETRY_ENABLED": "False"}
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=600)


@pytest.mark.slow
def test_ingest_search_stats_delete(tmp_path: Path) -> None:
    bad = tmp_path / "in" / "rotto.pdf"
    bad.parent.mkdir()
    bad.write_bytes(b"%PDF-1.4 troncato")
    result = kb(tmp_path, "ingest", str(FIXTURES), str(bad), "--doc-type", "progetto", "--json")
    assert result.returncode == 1, "a skipped file makes the exit status non-zero"
    report = json.loads(result.stdout)
    assert report["summary"] == {"indexed": 5, "unchanged": 0, "duplicate": 0, "skipped": 1}
    assert [f["code"] for f in report["files"] if f["status"] == "skipped"] == ["corrupt_file"]

    again = kb(tmp_path, "ingest", str(FIXTURES))
    assert again.returncode == 0 and "invariati: 5" in again.stdout

    found = kb(tmp_path, "search", "comunità energetica in un piccolo comune di montagna", "--json", "--limit", "3")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)["hits"]
    assert hits[0]["doc_id"] == "cer-montagna"
    assert hits[0]["title"] == "Comunità energetica rinnovabile a Valfonda"
    assert all("pages" in h and "title" in h for h in hits)

    filtered = json.loads(kb(tmp_path, "search", "energia", "--json", "--doc-type", "normativa").stdout)["hits"]
    assert [h["doc_type"] for h in filtered] == ["normativa"]

    stats = json.loads(kb(tmp_path, "stats", "--json").stdout)
    assert stats["documents"] == 5 and stats["documents_per_type"]["buona_pratica"] == 2

    assert kb(tmp_path, "delete", "cer-montagna").returncode == 0
    assert json.loads(kb(tmp_path, "stats", "--json").stdout)["documents"] == 4
    missing = kb(tmp_path, "delete", "cer-montagna")
    assert missing.returncode == 1 and "nessun documento" in missing.stderr


def test_held_index_gets_a_clear_message(tmp_path: Path) -> None:
    holder = EdgeBackend(tmp_path / "index", "m")
    holder.ensure_collection(8)
    try:
        result = kb(tmp_path, "stats")
    finally:
        holder.close()
    assert result.returncode == 3
    assert "già aperto da un altro processo" in result.stderr
    assert "WAL" not in result.stderr


def test_empty_index_says_what_to_do(tmp_path: Path) -> None:
    result = kb(tmp_path, "stats")
    assert result.returncode == 3 and "kb ingest" in result.stderr


def test_bad_search_mode_is_refused(tmp_path: Path) -> None:
    result = kb(tmp_path, "search", "ciao", "--mode", "magico")
    assert result.returncode == 2 and "parametri non validi" in result.stderr
