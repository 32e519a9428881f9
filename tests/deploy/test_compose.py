"""The deployment files, read as Docker would read them (no Docker engine here): docker-compose.yml's services,
health checks (run for real against a stand-in HTTP server), dependencies, volumes, required secrets and the
cluster profile; the Dockerfile's base, pins and user; the gateway's upstreams; .env.example and .dockerignore."""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
QDRANT_IMAGE = re.compile(r"^qdrant/qdrant:v(\d+)\.(\d+)\.(\d+)$")
APIS = ("api", "api-1", "api-2")
NODES = ("qdrant", "qdrant-1", "qdrant-2")


def enabled(profile: str | None) -> set[str]:
    """The services `docker compose [--profile P] up` starts: those without profiles, plus those of P."""
    return {name for name, s in SERVICES.items() if not s.get("profiles") or profile in s["profiles"]}


def depends(service: str) -> dict[str, dict[str, Any]]:
    return dict(SERVICES[service].get("depends_on") or {})


def volume_mounts(service: str) -> dict[str, str]:
    """target path -> source, for `source:target[:mode]` entries."""
    mounts = {}
    for entry in SERVICES[service].get("volumes", []):
        source, target, *_ = entry.split(":")
        mounts[target] = source
    return mounts


# -- services and profiles ---------------------------------------------------------------------------------------
def test_default_and_cluster_profiles() -> None:
    assert enabled(None) == {"qdrant", "api"}
    assert enabled("cluster") == {*NODES, *APIS, "gateway"}


def test_qdrant_image_is_pinned_and_matches_the_client() -> None:
    client_major, client_minor = map(int, version("qdrant-client").split(".")[:2])
    for name in NODES:
        match = QDRANT_IMAGE.match(SERVICES[name]["image"])
        assert match, f"{name}: pin an exact qdrant/qdrant:vX.Y.Z tag"
        major, minor = int(match[1]), int(match[2])
        assert major == client_major and abs(minor - client_minor) <= 1, "qdrant-client refuses minors > 1 apart"
    assert re.fullmatch(r"nginx:\d+\.\d+(\.\d+)?-alpine", SERVICES["gateway"]["image"])
    major, minor = map(int, SERVICES["gateway"]["image"].split(":")[1].split("-")[0].split(".")[:2])
    assert (major, minor) >= (1, 28), "`resolve` in an upstream needs nginx >= 1.27.3"


def test_every_service_has_a_healthcheck() -> None:
    for name, service in SERVICES.items():
        check = service.get("healthcheck")
        assert check and check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert {"interval", "timeout", "retries"} <= check.keys(), name
    for name in APIS:
        assert SERVICES[name]["healthcheck"]["start_period"] in ("60s", "90s", "120s"), "the model takes a while"


def test_dependencies_wait_for_health() -> None:
    assert depends("api")["qdrant"] == {"condition": "service_healthy"}
    # in the cluster the collection is created by `api` only once the three nodes are in
    for peer in ("qdrant-1", "qdrant-2"):
        assert depends("api")[peer] == {"condition": "service_healthy", "required": False}
        assert depends(peer) == {"qdrant": {"condition": "service_healthy"}}
    for replica, node in (("api-1", "qdrant-1"), ("api-2", "qdrant-2")):
        assert depends(replica) == {"api": {"condition": "service_healthy"}, node: {"condition": "service_healthy"}}
    assert depends("gateway") == {name: {"condition": "service_healthy"} for name in APIS}
    for name in SERVICES:  # a dependency on a profile that may be off must be optional, or compose refuses
        for dep, condition in depends(name).items():
            if set(SERVICES[dep].get("profiles", [])) - set(SERVICES[name].get("profiles", [])):
                assert condition.get("required") is False, f"{name} -> {dep}"


