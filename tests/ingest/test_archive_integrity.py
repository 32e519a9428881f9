"""Truncated DOCX and ODT parts are refused as `corrupt_file`, naming the part, before a parser sees them.

odfpy swallows a parse error and keeps what it read before it: an ODT whose `content.xml` was cut (and stored again
with a matching CRC, as a tool writing a partial buffer does) used to be indexed in part, as if it were whole.
"""

from __future__ import annotations

import importlib
import io
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from haystack.dataclasses import ByteStream

from ingest.archive_guard import check_archive
from ingest.components.docx_converter import _convert as convert_docx
from ingest.components.odt_converter import _convert as convert_odt
from ingest.errors import IngestError
from ingest.service import IngestService
from tests.conftest import REPO
from tests.ingest.conftest import markdown
from tests.reliability import zipcraft as zc
from tests.report_pdf import META, blocks

sys.path.insert(0, str(REPO / "corpus"))
_office = importlib.import_module("_render_office")

MAIN = {"odt": "content.xml", "docx": "word/document.xml"}
PARAGRAPH_END = {"odt": b"</text:p>", "docx": b"</w:p>"}
CONVERT = {"odt": convert_odt, "docx": convert_docx}


def render(kind: str) -> bytes:
    return bytes(_office.render_odt(blocks(), META) if kind == "odt" else _office.render_docx(blocks(), META))


def _part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def _replaced(data: bytes, name: str, member: zc.Member) -> bytes:
    return zc.build_zip([member if m.name == name else m for m in zc.members_of(data)])


def cut_mid_element(data: bytes, name: str, kind: str) -> bytes:
    """The XML cut inside a tag and stored again, CRC and sizes matching the cut text."""
    xml = _part(data, name)
    return _replaced(data, name, zc.deflated(name, xml[: len(xml) * 3 // 5]))


def cut_after_paragraph(data: bytes, name: str, kind: str) -> bytes:
    """The XML cut just after a closing paragraph: every element read so far looks whole."""
    xml = _part(data, name)
    end = xml.rindex(PARAGRAPH_END[kind], 0, len(xml) * 3 // 5) + len(PARAGRAPH_END[kind])
    return _replaced(data, name, zc.deflated(name, xml[:end]))


def cut_stream(data: bytes, name: str, kind: str) -> bytes:
    """The compressed stream cut before its end, CRC and sizes those of what it still inflates to."""
    member = next(m for m in zc.members_of(data) if m.name == name)
    payload = member.payload[: len(member.payload) * 2 // 3]
    partial = zlib.decompressobj(-15).decompress(payload)
    return _replaced(data, name, zc.Member(name, payload, zlib.crc32(partial), len(partial)))


def cut_stream_keeping_crc(data: bytes, name: str, kind: str) -> bytes:
    """The compressed stream cut, CRC and size still those of the whole part."""
    member = next(m for m in zc.members_of(data) if m.name == name)
    return _replaced(data, name, zc.Member(name, member.payload[: len(member.payload) * 2 // 3], member.crc,
                                           member.size))


CUTS: list[Callable[[bytes, str, str], bytes]] = [cut_mid_element, cut_after_paragraph, cut_stream,
                                                   cut_stream_keeping_crc]


@pytest.mark.parametrize("cut", CUTS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("kind", ["odt", "docx"])
def test_a_cut_main_part_is_refused_naming_it(kind: str, cut: Callable[[bytes, str, str], bytes]) -> None:
    data = cut(render(kind), MAIN[kind], kind)
    with pytest.raises(IngestError) as refused:
        check_archive(data, kind, "relazione")
    assert refused.value.code == "corrupt_file"
    assert "danneggiato o troncato" in refused.value.message
    assert repr(MAIN[kind]) in refused.value.message


@pytest.mark.parametrize("kind, part", [("odt", "styles.xml"), ("odt", "META-INF/manifest.xml"),
                                        ("docx", "word/styles.xml"), ("docx", "word/_rels/document.xml.rels")])
def test_any_cut_xml_part_is_refused(kind: str, part: str) -> None:
    with pytest.raises(IngestError) as refused:
        check_archive(cut_mid_element(render(kind), part, kind), kind, "relazione")
    assert refused.value.code == "corrupt_file"
    assert repr(part) in refused.value.message


@pytest.mark.parametrize("kind", ["odt", "docx"])
def test_an_intact_document_passes_and_converts(kind: str) -> None:
    data = render(kind)
    check_archive(data, kind, "relazione")
    text, _ = CONVERT[kind](ByteStream(data))
    assert "410 tonnellate" in text


def test_a_batch_reports_the_truncated_files_and_indexes_the_rest(service: IngestService, docs: Path) -> None:
    sidecar = yaml.safe_dump(META, allow_unicode=True)
    files = {"intera.odt": render("odt"), "troncata.odt": cut_after_paragraph(render("odt"), "content.xml", "odt"),
             "troncato.docx": cut_mid_element(render("docx"), "word/document.xml", "docx")}
    for name, data in files.items():
        (docs / name).write_bytes(data)
        (docs / f"{name}.meta.yaml").write_text(sidecar, encoding="utf-8")
    (docs / "buono.md").write_text(markdown(), encoding="utf-8")
    report = service.ingest_paths([docs])
    skipped = {Path(o.source).name: o for o in report.by_status("skipped")}
    assert {name: o.code for name, o in skipped.items()} == {"troncata.odt": "corrupt_file",
                                                            "troncato.docx": "corrupt_file"}
    assert "'content.xml'" in (skipped["troncata.odt"].message or "")
    assert "'word/document.xml'" in (skipped["troncato.docx"].message or "")
    assert sorted(Path(o.source).name for o in report.by_status("indexed")) == ["buono.md", "intera.odt"]
