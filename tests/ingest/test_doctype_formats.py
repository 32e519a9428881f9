"""A plain folder of unlabelled PDF, DOCX and HTML files, ingested with the real model as `kb ingest documenti/`
does: every file is typed, with the type it is, or refused with its reason."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

from ingest.service import IngestService
from kb.models.base import DenseEmbedder
from kb.storage.backends.edge import EdgeBackend
from tests.conftest import REPO
from tests.doctype_texts import OUTSIDE, TYPED

sys.path.insert(0, str(REPO / "corpus"))
_md = importlib.import_module("_render_markdown")
_pdf = importlib.import_module("_render_pdf")
_office = importlib.import_module("_render_office")
_html = importlib.import_module("_render_html")

pytestmark = pytest.mark.slow
RENDER = {"pdf": _pdf.render_pdf, "docx": _office.render_docx, "html": _html.render_html}
FORMATS = {"bando": "pdf", "normativa": "docx", "progetto": "html", "buona_pratica": "pdf"}


def _render(text: str, kind: str) -> bytes:
    title = text.splitlines()[0].lstrip("# ")
    return bytes(RENDER[kind](_md.parse_markdown(text), {"title": title, "language": "it"}))


def test_a_folder_of_unlabelled_files_is_typed_or_refused(tmp_path: Path, real_embedder: DenseEmbedder) -> None:
    folder = tmp_path / "documenti"
    folder.mkdir()
    for doc_type, kind in FORMATS.items():
        (folder / f"documento-{doc_type.replace('_', '-')}.{kind}").write_bytes(_render(TYPED[doc_type], kind))
    (folder / "menu.docx").write_bytes(_render(OUTSIDE["menu"], "docx"))
    (folder / "ricetta.pdf").write_bytes(_render(OUTSIDE["ricetta"], "pdf"))
    backend = EdgeBackend(tmp_path / "index", real_embedder.name)
    backend.ensure_collection(real_embedder.dimension)
    try:
        report = IngestService(backend, real_embedder, ocr_enabled=False).ingest_paths([folder])
        assigned: dict[str, Any] = {}
        for hit in backend.scroll(None, 1000)[0]:
            assigned[hit.payload["doc_id"]] = (hit.payload["doc_type"], hit.payload["provenance"]["doc_type"])
    finally:
        backend.close()
    assert report.summary() == {"indexed": 4, "unchanged": 0, "duplicate": 0, "skipped": 2}, report.outcomes
    for doc_type in FORMATS:
        found, origin = assigned[f"documento-{doc_type.replace('_', '-')}"]
        assert found == doc_type and origin["origine"] == "estratto" and origin["affidabilita"] >= 0.5
        assert origin["fonte"].startswith("inferito dal contenuto e dagli indizi del testo: «"), "centroids counted"
    refused = {Path(o.source).name: o for o in report.by_status("skipped")}
    assert set(refused) == {"menu.docx", "ricetta.pdf"}
    for name, outcome in refused.items():
        assert outcome.code == "doc_type_unknown" and f"{name}.meta.yaml" in (outcome.message or "")
        assert "non riconoscibile" in (outcome.message or "") and "--doc-type" in (outcome.message or "")
