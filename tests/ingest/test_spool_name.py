"""Submitted file names become plain names (issue 19, item 8): the one sanitiser of uploads and POST /similar."""

from __future__ import annotations

import pytest

from ingest.prepare import spool_name


@pytest.mark.parametrize("name, expected", [
    ("Delibera CER 2024.PDF", "delibera-cer-2024.pdf"),
    ("..", "documento"), (".", "documento"), ("x/..", "documento"), ("../../etc/passwd", "passwd"),
    ("", "documento"), (None, "documento"), ("relazione.tar.gz", "relazione-tar.gz"),
    ("nota.p df", "nota"), ("è" * 190 + ".md", "e" * 100 + ".md"),
])
def test_spool_name(name: str | None, expected: str) -> None:
    assert spool_name(name) == expected
