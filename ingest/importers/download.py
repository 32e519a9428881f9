"""Fetch an importer's open-data release: streamed to `<name>.part`, resumed, checked, and recorded beside the file.

The portals' files reach tens of MB and connections drop: a `.part` continued with `Range` keeps the bytes already
received, and the manifest `<name>.download.json` records the sha256 the import report cites plus the validators
(ETag, Last-Modified) that let the next run skip an unchanged release. Italia Domani's server ignores `Range` (a 200
restarts the file) and its CDN turns away clients that do not look like a browser: hence `Range: bytes=0-` on every
request and the User-Agent as a parameter. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.client import HTTPException, HTTPResponse
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urlsplit
from urllib.request import Request, urlopen

from kb.settings import Settings

CHUNK = 1 << 16
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_RETRIES = 3  # transient failures (5xx, 429, dropped connection, timeout) retried, backoff 1, 2, 4 s
DEFAULT_USER_AGENT: str = Settings.model_fields["import_user_agent"].default  # one browser-like string, in settings
TRANSIENT_STATUS = {429, 500, 502, 503, 504}
# importer kind -> the settings holding its published URLs (kb import <kind> --download)
RELEASES: dict[str, tuple[str, ...]] = {
    "pnrr-progetti": ("import_url_pnrr_progetti", "import_url_pnrr_localizzazioni"),
    "pnrr-bandi": ("import_url_pnrr_bandi",),
    "padigitale-avvisi": ("import_url_padigitale_avvisi",),
}

Progress = Callable[[str, int, int | None], None]  # (file name, bytes so far, total bytes or None)


class DownloadError(Exception):
    """A release that could not be fetched; the message is for people (Italian), `url` and `status` for logs."""

    def __init__(self, message: str, url: str, status: int | None = None, *, transient: bool = False) -> None:
        super().__init__(message)
        self.message, self.url, self.status, self.transient = message, url, status, transient


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    size: int
    sha256: str
    url: str
    fetched_at: str  # ISO 8601, UTC: when these bytes were received
    etag: str | None = None
    last_modified: str | None = None
    resumed: bool = False  # continued a `.part` left by an earlier attempt
    unchanged: bool = False  # same content as the previous download (304, or an identical sha256)

    def manifest(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in ("path", "resumed", "unchanged")}


@dataclass(frozen=True)
class _Files:
    final: Path
    part: Path
    part_meta: Path  # validators of the response the `.part` came from, so a resume appends to the same release
    manifest: Path


def download(url: str, dest_dir: Path, *, name: str | None = None, timeout: float = DEFAULT_TIMEOUT_S,
             user_agent: str = DEFAULT_USER_AGENT, progress: Progress | None = None,
             retries: int = DEFAULT_RETRIES, backoff_s: float = 1.0) -> DownloadResult:
    """Fetch `url` into `dest_dir/<name>` (default: the URL's file name); raise DownloadError, never a traceback."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DownloadError(f"indirizzo non valido: {url} (serve http:// o https://)", url)
    name = name or unquote(PurePosixPath(parts.path).name)
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise DownloadError(f"nome di file non valido per {url}: '{name}'", url)
    dest_dir = Path(dest_dir)
    files = _Files(dest_dir / name, dest_dir / f"{name}.part", dest_dir / f"{name}.part.json",
                   dest_dir / f"{name}.download.json")
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        previous = _previous(files, url)
    except OSError as exc:
        raise DownloadError(f"cartella dei download non utilizzabile: {dest_dir} ({exc.strerror})", url) from exc
    attempt = 0
    while True:
        try:
            return _attempt(url, files, previous, timeout, user_agent, progress)
        except DownloadError as exc:
            if not exc.transient:
                raise
            if attempt >= retries:
                tries = f" (dopo {attempt + 1} tentativi)" if attempt else ""
                raise DownloadError(exc.message + tries, url, exc.status, transient=True) from exc
        except OSError as exc:  # the disk, not the network: reading errors are DownloadErrors already
            raise DownloadError(f"impossibile scrivere in {dest_dir}: {exc.strerror or exc}", url) from exc
        time.sleep(backoff_s * 2**attempt)
        attempt += 1


def fetch_release(kind: str, settings: Settings, progress: Progress | None = None, *,
                  timeout: float = DEFAULT_TIMEOUT_S) -> list[DownloadResult]:
    """Download every file an importer kind reads into `settings.import_download_dir/<kind>/`."""
    if kind not in RELEASES:
        raise ValueError(f"tipo di importazione sconosciuto '{kind}': validi {', '.join(RELEASES)}")
    folder = Path(settings.import_download_dir) / kind
    return [download(getattr(settings, field), folder, timeout=timeout, user_agent=settings.import_user_agent,
                     progress=progress) for field in RELEASES[kind]]


def _attempt(url: str, files: _Files, previous: dict[str, Any] | None, timeout: float, user_agent: str,
             progress: Progress | None) -> DownloadResult:
    offset, partial = _partial(files, url)
    # Range on a fresh download too: Italia Domani's CDN wants it; Accept-Encoding identity keeps sizes comparable
    headers = {"User-Agent": user_agent, "Accept-Encoding": "identity", "Range": f"bytes={offset}-"}
    if offset:
        etag = partial.get("etag")
        validator = etag if etag and not etag.startswith("W/") else partial.get("last_modified")
        if validator:
            headers["If-Range"] = validator
    elif previous:
        if previous.get("etag"):
            headers["If-None-Match"] = previous["etag"]
        if previous.get("last_modified"):
            headers["If-Modified-Since"] = previous["last_modified"]
    try:
        response = urlopen(Request(url, headers=headers), timeout=timeout)
    except HTTPError as exc:
        with exc:
            return _refused(exc, url, files, offset, partial, previous)
    except URLError as exc:
        raise _unreachable(url, exc.reason, timeout) from exc
    except (OSError, HTTPException) as exc:
        raise _dropped(url, exc, timeout) from exc
    with response:
        return _receive(response, url, files, offset, partial, previous, timeout, progress)


def _receive(response: HTTPResponse, url: str, files: _Files, offset: int, partial: dict[str, Any],
             previous: dict[str, Any] | None, timeout: float, progress: Progress | None) -> DownloadResult:
    length = _int(response.headers.get("Content-Length"))
    etag, last_modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    if response.status == 206:
        start, total = _content_range(response.headers.get("Content-Range", ""))
        same = start == offset and (not partial.get("etag") or not etag or etag == partial["etag"])
        if not same or (total is not None and partial.get("total") not in (None, total)):
            _discard(files)
            raise DownloadError(f"il file è cambiato sul portale durante il download, si riparte: {url}", url,
                                transient=True)
        expected = offset + length if length is not None else total  # Content-Length first: what is promised
        etag, last_modified = etag or partial.get("etag"), last_modified or partial.get("last_modified")
    elif response.status == 200:  # Range ignored: start again from zero
        offset, expected = 0, length
    else:
        raise DownloadError(f"risposta inattesa dal portale (HTTP {response.status}): {url}", url, response.status)
    _write_json(files.part_meta, {"url": url, "etag": etag, "last_modified": last_modified, "total": expected})
    digest, done = hashlib.sha256(), offset
    if offset:  # the checksum covers the bytes kept from before
        with files.part.open("rb") as kept:
            digest = hashlib.file_digest(kept, "sha256")
    with files.part.open("ab" if offset else "wb") as out:
        while True:
            try:
                chunk = response.read(CHUNK)
            except (OSError, HTTPException) as exc:
                raise _dropped(url, exc, timeout) from exc
            if not chunk:
                break
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(files.final.name, done, expected)
        out.flush()
        os.fsync(out.fileno())
    if expected is not None and done != expected:
        raise DownloadError(f"download incompleto: ricevuti {done} byte su {expected} da {url}; il file parziale è "
                            "conservato per riprendere il download", url, transient=True)
    return _finish(files, url, digest.hexdigest(), done, etag, last_modified, resumed=offset > 0, previous=previous)


def _refused(exc: HTTPError, url: str, files: _Files, offset: int, partial: dict[str, Any],
             previous: dict[str, Any] | None) -> DownloadResult:
    """Non-2xx answers: 304 (unchanged), 416 (the part may be complete already), or an error."""
    if exc.code == 304 and previous:
        return DownloadResult(files.final, previous["size"], previous["sha256"], url, previous.get("fetched_at", ""),
                              previous.get("etag"), previous.get("last_modified"), unchanged=True)
    if exc.code == 416:
        _, total = _content_range(exc.headers.get("Content-Range", ""))
        if total == offset and partial.get("total") in (None, total):
            files.part.touch()
            return _finish(files, url, _sha256(files.part), offset, partial.get("etag"), partial.get("last_modified"),
                           resumed=offset > 0, previous=previous)
        _discard(files)
        raise DownloadError(f"il portale ha rifiutato la ripresa del download, si riparte: {url}", url, 416,
                            transient=True)
    if exc.code in (404, 410):
        raise DownloadError(f"file non trovato sul portale (HTTP {exc.code}): {url}", url, exc.code)
    if exc.code in (401, 403):
        raise DownloadError(f"accesso negato dal portale (HTTP {exc.code}): {url}; alcuni portali rifiutano i client "
                            "che non sembrano un browser: provare un altro KB_IMPORT_USER_AGENT", url, exc.code)
    if exc.code in TRANSIENT_STATUS:
        raise DownloadError(f"il portale non risponde correttamente (HTTP {exc.code}): {url}", url, exc.code,
                            transient=True)
    raise DownloadError(f"risposta inattesa dal portale (HTTP {exc.code}): {url}", url, exc.code)


def _unreachable(url: str, reason: object, timeout: float) -> DownloadError:
    if isinstance(reason, TimeoutError | ConnectionResetError):
        return _dropped(url, reason, timeout)
    detail = getattr(reason, "strerror", None) or str(reason)
    return DownloadError(f"rete non raggiungibile: impossibile collegarsi a {urlsplit(url).hostname} ({detail})", url)


def _dropped(url: str, exc: BaseException, timeout: float) -> DownloadError:
    if isinstance(exc, TimeoutError):
        return DownloadError(f"tempo scaduto: nessuna risposta dal portale entro {timeout:g} s ({url})", url,
                             transient=True)
    detail = getattr(exc, "strerror", None) or type(exc).__name__
    return DownloadError(f"connessione interrotta durante il download di {url} ({detail})", url, transient=True)


def _finish(files: _Files, url: str, sha256: str, size: int, etag: str | None, last_modified: str | None, *,
            resumed: bool, previous: dict[str, Any] | None) -> DownloadResult:
    """Atomic: the complete file replaces the old one, then its manifest does."""
    os.replace(files.part, files.final)
    _fsync_dir(files.final.parent)
    fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
    unchanged = bool(previous and previous["sha256"] == sha256)
    result = DownloadResult(files.final, size, sha256, url, fetched_at, etag, last_modified, resumed, unchanged)
    _write_json(files.manifest, result.manifest())
    files.part_meta.unlink(missing_ok=True)
    return result


def _previous(files: _Files, url: str) -> dict[str, Any] | None:
    """The last download's manifest, when the file beside it is still exactly what it recorded."""
    record = _read_json(files.manifest)
    if not record or record.get("url") != url or not files.final.is_file():
        return None
    if files.final.stat().st_size != record.get("size") or _sha256(files.final) != record.get("sha256"):
        return None
    return record


def _partial(files: _Files, url: str) -> tuple[int, dict[str, Any]]:
    """Bytes already in `.part` and the validators they came with; a part of another URL is dropped."""
    meta = _read_json(files.part_meta)
    if files.part.is_file() and meta and meta.get("url") == url:
        return files.part.stat().st_size, meta
    _discard(files)
    return 0, {}


def _discard(files: _Files) -> None:
    files.part.unlink(missing_ok=True)
    files.part_meta.unlink(missing_ok=True)


def _content_range(value: str) -> tuple[int | None, int | None]:
    """`bytes 100-199/1000` -> (100, 1000); `bytes */1000` -> (None, 1000); a `*` total is None."""
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value)
    if not match:
        return None, None
    return _int(match.group(1)), _int(match.group(2))


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX; other systems cannot open a folder)."""
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
