"""Metadata parsing never fails in an unplanned way: whatever the bytes, the YAML or the values, front matter and
sidecars end in metadata or in an `IngestError` (a file reported and skipped), and `DocumentMetadata` in a model or
a `ValidationError` (an Italian 422 in the API). Anything else would stop a batch or answer 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from ingest.errors import IngestError
from ingest.metadata import resolve_metadata, split_front_matter
from kb.storage.schema import DocumentMetadata
from tests.properties.budget import bounded

FIELDS = sorted(DocumentMetadata.model_fields)
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**20), max_value=10**20),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
                    st.dates().map(str), st.sampled_from(["buona_pratica", "bando", "2025-06-30", "2024-02-30",
                                                          "Lombardia", "si", "no", "~", "null", ".inf"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=12)
metadata_dicts = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=12)), values, max_size=8)
# YAML as people (and attackers) write it: valid documents, broken ones, tags, anchors, dates that do not exist
yaml_snippets = st.sampled_from([
    "doc_type: bando\ndeadline: 2025-02-30\n", "year: 2024-13-01\n", "a: &x [1, *x]\n", "!!python/object:os.system\n",
    "sdg: [1, 2\n", "title: 'non chiusa\n", "? [a, b]\n: c\n", "- 1\n- 2\n", "doc_type: !!binary aGVsbG8=\n",
    "opening_date: 2025-06-31T25:61:00\n", "popolazione: 1e400\n", "\t- tab\n", "%YAML 9.9\n---\n",
    "a: " + "[" * 200 + "]" * 200 + "\n", "k: 0x_\n", "date: 2001-12-14t21:59:43.10-25:00\n",
])
yaml_texts = st.one_of(metadata_dicts.map(lambda d: yaml.safe_dump(d, allow_unicode=True)), yaml_snippets,
                       st.text(max_size=200), st.lists(yaml_snippets, max_size=4).map("".join))
raw_bytes = st.one_of(st.binary(max_size=300), yaml_texts.map(lambda t: t.encode("utf-8", "surrogatepass")))


def _only_planned_errors(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except (IngestError, ValidationError):
        return None


@bounded(300, report_multiple_bugs=False)
@given(raw_bytes, st.binary(max_size=100))
def test_front_matter_is_metadata_or_an_ingest_error(front: bytes, body: bytes) -> None:
    data = b"---\n" + front + b"\n---\n" + body
    result = _only_planned_errors(split_front_matter, data, "prova.md")
    if result is not None:
        meta, rest = result
        assert isinstance(meta, dict) and data.endswith(rest)


@bounded(300)
@given(metadata_dicts, metadata_dicts)
def test_resolved_metadata_is_valid_or_an_ingest_error(front_matter: dict[str, Any],
                                                       overrides: dict[str, Any]) -> None:
    resolved = _only_planned_errors(resolve_metadata, Path("/nessuna/cartella/prova.md"), front_matter, overrides,
                                    {"doc_type": "progetto"})
    if resolved is not None:  # typed, or left for the text to type when a source sets doc_type to null
        assert isinstance(resolved, DocumentMetadata) == (resolved.doc_type is not None)
        type(resolved).model_validate(resolved.model_dump())  # what is accepted stays valid


@bounded(300)
@given(metadata_dicts)
def test_document_metadata_validates_or_refuses_in_italian(data: dict[str, Any]) -> None:
    try:
        meta = DocumentMetadata.model_validate(data)
    except ValidationError as exc:
        assert exc.errors()
        return
    assert meta.doc_type is not None and all(1 <= s <= 17 for s in meta.sdg)


@bounded(200, report_multiple_bugs=False)
@given(yaml_texts)
def test_sidecars_are_metadata_or_an_ingest_error(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    folder = tmp_path_factory.mktemp("sidecar")
    document = folder / "relazione.pdf"
    (folder / "relazione.pdf.meta.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    _only_planned_errors(resolve_metadata, document, {}, None, {"doc_type": "progetto"})
