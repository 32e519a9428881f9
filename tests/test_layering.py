"""The layout shows the data flow: ingest -> index <- retrieval core <- search_api / cli / evaluation / runtime.

Read from the source with `ast` (every import, function-level ones included, so a lazy import cannot hide a
dependency): the core imports nothing above it, ingestion nothing of the service, and no module imports itself
back through others.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("kb", "ingest", "search_api", "evaluation", "cli", "runtime")
ABOVE_CORE = ("ingest", "search_api", "evaluation", "cli", "runtime")


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for package in PACKAGES for p in (REPO / package).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {target for target in _imports(path) if target in modules and target != name}
    return graph


def test_the_core_imports_nothing_above_it() -> None:
    offending = {module: sorted(t for t in targets if t.split(".")[0] in ABOVE_CORE)
                 for module, targets in _graph().items() if module.split(".")[0] == "kb"}
    assert {m: t for m, t in offending.items() if t} == {}


def test_ingestion_does_not_import_the_service_or_the_tools() -> None:
    offending = {module: sorted(t for t in targets if t.split(".")[0] in ("search_api", "evaluation", "cli"))
                 for module, targets in _graph().items() if module.startswith("ingest")}
    assert {m: t for m, t in offending.items() if t} == {}


def test_no_import_cycles() -> None:
    graph = _graph()
    # a package's __init__ re-exporting its own modules is not a cycle through other code
    edges = {m: {t for t in ts if not (m.endswith("__init__") or t.startswith(m + "."))} for m, ts in graph.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []
