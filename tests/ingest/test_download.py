"""`--download` against a real HTTP server on loopback serving the shared open-data files (issue 21), or, in a
clone without the shared folder, the copies of the same publishers' files in corpus/dati_aperti.

The server speaks enough HTTP to stand in for the portals: Range/206 with If-Range, ETag/If-None-Match (304), 416,
and faults switched on per test: Range ignored (Italia Domani), a connection dropped mid-body, 404, 503 before a
200, a Content-Length larger than the body, a stall. Checksums are compared with hashlib on the shared files.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ingest.importers.download import DownloadError, download, fetch_release
from kb.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared" / "data"
SLICE = REPO / "corpus" / "dati_aperti"  # the same publishers' files, in the repository: a clean clone has them
if (SHARED / "pnrr" / "PNRR_Progetti.csv").is_file():  # the whole shared files where they are (this machine)
    PROGETTI = SHARED / "pnrr" / "PNRR_Progetti.csv"
    LOCALIZZAZIONI = SHARED / "pnrr" / "PNRR_Localizzazione.csv"
    BANDI = SHARED / "pnrr" / "PNRR_Bandi e Avvisi.csv"
    AVVISI = SHARED / "padigitale2026" / "avvisi.json"
else:
    PROGETTI = SLICE / "progetti_pnrr_comuni.csv"
    LOCALIZZAZIONI = SLICE / "localizzazioni_pnrr_comuni.csv"
    BANDI = SLICE / "bandi_pnrr.csv"
    AVVISI = SLICE / "avvisi_padigitale2026.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Portal:
    """What the server serves and how it misbehaves; `requests` records each request's path and headers."""

    files: dict[str, bytes] = field(default_factory=dict)
    ignore_range: bool = False  # Italia Domani: 200 and the whole file, whatever Range says
    ignore_conditionals: bool = False
    drop_once: bool = False  # first body: half of it, then the connection is closed
    fail_first: int = 0  # that many 503 before answering
    extra_length: int = 0  # Content-Length that many bytes larger than the body sent
    stall: threading.Event | None = None  # hold every answer until set
    requests: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, source: Path) -> str:
        self.files[path] = source.read_bytes()
        return self.url(path)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


