"""Reads racing writes: `GET /documents/{id}/file` and `/status` while the same document is replaced and deleted.
A reader gets one whole version of the file (its bytes match its Content-Length) or an Italian 404, never a 500 or
a cut body."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.search_api.api_fixture import hashing_api

KEY = "chiave-di-prova-affidabilita"
DOC = "delibera-verde"


def _version(i: int) -> bytes:
    """Versions of different lengths, so a body mixing two or cut short cannot pass for one."""
    return (f"# Delibera sul verde, versione {i}\n\n" + "Il comune cura il verde pubblico. " * (20 + 37 * i)).encode()


VERSIONS = {_version(i) for i in range(4)}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    with hashing_api(tmp_path, KEY) as client:
        yield client


def _upload(api: TestClient, version: int) -> None:
    response = api.post("/documents", files={"file": ("delibera.md", _version(version), "text/markdown")},
                        data={"doc_type": "progetto", "metadata": f'{{"doc_id": "{DOC}"}}'},
                        headers={"X-API-Key": KEY})
    assert response.status_code in (202, 409), response.text  # 409: the previous one is still queued


def _wait(api: TestClient) -> None:
    assert api.app.state.services.worker.join(30)  # type: ignore[attr-defined]


def _check_read(response: Any) -> None:
    if response.status_code == 404:
        assert response.json()["error"]["code"] == "non_trovato"
        return
    assert response.status_code == 200, response.text[:300]
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.content in VERSIONS


def _during_the_name_lookup(api: TestClient, monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> None:
    """Run `action` once, inside the file route, after it found the file: the route looks up the display name
    then (one scroll of the index), so the document changes between finding the file and sending it."""
    backend = api.app.state.services.backend  # type: ignore[attr-defined]
    real_scroll = backend.scroll

    def scroll_then_act(*args: Any, **kwargs: Any) -> Any:
        found = real_scroll(*args, **kwargs)
        monkeypatch.setattr(backend, "scroll", real_scroll)
        action()
        return found

    monkeypatch.setattr(backend, "scroll", scroll_then_act)


def test_a_file_deleted_after_it_was_found_is_still_sent_whole(api: TestClient,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _upload(api, 0)
    _wait(api)
    _during_the_name_lookup(api, monkeypatch, lambda: _delete(api))
    response = api.get(f"/documents/{DOC}/file")
    assert response.status_code == 200  # answered 500 "File at path ... does not exist" before
    assert response.content == _version(0)
    assert int(response.headers["content-length"]) == len(_version(0))
    assert api.get(f"/documents/{DOC}/file").status_code == 404


def test_a_file_replaced_while_being_answered_is_sent_as_opened(api: TestClient,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _upload(api, 1)
    _wait(api)
    _during_the_name_lookup(api, monkeypatch, lambda: _replace(api, 3))
    response = api.get(f"/documents/{DOC}/file")
    assert response.content == _version(1)  # the version that was opened, whole
    assert int(response.headers["content-length"]) == len(_version(1))
    assert api.get(f"/documents/{DOC}/file").content == _version(3)


def _replace(api: TestClient, version: int) -> None:
    _upload(api, version)
    _wait(api)


def _delete(api: TestClient) -> None:
    assert api.delete(f"/documents/{DOC}", headers={"X-API-Key": KEY}).status_code == 200


def test_ranges_are_served_from_the_open_file(api: TestClient) -> None:
    _upload(api, 2)
    _wait(api)
    ranged = api.get(f"/documents/{DOC}/file", headers={"Range": "bytes=2-9"})
    assert ranged.status_code == 206 and ranged.content == _version(2)[2:10]
    assert ranged.headers["content-range"] == f"bytes 2-9/{len(_version(2))}"
    several = api.get(f"/documents/{DOC}/file", headers={"Range": "bytes=0-3,10-12"})
    assert several.status_code == 206 and _version(2)[10:13] in several.content
    head = api.head(f"/documents/{DOC}/file")
    assert head.status_code == 200 and head.content == b"" and head.headers["accept-ranges"] == "bytes"


def test_reads_looping_against_uploads_and_deletions_never_fail(api: TestClient) -> None:
    stop, failures, reads = threading.Event(), [], [0]

    def read_loop() -> None:
        while not stop.is_set():
            for path in (f"/documents/{DOC}/file", f"/documents/{DOC}/status"):
                try:
                    response = api.get(path)
                    if path.endswith("/file"):
                        _check_read(response)
                    else:
                        assert response.status_code in (200, 404), response.text[:300]
                    reads[0] += 1
                except AssertionError as exc:  # collected: the writer thread must finish its cycles
                    failures.append(f"{path}: {exc}")

    reader = threading.Thread(target=read_loop)
    reader.start()
    try:
        for cycle in range(12):
            _upload(api, cycle % 4)
            _wait(api)
            api.delete(f"/documents/{DOC}", headers={"X-API-Key": KEY})
    finally:
        stop.set()
        reader.join(30)
    assert reads[0] > 24
    assert not failures, failures[:3]