def test_apis_run_in_server_mode_each_on_its_own_node() -> None:
    urls = []
    for name in APIS:
        env = SERVICES[name]["environment"]
        assert env["KB_BACKEND"] == "server" and env["KB_ENVIRONMENT"] == "production"
        host = re.fullmatch(r"http://([a-z0-9-]+):6333", env["KB_QDRANT_URL"])
        assert host and host[1] in NODES, env["KB_QDRANT_URL"]
        urls.append(env["KB_QDRANT_URL"])
        assert SERVICES[name]["env_file"] == [{"path": ".env", "required": False}]
        assert SERVICES[name]["build"] == "." and SERVICES[name]["image"] == SERVICES["api"]["image"]
    assert len(set(urls)) == 3, "coordination spread over the three nodes"


def test_required_secrets() -> None:
    for name in APIS:
        env = SERVICES[name]["environment"]
        assert env["KB_API_KEY"].startswith("${KB_API_KEY:?")
        assert env["KB_QDRANT_API_KEY"].startswith("${KB_QDRANT_API_KEY:?")
    for name in NODES:
        assert SERVICES[name]["environment"]["QDRANT__SERVICE__API_KEY"].startswith("${KB_QDRANT_API_KEY:?")
    text = (REPO / "docker-compose.yml").read_text()
    assert re.search(r"\$\{KB_API_KEY:\?[^}]*mancante", text), "the refusal says what is missing, in Italian"


def test_cluster_nodes_bootstrap_from_the_first() -> None:
    first = SERVICES["qdrant"]["command"]
    assert first == ["./qdrant", "--uri", "http://qdrant:6335"]
    for name in NODES:
        assert SERVICES[name]["environment"]["QDRANT__CLUSTER__ENABLED"] == "true"
    for peer in ("qdrant-1", "qdrant-2"):
        command = SERVICES[peer]["command"]
        assert command[command.index("--bootstrap") + 1] == "http://qdrant:6335"
        assert command[command.index("--uri") + 1] == f"http://{peer}:6335"


def test_volumes() -> None:
    declared = set(COMPOSE["volumes"])
    storages = [volume_mounts(n)["/qdrant/storage"] for n in NODES]
    assert len(set(storages)) == 3 and set(storages) <= declared, "each node its own named volume"
    assert all(volume_mounts(n)["/qdrant/snapshots"] in declared for n in NODES)
    files = {volume_mounts(n)["/app/data/files"] for n in APIS}
    uploads = [volume_mounts(n)["/app/data/uploads"] for n in APIS]
    assert files == {"kb-files"} and "kb-files" in declared, "originals shared by every API"
    assert len(set(uploads)) == 3 and set(uploads) <= declared, "each API its own upload queue"
    collections = {volume_mounts(n)["/app/data/raccolte"] for n in APIS}
    assert collections == {"kb-raccolte"} and "kb-raccolte" in declared, "collections shared by every API"
    used = {src for n in SERVICES for src in volume_mounts(n).values() if not src.startswith(".")}
    assert used == declared, "no undeclared and no unused volume"
    assert volume_mounts("gateway")["/etc/nginx/nginx.conf"] == "./deploy/nginx.conf"


def test_qdrant_is_published_on_this_machine_only() -> None:
    assert SERVICES["qdrant"]["ports"] == ["127.0.0.1:${KB_QDRANT_PORT:-6333}:6333"]
    assert all("ports" not in SERVICES[n] for n in ("qdrant-1", "qdrant-2", "api-1", "api-2"))


def test_variables_are_documented_in_env_example() -> None:
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", (REPO / "docker-compose.yml").read_text()))
    example = (REPO / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z0-9_]+)=", example, re.M))
    assert used <= documented, used - documented
    secrets = dict(re.findall(r"^(KB_API_KEY|KB_QDRANT_API_KEY)=(.*)$", example, re.M))
    assert secrets == {"KB_API_KEY": "", "KB_QDRANT_API_KEY": ""}, "no usable secret in an example file"


# -- health checks, run for real --------------------------------------------------------------------------------
class StandIn(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def stand_in() -> Iterator[tuple[int, type[StandIn]]]:
    handler = type("Handler", (StandIn,), {"status": 200})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], handler
    server.shutdown()
    server.server_close()


