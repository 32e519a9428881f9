"""Hostile DOCX and ODT containers: zip bombs (size, ratio, count, overlap), hostile member names, lying headers,
truncation, mislabelled archives, password protection, XML entity tricks. See `hostile_files.py` for `Case`."""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.reliability import zipcraft as zc
from tests.reliability.hostile_files import INDEXED, SECRET, Case, Words

MIB = 2**20
MAIN = {"docx": "word/document.xml", "odt": "content.xml"}


def docx_bytes(lines: list[str]) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Relazione di progetto", 1)
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return zc.build_zip(zc.members_of(out.getvalue()))  # fixed dates: the same bytes on every run


def odt_bytes(lines: list[str]) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Relazione di progetto"))
    for line in lines:
        document.text.addElement(P(text=line))
    out = io.BytesIO()
    document.save(out)
    return zc.build_zip(zc.members_of(out.getvalue()))


def _with(archive: bytes, replace: dict[str, zc.Member] | None = None, add: list[zc.Member] | None = None,
          edit: Callable[[list[zc.Member]], list[zc.Member]] | None = None) -> bytes:
    members = [(replace or {}).get(str(m.name), m) for m in zc.members_of(archive)] + list(add or [])
    return zc.build_zip(edit(members) if edit else members)


def _entity(xml: bytes, doctype: bytes, reference: bytes) -> bytes:
    body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", xml)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + doctype + b"\n" + body.replace(
        b"Relazione di progetto", b"Relazione di progetto " + reference, 1)


def container_cases(words: Words, rng: random.Random, kind: str, secret: Path) -> list[Case]:
    """The same attacks on a DOCX and on an ODT (`kind`); names are prefixed with the kind."""
    make = docx_bytes if kind == "docx" else odt_bytes
    main, ext = MAIN[kind], f".{kind}"
    base = make(words.lines(words.token()))

    def case(name: str, category: str, expect: str, data: bytes, note: str = "") -> Case:
        return Case(f"{kind}-{name}{ext}", category, expect, data, note=note)

    zeros = b"\0" * MIB
    noisy = rng.randbytes(8192) * 128  # an 8 KB random block repeated: ~125:1, under the ratio limit
    cases = [
        case("bomba-membro-256mb", "zip_bomb", "archive_too_large",
             _with(base, {main: zc.repeat_deflate(main, zeros, 256)}), "one member inflating to 256 MB (~1000:1)"),
        case("bomba-rapporto-40mb", "zip_bomb", "unsafe_archive",
             _with(base, {main: zc.repeat_deflate(main, zeros, 40)}), "40 MB at ~1000:1: under the size limits"),
        case("bomba-rapporto-immagine", "zip_bomb", "unsafe_archive",
             _with(base, add=[zc.repeat_deflate("Pictures/vuota.bmp", zeros, 8)]), "an 8 MB 'image' at ~1000:1"),
        case("bomba-totale-5x60mb", "zip_bomb", "archive_too_large",
             _with(base, add=[zc.repeat_deflate(f"media/parte{i}.bin", noisy, 60) for i in range(5)]),
             "five 60 MB members at ~125:1, 300 MB in all"),
        case("bomba-conteggio-12000", "zip_bomb", "unsafe_archive",
             _with(base, add=[zc.stored(f"x/{i}.xml", b"") for i in range(12_000)]), "12,000 empty members"),
        case("bomba-sovrapposta", "zip_bomb", "unsafe_archive",
             _with(base, add=[zc.repeat_deflate("nucleo.bin", zeros, 4)],
                   edit=lambda ms: ms + [_alias(ms, len(ms) - 1, f"copia{i}.bin") for i in range(30)]),
             "30 central entries over one 4 MB kernel (the non-recursive zip bomb)"),
        case("dimensione-mentita", "zip_lying", "corrupt_file",
             _with(base, {main: _lie(zc.repeat_deflate(main, zeros, 64), 4096)}),
             "declares 4 KB, inflates to 64 MB: zipfile stops at 4 KB and fails the CRC"),
    ]
    for i, name in enumerate(["../../../tmp/evil.xml", "/etc/passwd", "C:\\Windows\\evil.xml",
                              "word/../../fuori.xml", "..\\..\\evil.xml", ""]):
        cases.append(case(f"nome-ostile-{i}", "zip_names", "unsafe_archive",
                          _with(base, add=[zc.deflated(name, b"<x/>")]), f"member {name!r}"))
    cases += [
        case("membro-duplicato", "zip_names", "unsafe_archive", _with(base, add=[zc.deflated(main, b"<x/>")])),
        case("membro-cifrato", "zip_flags", "unsafe_archive",
             _with(base, add=[_flagged(zc.deflated("segreto.xml", b"<x/>"), 0x1)])),
        case("metodo-bzip2", "zip_flags", "unsafe_archive",
             _with(base, add=[_method(zc.deflated("strano.xml", b"<x/>"), zipfile.ZIP_BZIP2)])),
    ]
    for i in range(6):
        cut = int(len(base) * (i + 1) / 7)
        cases.append(case(f"troncato-{i}", "zip_truncated", "corrupt_file", base[:cut], f"{cut} of {len(base)}"))
    for i in range(3):
        data = bytearray(base)
        start = data.index(main.encode()) + len(main)  # first local header's data: flip bytes in the main part
        for _ in range(4):
            data[start + 40 + rng.randrange(200)] ^= 1 + rng.randrange(255)
        cases.append(case(f"dati-alterati-{i}", "zip_corrupt", "corrupt_file", bytes(data)))
    return cases + _kind_cases(words, kind, base, case, secret)


