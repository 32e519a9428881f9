"""Exports of the normative overview are inert: no live spreadsheet formula in the CSV (OWASP CSV injection), no
raw HTML, injected section or link in the Markdown (issue 19, item 1)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from markdown_it import MarkdownIt

from kb.storage.schema import Level
from search_api.normativa import csv_cell, md_text, to_csv, to_markdown

HOSTILE = "- **Principio** <img src=x onerror=alert(1)> [clic](https://evil.example)\n## Sezione finta"


def _levels(text: str) -> list[dict[str, Any]]:
    citation = {"section": "=HYPERLINK(\"https://evil.example\")", "page_start": 2, "page_end": 3,
                "url": "http://127.0.0.1:8000/documents/atto/file?page=2"}
    act = {"doc_id": "atto", "title": "<script>alert(1)</script> Atto", "reference": "+D.Lgs. 199/2021",
           "act_date": dt.date(2021, 11, 8), "in_force": True, "issuer": "@Governo", "regione": "\tLombardia",
           "score": 1.0, "passages": [{"text": text, "citation": citation}],
           "url": "http://127.0.0.1:8000/documents/atto", "file_url": "http://127.0.0.1:8000/documents/atto/file"}
    return [{"level": Level.nazionale, "label": "Nazionale", "acts": [act]}]


@pytest.mark.parametrize("value", ["=1+1", "+39 02", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(value: str) -> None:
    assert csv_cell(value) == "'" + value


def test_csv_export_has_no_live_formula() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(_levels(HOSTILE)).lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 2
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert rows[1][7].startswith("'- **Principio**")  # the text is kept, only made inert


def test_markdown_export_escapes_every_field() -> None:
    topic = "comunità energetiche\n## Sezione finta\n[clic](https://evil.example)"
    document = to_markdown(topic, dt.date(2026, 12, 3), _levels(HOSTILE))
    tokens = MarkdownIt("commonmark").parse(document)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert len(headings) == 3 and not any(h == "Sezione finta" for h in headings)  # title, level, act
    html = MarkdownIt("commonmark").render(document)
    assert "<script>" not in html and "<img" not in html and "evil.example\">" not in html
    assert 'href="https://evil.example"' not in html
    assert "Principio" in html and "Sezione finta" in html  # words kept, as text
    assert "<ul>" in html and html.count("<li>") == 2  # only the two fact lines are a list


def test_markdown_text_keeps_ordinary_text_readable() -> None:
    assert md_text("D.Lgs. 199/2021, art. 31") == "D.Lgs. 199/2021, art. 31"
    assert md_text("1. primo punto") == "1\\. primo punto"
