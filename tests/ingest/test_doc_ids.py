"""One document-id policy (`ingest/doc_ids.py`) for files ingested from disk and for uploads through the API."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from qdrant_client import models

from ingest.doc_ids import DocIdTaken, candidate_ids, document_id, named_after
from ingest.service import IngestService
from kb.models.embedders import HashingEmbedder
from kb.settings import Settings
from search_api.app import create_app
from tests.ingest.conftest import markdown
from tests.search_api.api_fixture import LOCAL_URL

KEY = "chiave-di-prova-id"
FIRST = markdown("Primo", "## S\n\nIl comune di Borgo Prova ha piantato cento alberi nel parco.\n").encode()
SECOND = markdown("Secondo", "## S\n\nIl comune di Valfonda ha rifatto l'illuminazione pubblica a LED.\n").encode()
THIRD = markdown("Terzo", "## S\n\nLa scuola media ha un nuovo impianto fotovoltaico sul tetto.\n").encode()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _doc_ids(service: IngestService) -> dict[str, str]:
    """doc_id -> title of every document in the index."""
    return {h.payload["doc_id"]: h.payload["title"] for h in service.backend.scroll(None, 1000)[0]}


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- the policy alone --------------------------------------------------------------------------------------------
def test_explicit_id_wins_then_the_slug_then_slug_plus_content_hash() -> None:
    digest = _sha(b"x")
    assert document_id("Delibera CER 2024.pdf", digest, is_free=lambda _: False, explicit="mio-id") == "mio-id"
    assert document_id("Delibera CER 2024.pdf", digest, is_free=lambda _: True) == "delibera-cer-2024"
    taken = {"delibera-cer-2024"}
    assert document_id("Delibera CER 2024.pdf", digest, is_free=lambda c: c not in taken) == \
        f"delibera-cer-2024-{digest[:6]}"
    taken.add(f"delibera-cer-2024-{digest[:6]}")
    assert document_id("Delibera CER 2024.pdf", digest, is_free=lambda c: c not in taken) == \
        f"delibera-cer-2024-{digest[:12]}"
    taken.update(candidate_ids("Delibera CER 2024.pdf", digest))
    with pytest.raises(DocIdTaken, match="indicare un doc_id"):
        document_id("Delibera CER 2024.pdf", digest, is_free=lambda c: c not in taken)


def test_the_id_a_source_already_holds_wins_over_a_new_suffix_only_when_the_slug_is_taken() -> None:
    asked: list[str] = []

    def kept(base: str) -> str:
        asked.append(base)
        return f"{base}-0a1b2c"

    assert document_id("scheda.md", _sha(b"y"), is_free=lambda _: True, kept=kept) == "scheda"
    assert not asked, "no lookup without a collision"
    assert document_id("scheda.md", _sha(b"y"), is_free=lambda c: c != "scheda", kept=kept) == "scheda-0a1b2c"
    assert asked == ["scheda"]


def test_every_candidate_fits_the_id_pattern_and_is_named_after_its_slug() -> None:
    digest = _sha(b"z")
    candidates = candidate_ids("x" * 300 + ".pdf", digest)
    assert all(len(c) <= 128 for c in candidates)
    assert all(named_after("x" * 100, c) for c in candidates)
    assert named_after("scheda", "scheda-3fa9c1")  # the former rule's suffix (a hash of the path) too
    assert not named_after("scheda", "scheda-bis") and not named_after("scheda", "scheda-3fa9")
    assert not named_after("scheda", "altra-3fa9c1") and not named_after("scheda", "schedario")


# -- the two callers ---------------------------------------------------------------------------------------------
@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    root = tmp_path / "api"
    settings = Settings(index_path=root / "index", files_path=root / "files",
                        uploads_path=root / "uploads", api_key=KEY, model="hashing-32", ocr_enabled=False,
                        enrich_enabled=False, rate_limit_enabled=False)
    with TestClient(create_app(settings, embedder=HashingEmbedder()), base_url=LOCAL_URL) as client:
        yield client


def _upload(api: TestClient, name: str, data: bytes) -> dict[str, Any]:
    response = api.post("/documents", files={"file": (name, data, "text/markdown")}, headers={"X-API-Key": KEY})
    assert response.status_code == 202, response.text
    assert api.app.state.services.worker.join(120)  # type: ignore[attr-defined]
    status: dict[str, Any] = api.get(f"/documents/{response.json()['doc_id']}/status").json()
    return status


def test_cli_and_api_derive_the_same_ids_for_the_same_name_and_collision(service: IngestService, docs: Path,
                                                                        api: TestClient) -> None:
    cli = [service.ingest_paths([_write(docs / folder / "scheda.md", data)]).outcomes[0]
           for folder, data in (("a", FIRST), ("b", SECOND))]
    uploaded = [_upload(api, "scheda.md", data) for data in (FIRST, SECOND)]
    expected = ["scheda", f"scheda-{_sha(SECOND)[:6]}"]
    assert [o.doc_id for o in cli] == expected and [o.status for o in cli] == ["indexed", "indexed"]
    assert [s["doc_id"] for s in uploaded] == expected and {s["status"] for s in uploaded} == {"indicizzato"}
    api_service = api.app.state.services.ingest  # type: ignore[attr-defined]
    assert _doc_ids(service) == _doc_ids(api_service) == {"scheda": "Primo", expected[1]: "Secondo"}
    assert api.get("/documents/scheda").json()["title"] == "Primo", "the first document was not overwritten"


def test_the_same_bytes_under_a_taken_name_are_a_duplicate_on_both_paths(service: IngestService, docs: Path,
                                                                         api: TestClient) -> None:
    service.ingest_paths([_write(docs / "a" / "scheda.md", FIRST)])
    again = service.ingest_paths([_write(docs / "b" / "scheda.md", FIRST)]).outcomes[0]
    assert (again.status, again.doc_id) == ("duplicate", "scheda")
    first = _upload(api, "scheda.md", FIRST)
    repeats = [_upload(api, "scheda.md", FIRST) for _ in range(2)]
    assert first["doc_id"] == "scheda"
    assert [r["doc_id"] for r in repeats] == [f"scheda-{_sha(FIRST)[:6]}"] * 2, "one id, however often re-sent"
    assert {r["status"] for r in repeats} == {"duplicato"} and all("'scheda'" in r["message"] for r in repeats)
    api_service = api.app.state.services.ingest  # type: ignore[attr-defined]
    assert set(_doc_ids(service)) == set(_doc_ids(api_service)) == {"scheda"}


def test_a_file_with_a_suffixed_id_keeps_it_when_it_changes(service: IngestService, docs: Path) -> None:
    service.ingest_paths([_write(docs / "a" / "scheda.md", FIRST)])
    path = _write(docs / "b" / "scheda.md", SECOND)
    doc_id = service.ingest_paths([path]).outcomes[0].doc_id
    assert doc_id == f"scheda-{_sha(SECOND)[:6]}"
    path.write_bytes(THIRD)
    changed = service.ingest_paths([path]).outcomes[0]
    assert (changed.status, changed.doc_id) == ("indexed", doc_id), "updated in place, not a second document"
    assert _doc_ids(service) == {"scheda": "Primo", doc_id: "Terzo"}
    assert service.files_path is not None and (service.files_path / f"{doc_id}.md").read_bytes() == THIRD
    unchanged = service.ingest_paths([path]).outcomes[0]
    assert (unchanged.status, unchanged.doc_id) == ("unchanged", doc_id)


def test_an_id_given_by_the_former_rule_stays_with_its_file(service: IngestService, docs: Path) -> None:
    service.ingest_paths([_write(docs / "a" / "scheda.md", FIRST)])
    path = _write(docs / "b" / "scheda.md", SECOND)
    former = f"scheda-{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:6]}"  # slug + hash of the path
    service.ingest_paths([path], overrides={"doc_id": former})  # how an index built by the former rule holds it
    path.write_bytes(THIRD)
    changed = service.ingest_paths([path]).outcomes[0]
    assert (changed.status, changed.doc_id) == ("indexed", former)
    assert _doc_ids(service) == {"scheda": "Primo", former: "Terzo"}


def test_a_document_of_the_same_path_under_an_explicit_id_is_not_taken_for_its_name(service: IngestService,
                                                                                     docs: Path) -> None:
    service.ingest_paths([_write(docs / "a" / "scheda.md", FIRST)])
    path = _write(docs / "b" / "scheda.md", SECOND)
    service.ingest_paths([path], overrides={"doc_id": "scelto-a-mano"})
    path.write_bytes(THIRD)
    outcome = service.ingest_paths([path]).outcomes[0]
    assert outcome.doc_id == f"scheda-{_sha(THIRD)[:6]}"
    flt = models.Filter(must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value="scelto-a-mano"))])
    assert service.backend.count(flt), "the explicitly named document is left alone"
