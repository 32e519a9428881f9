"""Properties of the normative overview's exports (issue 19, item 1): whatever text the documents or the request
carry, the CSV has no live formula and loses nothing, and the Markdown has exactly the structure the service
writes: no injected heading, link or HTML."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from kb.storage.schema import Level
from search_api.normativa import to_csv, to_markdown
from tests.properties.budget import bounded

FORMULA = ("=", "+", "-", "@", "\t", "\r")
MARKUP = ["# ", "## ", "- ", "> ", "1. ", "<script>x</script>", "<img src=x onerror=y>", "[a](https://evil.example)",
          "<https://evil.example>", "![i](https://evil.example/i.png)", "`code`", "**b**", "\n", "\r\n", "|", "---",
          "=HYPERLINK(\"https://evil.example\")", "\\", "&amp;", "*", "_"]
SERVICE = "http://127.0.0.1:8000/documents/"
hostile = st.lists(st.one_of(st.sampled_from(MARKUP + list(FORMULA)), st.text(max_size=12)), max_size=8).map("".join)


@st.composite
def overviews(draw: st.DrawFn) -> list[dict[str, Any]]:
    acts = []
    for i in range(draw(st.integers(1, 3))):
        passages = [{"text": draw(hostile), "citation": {"section": draw(hostile), "page_start": 1, "page_end": 2,
                                                         "url": f"{SERVICE}atto-{i}/file#page=1"}}
                    for _ in range(draw(st.integers(0, 2)))]
        acts.append({"doc_id": f"atto-{i}", "title": draw(hostile), "reference": draw(hostile),
                     "act_date": dt.date(2021, 1, 1), "in_force": draw(st.sampled_from([True, False, None])),
                     "issuer": draw(hostile), "regione": draw(hostile), "passages": passages,
                     "url": f"{SERVICE}atto-{i}", "file_url": f"{SERVICE}atto-{i}/file"})
    return [{"level": Level.nazionale, "label": "Nazionale", "acts": acts}]


@bounded(150)
@given(overviews())
def test_csv_cells_are_inert_and_lossless(levels: list[dict[str, Any]]) -> None:
    rows = list(csv.reader(io.StringIO(to_csv(levels).lstrip("\ufeff"), newline=""), delimiter=";"))
    expected = []
    for act in levels[0]["acts"]:
        for passage in act["passages"] or [None]:
            expected.append((act["reference"], act["title"], act["issuer"], act["regione"],
                             passage["text"] if passage else ""))
    assert len(rows) == 1 + len(expected)
    for row, (reference, title, issuer, regione, text) in zip(rows[1:], expected, strict=True):
        assert not any(cell.startswith(FORMULA) for cell in row), row
        shown = [c[1:] if c.startswith("'") and c[1:].startswith(FORMULA) else c for c in row]
        assert (shown[1], shown[2], shown[5], shown[6], shown[7]) == (reference, title, issuer, regione, text)


@bounded(150)
@given(overviews(), hostile)
def test_markdown_has_only_the_services_structure(levels: list[dict[str, Any]], topic: str) -> None:
    acts = levels[0]["acts"]
    tokens = MarkdownIt("commonmark").parse(to_markdown(topic or "x", dt.date(2026, 12, 3), levels))
    flat = [t for tok in tokens for t in [tok, *(tok.children or [])]]
    assert not [t for t in flat if t.type in ("html_inline", "html_block", "image", "code_block", "fence")]
    headings = [t.tag for t in tokens if t.type == "heading_open"]
    assert headings == ["h1", "h2"] + ["h3"] * len(acts)  # title, the level, one per act: nothing injected
    links = [t.attrs.get("href") for t in flat if t.type == "link_open"]
    assert len(links) == len(acts) + sum(len(a["passages"]) for a in acts)  # the document and each citation
    assert all(str(href).startswith(SERVICE) for href in links), links
