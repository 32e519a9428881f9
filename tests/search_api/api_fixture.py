"""The API's fixture corpus: the search fixtures, the API's extra documents and a multi-page PDF made here."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from kb.models.embedders import HashingEmbedder
from kb.settings import Settings
from search_api.app import create_app
from tests.conftest import REPO
from tests.report_pdf import META, render_report

TODAY = dt.date(2026, 11, 24)
API_DOCS = REPO / "tests" / "fixtures" / "api"
SEARCH_DOCS = REPO / "tests" / "fixtures" / "docs"
LOCAL_URL = "http://localhost"  # a host the service accepts by default (Settings.trusted_hosts)
API_KEY = "chiave-di-prova-1234"



def write_corpus(folder: Path) -> Path:
    """All fixture documents in one folder (the PDF with its metadata sidecar)."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in (*SEARCH_DOCS.glob("*.md"), *API_DOCS.glob("*.md")):
        shutil.copy(source, folder / source.name)
    (folder / "relazione-valgrande.pdf").write_bytes(render_report())
    (folder / "relazione-valgrande.pdf.meta.yaml").write_text(yaml.safe_dump(META, allow_unicode=True),
                                                              encoding="utf-8")
    return folder


@contextmanager
def hashing_api(root: Path, key: str, **overrides: Any) -> Iterator[TestClient]:
    """A started app over a new Edge index in `root`, with the hashing embedder: for tests about plumbing (uploads,
    statuses, races), without OCR, enrichment or rate limits unless `overrides` asks."""
    options: dict[str, Any] = {"api_key": key, "ocr_enabled": False, "enrich_enabled": False,
                               "rate_limit_enabled": False, **overrides}
    settings = Settings(index_path=root / "index", files_path=root / "files", uploads_path=root / "uploads",
                        model="hashing-32", **options)
    with TestClient(create_app(settings, embedder=HashingEmbedder()), base_url=LOCAL_URL) as client:
        yield client

