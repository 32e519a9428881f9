"""Any file name a client sends (issue 19, item 8): the shared sanitiser makes it one plain, short path component,
and `POST /similar` and `POST /documents` answer it with 2xx or an Italian 4xx, never a 500."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from ingest.prepare import spool_name
from tests.properties.budget import bounded
from tests.search_api.api_fixture import API_KEY
from tests.security.conftest import MakeClient

DOC_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")

PIECES = ["..", ".", "/", "\\", "x/..", "../", "~", "\x00", " ", "è", "ß", "日本", "\u202e", "\u200b", ".pdf", ".md",
          ".txt", ".PDF", "CON", "nul", "a" * 60, "é" * 95, "%2e%2e%2f", "\n"]
names = st.one_of(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join), st.text(max_size=300))


@bounded(300)
@given(names)
def test_any_name_becomes_one_short_plain_component(name: str) -> None:
    safe = spool_name(name)
    assert safe and safe not in (".", "..") and "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert len(safe.encode()) <= 255
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / safe
        target.write_bytes(b"x")
        assert target.resolve().parent == Path(tmp).resolve()


@bounded(40)
@given(names)
def test_similar_answers_any_file_name(client: TestClient, name: str) -> None:
    response = client.post("/similar", files={"file": (name, "Comunità energetica sul tetto della scuola.".encode(),
                                                      "text/plain")})
    assert response.status_code < 500, (name, response.text[:200])
    if response.status_code >= 400:
        assert response.json()["error"]["message"], name


@bounded(25)
@given(name=names, serial=st.integers(0, 10**6))
def test_uploads_answer_any_file_name(make_client: MakeClient, name: str, serial: int) -> None:
    """Accepted and queued, or refused for what the file is (no readable type: 415); never a 500 or a path."""
    client = _writer(make_client)
    response = client.post("/documents", files={"file": (name, f"# Nota {serial}\n\nOrto sociale.\n".encode())},
                           data={"doc_type": "buona_pratica"}, headers={"X-API-Key": API_KEY})
    assert response.status_code in (202, 409, 415, 422), (name, response.status_code, response.text[:200])
    if response.status_code == 202:
        assert DOC_ID.fullmatch(response.json()["doc_id"]), name
    else:
        assert response.json()["error"]["message"], name


_writers: dict[int, TestClient] = {}


def _writer(make_client: MakeClient) -> TestClient:
    """One writable app for all the examples of a run (make_client opens one per call)."""
    key = id(make_client)
    if key not in _writers:
        _writers.clear()
        _writers[key] = make_client()
    return _writers[key]