class Handler(BaseHTTPRequestHandler):
    portal: Portal
    last_modified = "Tue, 21 Feb 2023 10:00:00 GMT"

    def do_GET(self) -> None:
        portal = self.portal
        portal.requests.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        if portal.stall is not None:
            portal.stall.wait()
            return
        if portal.fail_first > 0:
            portal.fail_first -= 1
            self.send_error(503)
            return
        body = portal.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        etag = etag_of(body)
        if not portal.ignore_conditionals and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        start = self._range_start(etag)
        if start is not None and start >= len(body):
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(body)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200 if start is None else 206)
        if start is not None:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        part = body[start or 0:]
        self.send_header("Content-Length", str(len(part) + portal.extra_length))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", self.last_modified)
        self.end_headers()
        if portal.drop_once:
            portal.drop_once = False
            self.wfile.write(part[: len(part) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(part)

    def _range_start(self, etag: str) -> int | None:
        """Where a Range asks to start, or None for the whole file (no Range, Range ignored, If-Range stale)."""
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if self.portal.ignore_range or not match:
            return None
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range not in (etag, self.last_modified):
            return None
        return int(match.group(1))

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def portal() -> Iterator[Portal]:
    state = Portal()
    handler = type("PortalHandler", (Handler,), {"portal": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    if state.stall is not None:
        state.stall.set()
    server.shutdown()
    server.server_close()
    thread.join()


def test_fresh_download_streams_the_file_and_records_its_checksum(portal: Portal, tmp_path: Path) -> None:
    url = portal.serve("/opendata/PNRR_Progetti.csv", PROGETTI)
    seen: list[tuple[str, int, int | None]] = []
    result = download(url, tmp_path, user_agent="Prova/1.0", progress=lambda *p: seen.append(p))
    assert result.path == tmp_path / "PNRR_Progetti.csv" and result.sha256 == sha256(PROGETTI)
    assert result.size == PROGETTI.stat().st_size and result.path.read_bytes() == PROGETTI.read_bytes()
    assert (result.resumed, result.unchanged) == (False, False)
    assert result.etag == etag_of(PROGETTI.read_bytes()) and result.last_modified == Handler.last_modified
    manifest = json.loads((tmp_path / "PNRR_Progetti.csv.download.json").read_text(encoding="utf-8"))
    assert manifest == {"url": url, "size": result.size, "sha256": result.sha256, "fetched_at": result.fetched_at,
                        "etag": result.etag, "last_modified": result.last_modified}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["PNRR_Progetti.csv", "PNRR_Progetti.csv.download.json"]
    sent = portal.requests[0]
    assert sent["range"] == "bytes=0-" and sent["user-agent"] == "Prova/1.0" and "if-none-match" not in sent
    assert len(seen) > 1 and seen[-1] == ("PNRR_Progetti.csv", result.size, result.size)
    assert [s[1] for s in seen] == sorted(s[1] for s in seen)


def test_an_unchanged_release_is_not_fetched_again(portal: Portal, tmp_path: Path) -> None:
    url = portal.serve("/avvisi.json", AVVISI)
    first = download(url, tmp_path)
    again = download(url, tmp_path)
    assert portal.requests[1]["if-none-match"] == first.etag
    assert portal.requests[1]["if-modified-since"] == first.last_modified
    assert again.unchanged and again.sha256 == first.sha256 == sha256(AVVISI)
    assert again.fetched_at == first.fetched_at and again.path.read_bytes() == AVVISI.read_bytes()


def test_a_server_that_ignores_conditionals_still_reports_unchanged_content(portal: Portal, tmp_path: Path) -> None:
    url = portal.serve("/avvisi.json", AVVISI)
    download(url, tmp_path)
    portal.ignore_conditionals = True
    again = download(url, tmp_path)
    assert again.unchanged and again.sha256 == sha256(AVVISI)


def test_a_new_release_replaces_the_old_file(portal: Portal, tmp_path: Path) -> None:
    url = portal.serve("/dati.csv", BANDI)
    download(url, tmp_path)
    portal.files["/dati.csv"] = LOCALIZZAZIONI.read_bytes()
    newer = download(url, tmp_path)
    assert not newer.unchanged and newer.sha256 == sha256(LOCALIZZAZIONI)
    assert json.loads((tmp_path / "dati.csv.download.json").read_text(encoding="utf-8"))["sha256"] == newer.sha256


def test_a_dropped_connection_keeps_the_part_and_the_next_run_resumes(portal: Portal, tmp_path: Path) -> None:
    url = portal.serve("/PNRR_Progetti.csv", PROGETTI)
    portal.drop_once = True
    with pytest.raises(DownloadError, match="download incompleto") as failure:
        download(url, tmp_path, retries=0)
    assert failure.value.transient and failure.value.url == url
    part = tmp_path / "PNRR_Progetti.csv.part"
    half = PROGETTI.stat().st_size // 2
    assert part.stat().st_size == half and not (tmp_path / "PNRR_Progetti.csv").exists()
    result = download(url, tmp_path, retries=0)
    assert portal.requests[-1]["range"] == f"bytes={half}-" and portal.requests[-1]["if-range"] == result.etag
    assert result.resumed and result.sha256 == sha256(PROGETTI) and not part.exists()


def test_a_dropped_connection_is_retried_and_resumed_in_one_call(portal: Portal, tmp_path: Path) -> None:
    url = portal.serve("/PNRR_Localizzazione.csv", LOCALIZZAZIONI)
    portal.drop_once = True
    result = download(url, tmp_path, retries=1, backoff_s=0)
    assert len(portal.requests) == 2 and result.resumed and result.sha256 == sha256(LOCALIZZAZIONI)


def test_a_server_that_ignores_range_restarts_from_zero(portal: Portal, tmp_path: Path) -> None:
    url = portal.serve("/PNRR_Progetti.csv", PROGETTI)
    portal.drop_once, portal.ignore_range = True, True
    with pytest.raises(DownloadError):
        download(url, tmp_path, retries=0)
    result = download(url, tmp_path, retries=0)
    assert portal.requests[-1]["range"] == f"bytes={PROGETTI.stat().st_size // 2}-"  # asked, not granted
    assert not result.resumed and result.sha256 == sha256(PROGETTI) and result.size == PROGETTI.stat().st_size


def test_a_part_of_a_release_since_replaced_is_not_appended_to(portal: Portal, tmp_path: Path) -> None:
    url = portal.serve("/dati.csv", BANDI)
    portal.drop_once = True
    with pytest.raises(DownloadError):
        download(url, tmp_path, retries=0)
    portal.files["/dati.csv"] = LOCALIZZAZIONI.read_bytes()  # If-Range no longer matches: the whole new file
    result = download(url, tmp_path, retries=0)
    assert not result.resumed and result.sha256 == sha256(LOCALIZZAZIONI)


def test_a_complete_part_left_before_the_rename_is_finished_on_416(portal: Portal, tmp_path: Path) -> None:
    url = portal.serve("/avvisi.json", AVVISI)
    portal.drop_once = True
    with pytest.raises(DownloadError):
        download(url, tmp_path, retries=0)
    part = tmp_path / "avvisi.json.part"
    data = AVVISI.read_bytes()
    part.write_bytes(data)  # every byte arrived, the process stopped before the rename
    result = download(url, tmp_path, retries=0)
    assert portal.requests[-1]["range"] == f"bytes={len(data)}-"
    assert result.resumed and result.sha256 == sha256(AVVISI) and result.path.read_bytes() == data


def test_missing_file_is_a_clear_error_and_not_retried(portal: Portal, tmp_path: Path) -> None:
    url = portal.url("/content/dam/opendata/PNRR_Bandi_e_Avvisi.csv")
    with pytest.raises(DownloadError) as failure:
        download(url, tmp_path, backoff_s=0)
    assert failure.value.status == 404 and str(failure.value) == f"file non trovato sul portale (HTTP 404): {url}"
    assert len(portal.requests) == 1 and list(tmp_path.iterdir()) == []


def test_server_errors_are_retried_then_the_file_arrives(portal: Portal, tmp_path: Path) -> None:
    url = portal.serve("/PNRR_Bandi_e_Avvisi.csv", BANDI)
    portal.fail_first = 2
    result = download(url, tmp_path, retries=2, backoff_s=0)
    assert len(portal.requests) == 3 and result.sha256 == sha256(BANDI)


def test_server_errors_past_the_retries_name_the_attempts(portal: Portal, tmp_path: Path) -> None:
    url = portal.serve("/avvisi.json", AVVISI)
    portal.fail_first = 10
    with pytest.raises(DownloadError, match=r"HTTP 503.*dopo 3 tentativi") as failure:
        download(url, tmp_path, retries=2, backoff_s=0)
    assert failure.value.status == 503 and len(portal.requests) == 3


def test_a_body_shorter_than_its_content_length_is_an_error_and_kept(portal: Portal, tmp_path: Path) -> None:
    url = portal.serve("/PNRR_Bandi_e_Avvisi.csv", BANDI)
    portal.extra_length = 100
    size = BANDI.stat().st_size
    with pytest.raises(DownloadError, match=f"ricevuti {size} byte su {size + 100}"):
        download(url, tmp_path, retries=2, backoff_s=0)
    assert (tmp_path / "PNRR_Bandi_e_Avvisi.csv.part").stat().st_size == size
    assert not (tmp_path / "PNRR_Bandi_e_Avvisi.csv").exists()
    assert not (tmp_path / "PNRR_Bandi_e_Avvisi.csv.download.json").exists()


def test_no_network_is_said_in_italian(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DownloadError, match=r"^rete non raggiungibile: impossibile collegarsi a 127\.0\.0\.1"):
        download(f"http://127.0.0.1:{port}/avvisi.json", tmp_path, backoff_s=0)


def test_a_silent_server_times_out(portal: Portal, tmp_path: Path) -> None:
    portal.stall = threading.Event()
    with pytest.raises(DownloadError, match="tempo scaduto") as failure:
        download(portal.url("/avvisi.json"), tmp_path, timeout=0.2, retries=0)
    assert failure.value.transient


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.it/a.csv", "https://example.it/"])
def test_unusable_addresses_are_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="non valido"):
        download(url, tmp_path)


def test_fetch_release_downloads_every_file_of_an_importer(portal: Portal, tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, import_download_dir=tmp_path, import_user_agent="Prova/2.0",
        import_url_pnrr_progetti=portal.serve("/PNRR_Progetti.csv", PROGETTI),
        import_url_pnrr_localizzazioni=portal.serve("/PNRR_Localizzazione.csv", LOCALIZZAZIONI),
        import_url_padigitale_avvisi=portal.serve("/avvisi.json", AVVISI))
    projects = fetch_release("pnrr-progetti", settings)
    assert [r.path for r in projects] == [tmp_path / "pnrr-progetti" / "PNRR_Progetti.csv",
                                          tmp_path / "pnrr-progetti" / "PNRR_Localizzazione.csv"]
    assert [r.sha256 for r in projects] == [sha256(PROGETTI), sha256(LOCALIZZAZIONI)]
    (calls,) = fetch_release("padigitale-avvisi", settings)
    assert calls.path == tmp_path / "padigitale-avvisi" / "avvisi.json" and calls.sha256 == sha256(AVVISI)
    assert {r["user-agent"] for r in portal.requests} == {"Prova/2.0"}
    with pytest.raises(ValueError, match="pnrr-progetti, pnrr-bandi, padigitale-avvisi"):
        fetch_release("pnrr", settings)