def run_check(service: str, port: int, own_port: int) -> int:
    """The service's healthcheck command, with compose's `$$` unescaped and its port pointed at the stand-in."""
    command = SERVICES[service]["healthcheck"]["test"][1:]
    argv = [arg.replace("$$", "$").replace(str(own_port), str(port)) for arg in command]
    if argv[0] == "python":
        argv[0] = sys.executable
    return subprocess.run(argv, capture_output=True, timeout=20).returncode


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash assente")
def test_qdrant_healthcheck_reads_the_readyz_status(stand_in: tuple[int, type[StandIn]]) -> None:
    port, handler = stand_in
    assert run_check("qdrant", port, 6333) == 0
    handler.status = 503
    assert run_check("qdrant", port, 6333) != 0
    assert run_check("qdrant", 1, 6333) != 0, "nothing listening"


def test_api_healthcheck(stand_in: tuple[int, type[StandIn]]) -> None:
    port, handler = stand_in
    assert run_check("api", port, 8000) == 0
    handler.status = 503
    assert run_check("api", port, 8000) != 0


# -- Dockerfile, gateway, build context ---------------------------------------------------------------------
def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(instruction, arguments) per logical line: comments dropped, `\\` continuations joined, as Docker reads it."""
    parsed, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1]
            continue
        keyword, _, arguments = (current + line).strip().partition(" ")
        parsed.append((keyword.upper(), arguments.strip()))
        current = ""
    return parsed


DOCKERFILE = parse_dockerfile((REPO / "Dockerfile").read_text())


def instructions(keyword: str) -> list[str]:
    return [arguments for instruction, arguments in DOCKERFILE if instruction == keyword]


def test_dockerfile_base_pins_and_model() -> None:
    assert instructions("FROM") == [f"python:{sys.version_info.major}.{sys.version_info.minor}-slim-bookworm"]
    pinned = re.search(r"^torch==(\S+)$", (REPO / "constraints.txt").read_text(), re.M)
    assert pinned
    run = " ".join(instructions("RUN"))
    assert f"pip install torch=={pinned[1]} --index-url https://download.pytorch.org/whl/cpu" in run
    assert "pip install . -c constraints.txt" in run
    assert "tesseract-ocr-ita" in run and "warm_up()" in run
    env = " ".join(instructions("ENV"))
    assert "HF_HUB_OFFLINE=1" in env and "HAYSTACK_TELEMETRY_ENABLED=False" in env
    # the default encoder (auto: ONNX) is exported at build time, as the serving user, into the image's cache
    cache = re.search(r"KB_ONNX_CACHE=(\S+)", env)
    assert cache and "embedder_from_settings" in run and "'onnx'" in run
    assert cache[1] in next(r for r in instructions("RUN") if "useradd" in r)


def test_dockerfile_copies_every_package_and_runs_unprivileged() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    packages = re.search(r'include = \[(.*?)\]', pyproject)
    assert packages
    copied = {c.split()[0] for c in instructions("COPY")}
    for package in re.findall(r'"(\w+)\*"', packages[1]):
        assert package in copied, f"{package} is installed from the source tree"
    user = instructions("USER")
    assert user and user[-1] not in ("root", "0")
    assert instructions("CMD") == ['["kb", "serve", "--host", "0.0.0.0", "--port", "8000"]']
    assert "/health" in instructions("HEALTHCHECK")[0] and instructions("EXPOSE") == ["8000"]


def test_dockerignore_keeps_secrets_and_data_out_but_not_the_build_inputs() -> None:
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".env", ".venv", "data", ".git"} <= ignored
    needed = {"pyproject.toml", "README.md", "constraints.txt", "kb", "ingest", "search_api", "evaluation"}
    assert not needed & ignored


def test_gateway_balances_over_the_three_apis() -> None:
    conf = (REPO / "deploy" / "nginx.conf").read_text()
    upstreams = re.findall(r"^\s*server ([\w-]+):8000 resolve", conf, re.M)
    assert sorted(upstreams) == sorted(APIS)
    assert re.search(r"^\s*listen 8080;", conf, re.M)
    assert SERVICES["gateway"]["ports"] == ["${KB_GATEWAY_PORT:-8080}:8080"]
    limit = re.search(r"client_max_body_size (\d+)m;", conf)
    assert limit and int(limit[1]) >= 50, "room for KB_MAX_UPLOAD_MB's default"
