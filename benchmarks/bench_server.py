"""The real server for benchmarks: `kb serve` on an index in a subprocess, its health, memory and shutdown."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(index: Path, tmp: Path, port: int, log: Path, rate_limit: str = "1000000/minute",
                 env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`kb serve` on `index` in a subprocess, settings from the environment plus `env`. Rate limits stay on, at
    `rate_limit`: a ceiling a measurement cannot reach (the default 120/minute would answer 429)."""
    env = dict(os.environ, KB_INDEX_PATH=str(index), KB_FILES_PATH=str(tmp / "files"),
               KB_UPLOADS_PATH=str(tmp / "uploads"), KB_LOG_LEVEL="WARNING", KB_RATE_LIMIT_SEARCH=rate_limit,
               **(env or {}))
    kb = Path(sys.executable).with_name("kb")
    with log.open("wb") as out:
        return subprocess.Popen([str(kb), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def memory_mb(pid: int) -> dict[str, float | None]:
    """Resident memory now (VmRSS) and at its peak (VmHWM) of a process, in MB (None where unreadable)."""
    fields: dict[str, float | None] = {"VmRSS": None, "VmHWM": None}
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        status = ""
    for line in status.splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            fields[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    return {"rss_mb": fields["VmRSS"], "peak_rss_mb": fields["VmHWM"]}


def wait_healthy(client: httpx.Client, server: subprocess.Popen[bytes], log: Path, timeout_s: float) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout_s:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited ({server.returncode}):\n{log.read_text(errors='replace')[-4000:]}")
        try:
            if client.get("/health").status_code == 200:
                return time.perf_counter() - start
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server did not answer /health in {timeout_s:.0f}s:\n{log.read_text()[-4000:]}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
