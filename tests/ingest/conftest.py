"""Ingestion fixtures: a service over a real Edge shard with the fake embedder (plumbing, not retrieval)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.service import IngestService
from kb.models.embedders import HashingEmbedder
from kb.storage.backends.edge import EdgeBackend

FRONT = """---
title: "{title}"
doc_type: buona_pratica
sdg: [7, 11]
themes: [energia-cer]
comune: Borgo Prova
provincia: Sondrio
regione: Lombardia
popolazione: 800
year: 2024
illustrativo: true
---
"""


def markdown(title: str = "CER a Borgo Prova", body: str = "") -> str:
    body = body or ("## Contesto\n\nIl comune di Borgo Prova ha costituito una comunità energetica rinnovabile con "
                    "l'impianto fotovoltaico sul municipio.\n\n## Risultati\n\nL'impianto produce 70.000 kWh "
                    "all'anno e le famiglie aderenti ricevono l'incentivo.\n")
    return FRONT.format(title=title) + f"# {title}\n\n" + body


@pytest.fixture
def service(tmp_path: Path) -> Iterator[IngestService]:
    backend = EdgeBackend(tmp_path / "index", "hashing")
    embedder = HashingEmbedder()
    backend.ensure_collection(embedder.dimension)
    svc = IngestService(backend, embedder, files_path=tmp_path / "files", max_tokens=120, overlap_tokens=20,
                        ocr_enabled=False)
    yield svc
    backend.close()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder
