"""Access: the write key on every write route (taken from the OpenAPI spec, compared in constant time), the optional
read key on every read route and page, open probes, and the refusal to start with a placeholder key."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from kb.settings import Settings
from tests.search_api.api_fixture import API_KEY
from tests.security.conftest import READ_KEY, MakeClient

DOC = "cer-montagna"
PRACTICE = b"# Orto sociale\n\nIl comune ha affidato un orto sociale agli anziani del paese.\n"
# POST operations that only read (a search with a body, a comparison with a text): everything else that is not GET
# writes. A new write route fails `test_every_write_route_needs_the_write_key` until it gets a sample here.
READ_POSTS = {("post", "/search"), ("post", "/similar")}
# creating a collection needs no key: it answers the collection's own edit key (tests/search_api/test_raccolte_api.py)
OPEN_WRITES = {("post", "/raccolte")}
# a collection's writes take its own edit key (X-Collection-Key) or the write key
EITHER_KEY = [{"ChiaveAPI": []}, {"ChiaveRaccolta": []}]
WRITE_SAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/documents"): {"files": {"file": ("orto.md", PRACTICE, "text/markdown")},
                             "data": {"doc_type": "buona_pratica"}},
    ("delete", "/documents/{doc_id}"): {},
    ("patch", "/raccolte/{raccolta_id}"): {"json": {"title": "Rinominata"}},
    ("delete", "/raccolte/{raccolta_id}"): {},
    ("post", "/raccolte/{raccolta_id}/voci"): {"json": {"doc_id": "pums-citta"}},  # DOC may be deleted by then
    ("patch", "/raccolte/{raccolta_id}/voci/{voce_id}"): {"json": {"note": "Da rileggere"}},
    ("delete", "/raccolte/{raccolta_id}/voci/{voce_id}"): {},
}
READ_SAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/search"): {"json": {"q": "comunità energetica"}},
    ("post", "/similar"): {"data": {"text": "Vogliamo una comunità energetica sul tetto della scuola"}},
}
QUERY_SAMPLES = {"q": "comunità energetica", "topic": "comunità energetiche"}
PAGES = ["/", "/?q=energia", "/ui/bandi", "/ui/normativa?topic=energia", f"/ui/simili/{DOC}", "/ui/invia",
         "/ui/raccolte"]
OPEN = ["/health", "/ready", "/metrics", "/static/kb-search.js", "/static/app.js", "/openapi.json"]


def _operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    spec = client.get("/openapi.json").json()
    return [(method, path, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def _call(client: TestClient, method: str, path: str, op: dict[str, Any], key: str | None,
          samples: dict[tuple[str, str], dict[str, Any]]) -> Any:
    kwargs = dict(samples.get((method, path), {}))
    required = {p["name"]: QUERY_SAMPLES[p["name"]] for p in op.get("parameters", [])
                if p["in"] == "query" and p.get("required")}
    if required:
        kwargs["params"] = required
    headers = {"X-API-Key": key} if key is not None else {}
    return client.request(method.upper(), _concrete(client, path), headers=headers, **kwargs)


def _concrete(client: TestClient, path: str) -> str:
    """The path with its parameters filled: the fixture document, and a new collection holding it (each call gets
    its own, as some calls delete theirs)."""
    path = path.replace("{doc_id}", DOC).replace("{fmt}", "docx")
    if "{raccolta_id}" in path:
        created = client.post("/raccolte", json={"title": "Prova", "items": [{"doc_id": DOC, "title": "CER"}]},
                              headers={"X-API-Key": API_KEY}).json()
        path = path.replace("{raccolta_id}", created["id"]).replace("{voce_id}", str(created["items"][0]["id"]))
    return path


@pytest.fixture
def digest_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    """Every key comparison the service makes (the real `compare_digest` still decides)."""
    calls: list[tuple[bytes, bytes]] = []
    real = secrets.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr("search_api.ratelimit.secrets.compare_digest", spy)
    return calls


def test_every_write_route_needs_the_write_key(make_client: MakeClient,
                                               digest_calls: list[tuple[bytes, bytes]]) -> None:
    client = make_client()
    writes = [(m, p, op) for m, p, op in _operations(client)
              if m != "get" and (m, p) not in READ_POSTS | OPEN_WRITES]
    assert {(m, p) for m, p, _ in writes} == set(WRITE_SAMPLES), "every write route has a sample request here"
    for method, path, op in writes:
        declared = EITHER_KEY if path.startswith("/raccolte/") else [{"ChiaveAPI": []}]
        assert op.get("security") == declared, f"{method} {path} declares the key in the spec"
        missing = _call(client, method, path, op, None, WRITE_SAMPLES)
        assert missing.status_code == 401 and missing.json()["error"]["code"] == "chiave_mancante", (method, path)
        assert missing.headers["www-authenticate"] == "ApiKey"
        digest_calls.clear()
        wrong = _call(client, method, path, op, API_KEY[:-1] + "X", WRITE_SAMPLES)
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "chiave_non_valida", (method, path)
        assert digest_calls == [((API_KEY[:-1] + "X").encode(), API_KEY.encode())], "compared in constant time"
        assert _call(client, method, path, op, API_KEY, WRITE_SAMPLES).status_code in (200, 201, 202), (method,
                                                                                                     path)
    reads_by_post = {(m, p): op for m, p, op in _operations(client) if (m, p) in READ_POSTS}
    assert set(reads_by_post) == READ_POSTS and not any("security" in op for op in reads_by_post.values())


def test_without_a_server_key_writes_are_disabled(make_client: MakeClient) -> None:
    client = make_client(api_key="")
    refused = client.delete(f"/documents/{DOC}", headers={"X-API-Key": "qualsiasi"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "scritture_disabilitate"
    assert client.get(f"/documents/{DOC}").status_code == 200


def test_reads_are_open_without_a_read_key(make_client: MakeClient) -> None:
    client = make_client()
    for method, path, op in _operations(client):
        if method == "get" or (method, path) in READ_POSTS:
            assert "security" not in op, f"{method} {path}: no read key, no security declared"
            assert _call(client, method, path, op, None, READ_SAMPLES).status_code == 200, (method, path)


def test_a_read_key_closes_every_read_route_and_page(make_client: MakeClient,
                                                     digest_calls: list[tuple[bytes, bytes]]) -> None:
    client = make_client(read_api_key=READ_KEY)
    reads = [(m, p, op) for m, p, op in _operations(client)
             if (m == "get" or (m, p) in READ_POSTS) and p not in OPEN]
    assert len(reads) >= 9
    for method, path, op in reads:
        assert op.get("security") == [{"ChiaveAPI": []}], f"{method} {path} declares the key"
        missing = _call(client, method, path, op, None, READ_SAMPLES)
        assert missing.status_code == 401 and missing.json()["error"]["code"] == "chiave_mancante", (method, path)
        assert "lettura" in missing.json()["error"]["message"]
        wrong = _call(client, method, path, op, "chiave-inventata-0000", READ_SAMPLES)
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "chiave_non_valida", (method, path)
        for key in (READ_KEY, API_KEY):
            assert _call(client, method, path, op, key, READ_SAMPLES).status_code == 200, (method, path, key)
    assert (b"chiave-inventata-0000", READ_KEY.encode()) in digest_calls, "compared in constant time"
    for page in PAGES:
        assert client.get(page).status_code == 401, page
        opened = client.get(page, headers={"X-API-Key": READ_KEY})
        assert opened.status_code == 200 and opened.headers["content-type"].startswith("text/html"), page


def test_probes_metrics_static_files_and_the_spec_stay_open(make_client: MakeClient) -> None:
    client = make_client(read_api_key=READ_KEY)
    for path in OPEN:
        assert client.get(path).status_code == 200, path
    for _method, path, op in _operations(client):
        if path in OPEN:
            assert "security" not in op, path


def test_the_write_key_still_writes_with_a_read_key(make_client: MakeClient) -> None:
    client = make_client(read_api_key=READ_KEY)
    assert client.delete(f"/documents/{DOC}", headers={"X-API-Key": READ_KEY}).status_code == 403
    assert client.delete(f"/documents/{DOC}", headers={"X-API-Key": API_KEY}).status_code == 200


@pytest.mark.parametrize("key", ["", "changeme", " CAMBIAMI ", "dev-key"])
def test_placeholder_keys_are_refused_in_production(key: str) -> None:
    with pytest.raises(ValidationError, match="segnaposto"):
        Settings(environment="production", api_key=key)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="KB_READ_API_KEY manca o è un segnaposto"):
        Settings(environment="production", api_key="k" * 32, read_api_key=key or "changeme")  # type: ignore[arg-type]
    assert Settings(environment="development", api_key=key).api_key == key  # type: ignore[arg-type]


def test_short_keys_are_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="troppo corta"):
        Settings(environment="production", api_key="abc123")  # type: ignore[arg-type]
    settings = Settings(environment="production", api_key=secrets.token_urlsafe(24),  # type: ignore[arg-type]
                        read_api_key=secrets.token_urlsafe(24))
    assert len(settings.read_api_key) >= 16


def test_kb_serve_refuses_to_start_with_a_placeholder_key(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "KB_ENVIRONMENT": "production", "KB_API_KEY": "changeme", "KB_READ_API_KEY": "",
           "KB_INDEX_PATH": str(tmp_path / "index"), "HF_HUB_OFFLINE": "1", "HAYSTACK_TELEMETRY_ENABLED": "False"}
    done = subprocess.run([sys.executable, "-m", "cli", "serve", "--port", str(port)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode != 0
    assert "KB_API_KEY manca o è un segnaposto" in done.stdout + done.stderr
    assert not (tmp_path / "index").exists(), "nothing was opened"


def _post_counting_body_reads(client: TestClient, path: str, key: str | None,
                              chunks: int = 64) -> tuple[int, int, dict[str, str]]:
    """POST a multipart upload straight to the ASGI app, in `chunks` body messages; returns the status, how many
    body messages the app pulled, and the answer's headers (TestClient reads a body whole before the app runs)."""
    boundary = "kbtest"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"grande.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\n").encode()
    parts = [head] + [b"x" * 65536] * chunks + [f"\r\n--{boundary}--\r\n".encode()]
    headers = [(b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
               (b"content-length", str(sum(map(len, parts))).encode()), (b"host", b"localhost")]
    if key is not None:
        headers.append((b"x-api-key", key.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
             "client": ("203.0.113.9", 5000), "server": ("testserver", 80)}
    pulled = 0
    answer: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        if pulled > len(parts):
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": parts[pulled - 1], "more_body": pulled < len(parts)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.update(status=message["status"],
                          headers={k.decode(): v.decode() for k, v in message["headers"]})

    async def call() -> None:
        await client.app(scope, receive, send)  # type: ignore[arg-type]

    assert client.portal is not None
    client.portal.call(call)
    return answer["status"], pulled, answer["headers"]


@pytest.mark.parametrize(("key", "status"), [(None, 401), ("chiave-sbagliata-123456", 403)])
def test_an_upload_without_the_write_key_is_refused_before_its_body_is_read(make_client: MakeClient,
                                                                             key: str | None, status: int) -> None:
    client = make_client()
    answered, pulled, headers = _post_counting_body_reads(client, "/documents", key)
    assert answered == status
    assert pulled == 0  # not one byte of the 4 MB upload was received
    assert headers["connection"] == "close"


def test_with_a_read_key_a_file_comparison_is_refused_before_its_body_is_read(make_client: MakeClient) -> None:
    client = make_client(read_api_key=READ_KEY)
    answered, pulled, _ = _post_counting_body_reads(client, "/similar", None)
    assert (answered, pulled) == (401, 0)
    answered, pulled, _ = _post_counting_body_reads(client, "/similar", READ_KEY, chunks=2)
    assert answered != 401 and pulled > 0  # the right key passes the gate and the body is read


def test_an_upload_with_the_write_key_is_read_and_accepted(make_client: MakeClient) -> None:
    answered, pulled, _ = _post_counting_body_reads(make_client(), "/documents", API_KEY, chunks=2)
    assert pulled > 0
    assert answered == 202  # read whole and queued: the gate let the right key through
