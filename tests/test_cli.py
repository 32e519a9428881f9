"""The `kb` command line: ingest with a summary, search --json with titles and pages, stats, delete, lock message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.service import IngestService
from kb.models.base import DEFAULT_MODEL, MINILM_MODEL
from kb.models.embedders import HashingEmbedder
from kb.storage.backends.edge import EdgeBackend
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "docs"


def kb(tmp_path: Path, *args: str, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KB_INDEX_PATH": str(tmp_path / "index"), "KB_FILES_PATH": str(tmp_path / "files"),
           "HF_HUB_OFFLINE": "1", "HAYSTACK_TELEMETRY_ENABLED": "False", **env_vars}
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
    holder = EdgeBackend(tmp_path / "index", DEFAULT_MODEL)
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


@pytest.mark.slow
def test_an_index_of_another_model_is_refused_then_reembedded(tmp_path: Path) -> None:
    """An index built with the previous default (MiniLM): refused with both names and the fix; `kb reembed` moves it
    to the configured model from its stored texts; searching works and nothing was lost."""
    assert kb(tmp_path, "reembed", "--if-needed").returncode == 0  # no index yet: nothing to do
    assert kb(tmp_path, "ingest", str(FIXTURES), KB_MODEL=MINILM_MODEL).returncode == 0
    refused = kb(tmp_path, "stats")
    assert refused.returncode == 3
    assert f"'{MINILM_MODEL}'" in refused.stderr and f"'{DEFAULT_MODEL}'" in refused.stderr
    assert "kb reembed" in refused.stderr
    done = kb(tmp_path, "reembed", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["source"] == MINILM_MODEL and report["target"] == DEFAULT_MODEL and report["chunks"] > 5
    stats = json.loads(kb(tmp_path, "stats", "--json").stdout)
    assert stats["model"] == DEFAULT_MODEL and stats["documents"] == 5
    found = kb(tmp_path, "search", "comunità energetica in montagna", "--mode", "semantic", "--json")
    assert json.loads(found.stdout)["hits"][0]["doc_id"] == "cer-montagna"
    assert "niente da ricalcolare" in kb(tmp_path, "reembed").stdout


def test_an_index_of_an_older_analyzer_is_refused_then_reembedded_without_the_model(tmp_path: Path) -> None:
    """An index whose record names no analyzer (built before versions were recorded): refused with the fix;
    `kb reembed --if-needed` (what `make index` runs) recomputes its sparse vectors only, so the model is not
    even loaded (the dense vectors here come from a stand-in of its size)."""
    backend = EdgeBackend(tmp_path / "index", DEFAULT_MODEL)
    backend.ensure_collection(384)
    service = IngestService(backend, HashingEmbedder(384), files_path=tmp_path / "files")
    assert service.ingest_paths([FIXTURES]).ok
    backend.save_model_record({"model": DEFAULT_MODEL, "dense_dim": 384})
    backend.close()
    refused = kb(tmp_path, "stats")
    assert refused.returncode == 3 and "analizzatore" in refused.stderr and "kb reembed" in refused.stderr
    done = kb(tmp_path, "reembed", "--if-needed", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["sparse"] and not report["dense"] and report["chunks"] > 5
    assert json.loads(kb(tmp_path, "stats", "--json").stdout)["documents"] == 5
