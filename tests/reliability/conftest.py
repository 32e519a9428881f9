"""Reliability tests: hostile files, crash safety. `stress` tests run only when selected: `pytest -m stress`, or
KB_STRESS=1 (as the other long tests of `make stress`).

With `KB_RELIABILITY_RESULTS=DIR` the tests write what they measured to DIR (e.g. results/reliability).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stress: long reliability runs (many crash trials); select with -m stress")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "stress" in (config.getoption("-m") or "") or os.environ.get("KB_STRESS") == "1":
        return
    skip = pytest.mark.skip(reason="stress run: select with -m stress or KB_STRESS=1 (make stress)")
    for item in items:
        if item.get_closest_marker("stress") is not None:
            item.add_marker(skip)


def write_results(name: str, data: dict[str, Any]) -> Path | None:
    """Write `data` as DIR/name when KB_RELIABILITY_RESULTS=DIR is set; otherwise nothing."""
    folder = os.environ.get("KB_RELIABILITY_RESULTS")
    if not folder:
        return None
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