def _kind_cases(words: Words, kind: str, base: bytes, case: Callable[..., Case], secret: Path) -> list[Case]:
    main = MAIN[kind]
    other = odt_bytes(words.lines("x")) if kind == "docx" else docx_bytes(words.lines("x"))
    plain_zip = zc.build_zip([zc.deflated("leggimi.txt", b"un archivio qualunque")])
    cases = [case("altro-formato", "wrong_extension", "type_mismatch", other),
             case("zip-qualunque", "wrong_extension", "type_mismatch", plain_zip),
             case("ole-doc", "wrong_extension", "type_mismatch", _ole(b"WordDocument")),
             case("ole-cifrato", "encrypted", "document_encrypted", _ole(b"EncryptedPackage"))]
    if kind == "docx":
        xlsx = zc.build_zip([zc.deflated("[Content_Types].xml", b'<Types><Override ContentType="application/'
                                         b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'),
                             zc.deflated("xl/workbook.xml", b"<workbook/>")])
        cases.append(case("foglio-xlsx", "wrong_extension", "type_mismatch", xlsx))
    else:
        ods = _with(base, {"mimetype": zc.stored("mimetype", b"application/vnd.oasis.opendocument.spreadsheet")})
        manifest = (b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                    b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
                    b'<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="AAAA"/>'
                    b"</manifest:file-entry></manifest:manifest>")
        encrypted = _with(base, {"META-INF/manifest.xml": zc.deflated("META-INF/manifest.xml", manifest),
                                 "content.xml": zc.stored("content.xml", bytes(range(256)) * 8)})
        cases += [case("foglio-ods", "wrong_extension", "type_mismatch", ods),
                  case("cifrato-odf", "encrypted", "document_encrypted", encrypted)]

    def entities(name: str, doctype: bytes, reference: bytes, expect: str, note: str) -> Case:
        token = words.token()
        document = make_with(kind, words, token)
        xml = {str(m.name): m for m in zc.members_of(document)}[main]
        data = _with(document, {main: zc.deflated(main, _entity(_inflate(xml), doctype, reference))})
        found = case(name, "xml_entities", expect, data, note)
        found.token, found.marker = (token if expect == INDEXED else None), SECRET
        return found

    target = f"file://{secret}".encode()
    lol = b'<!DOCTYPE r [<!ENTITY a "lollollollollollollollollol">' + b"".join(
        b'<!ENTITY %s "%s">' % (bytes([98 + i]), b"&%s;" % bytes([97 + i]) * 10) for i in range(9)) + b"]>"
    refused = "odfpy parses with defusedxml: entities refused"
    cases += [entities("entita-esterna", b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "%s">]>' % target, b"&xxe;",
                       INDEXED if kind == "docx" else "corrupt_file",
                       "python-docx leaves the entity unresolved" if kind == "docx" else refused),
              entities("entita-parametro", b'<!DOCTYPE r [<!ENTITY %% p SYSTEM "%s"> %%p;]>' % target, b"",
                       INDEXED if kind == "docx" else "corrupt_file",
                       "external parameter entity: never loaded" if kind == "docx" else refused),
              entities("miliardo-di-risate", lol, b"&j;", "corrupt_file",
                       "libxml2's amplification limit" if kind == "docx" else refused)]
    inner = zc.build_zip([zc.repeat_deflate("dentro.bin", b"\0" * MIB, 200)])
    nested_token = words.token()
    cases.append(Case(f"{kind}-bomba-annidata.{kind}", "zip_nested", INDEXED,
                      _with(make_with(kind, words, nested_token), add=[zc.stored("media/allegato.zip", inner)]),
                      token=nested_token, note="a 200 MB zip bomb stored inside as a file: never opened"))
    return cases


def make_with(kind: str, words: Words, token: str) -> bytes:
    return (docx_bytes if kind == "docx" else odt_bytes)(words.lines(token))


def _inflate(member: zc.Member) -> bytes:
    import zlib

    return member.payload if member.method == zipfile.ZIP_STORED else zlib.decompress(member.payload, -15)


def _alias(members: list[zc.Member], index: int, name: str) -> zc.Member:
    kernel = members[index]
    return zc.Member(name, kernel.payload, kernel.crc, kernel.size, alias_of=index)


def _lie(member: zc.Member, size: int) -> zc.Member:
    return zc.Member(member.name, member.payload, member.crc, size)


def _flagged(member: zc.Member, flags: int) -> zc.Member:
    return zc.Member(member.name, member.payload, member.crc, member.size, member.method, flags)


def _method(member: zc.Member, method: int) -> zc.Member:
    return zc.Member(member.name, member.payload, member.crc, member.size, method)


def _ole(stream_name: bytes) -> bytes:
    """The start of a Compound File (what Word 97-2003 and password-protected Office files are) with one directory
    entry name; enough for a content check, like the first sector of the real thing."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
    entry = stream_name.decode().encode("utf-16-le").ljust(64, b"\0")
    return header.ljust(512, b"\0") + entry.ljust(128, b"\0") + b"\0" * 384
