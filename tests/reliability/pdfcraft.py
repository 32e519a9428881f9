"""Hand-built PDFs for hostile-file tests: every object written out, so each defect is exactly the one intended.

`raw_pdf` lays out numbered objects with a correct xref table; the builders below put text pages, scripts, page
trees (flat, deep, cyclic, lying about their size), content-stream bombs and forged encryption dictionaries in them.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def raw_pdf(objects: dict[int, bytes], root: int = 1, trailer: bytes = b"") -> bytes:
    """Objects `n 0 obj ... endobj` in order, a classic xref table and a trailer pointing at `root`."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    start = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (size, root, trailer, start)
    return bytes(out)


def stream(data: bytes, compress: bool = True, extra: bytes = b"") -> bytes:
    body = zlib.compress(data) if compress else data
    flt = b"/Filter /FlateDecode " if compress else b""
    return b"<< /Length %d %s%s>>\nstream\n%s\nendstream" % (len(body), flt, extra, body)


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def page_content(lines: Sequence[str]) -> bytes:
    """Text lines in Helvetica 11 pt from the top of an A4 page."""
    ops = [b"BT /F1 11 Tf 14 TL 56 790 Td"]
    ops += [b"(%s) '" % _escape(line) for line in lines]
    ops.append(b"ET")
    return b"\n".join(ops)


def text_pdf(pages: Sequence[Sequence[str]], catalog_extra: bytes = b"", page_extra: bytes = b"",
             extra_objects: dict[int, bytes] | None = None, trailer: bytes = b"") -> bytes:
    """One page per entry, each with its text lines. Objects: 1 catalog, 2 pages, 3 font, then page/content pairs;
    `extra_objects` are numbered from 1000 (scripts, attachments) and may be referenced from the extras."""
    objects = {3: FONT, **(extra_objects or {})}
    kids = []
    for i, lines in enumerate(pages):
        page, content = 10 + 2 * i, 11 + 2 * i
        kids.append(b"%d 0 R" % page)
        objects[page] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> "
                         b">> /Contents %d 0 R %s>>" % (content, page_extra))
        objects[content] = stream(page_content(lines))
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog_extra
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(pages))
    return raw_pdf(objects, trailer=trailer)


def blank_pages_pdf(count: int, declared: int | None = None) -> bytes:
    """`count` empty pages in one flat /Kids array; `declared` overrides /Count (a lie)."""
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    kids = b" ".join(b"%d 0 R" % (10 + i) for i in range(count))
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count if declared is None else declared)
    for i in range(count):
        objects[10 + i] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"
    return raw_pdf(objects)


def lying_count_pdf(lines: Sequence[str], declared: int) -> bytes:
    """One real text page under a /Count that claims `declared` pages."""
    return text_pdf([lines]).replace(b"/Count 1 >>", b"/Count %d >>" % declared)


def deep_tree_pdf(depth: int, lines: Sequence[str]) -> bytes:
    """A chain of `depth` /Pages nodes above one text page (real trees are a few levels deep)."""
    objects = {1: b"<< /Type /Catalog /Pages 100 0 R >>", 3: FONT}
    for level in range(depth):
        node, child = 100 + level, 100 + level + 1
        objects[node] = b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % child
    leaf = 100 + depth
    objects[leaf] = (b"<< /Type /Page /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                     b"/Contents 4 0 R >>")
    objects[4] = stream(page_content(lines))
    return raw_pdf(objects)


def cyclic_tree_pdf(lines: Sequence[str]) -> bytes:
    """A /Pages node listing itself among its kids."""
    return text_pdf([lines]).replace(b"/Kids [10 0 R]", b"/Kids [10 0 R 2 0 R]").replace(b"/Count 1 >>",
                                                                                      b"/Count 2 >>")


def nested_array_pdf(depth: int, lines: Sequence[str]) -> bytes:
    """A page whose dictionary holds an array nested `depth` levels deep (parser recursion)."""
    return text_pdf([lines], page_extra=b"/Junk " + b"[" * depth + b"]" * depth + b" ")


def content_bomb_pdf(megabytes: int, pages: int) -> bytes:
    """`pages` pages sharing one content stream that inflates to `megabytes` MB of spaces, with a line of text."""
    content = page_content(["Pagina con contenuto gonfiato."]) + b" " * (megabytes * 2**20)
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 3: FONT, 4: stream(content)}
    kids = []
    for i in range(pages):
        kids.append(b"%d 0 R" % (10 + i))
        objects[10 + i] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R "
                           b">> >> /Contents 4 0 R >>")
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), pages)
    return raw_pdf(objects)


def forged_encryption_pdf(lines: Sequence[str], revision: int, seed: bytes) -> bytes:
    """A PDF whose trailer declares Standard-handler encryption (R4 AES-128 or R6 AES-256) with a user password
    nobody knows: hashes derived from `seed`, so no empty password matches them."""
    def hexa(n: int, salt: bytes) -> bytes:
        return b"<" + (zlib.crc32(seed + salt).to_bytes(4, "big") * ((n + 3) // 4))[:n].hex().encode() + b">"

    if revision == 4:
        crypt = (b"<< /Filter /Standard /V 4 /R 4 /Length 128 /P -4 /StmF /StdCF /StrF /StdCF "
                 b"/CF << /StdCF << /CFM /AESV2 /AuthEvent /DocOpen /Length 16 >> >> /O %s /U %s >>"
                 % (hexa(32, b"o"), hexa(32, b"u")))
    else:
        crypt = (b"<< /Filter /Standard /V 5 /R 6 /Length 256 /P -4 /StmF /StdCF /StrF /StdCF "
                 b"/CF << /StdCF << /CFM /AESV3 /AuthEvent /DocOpen /Length 32 >> >> /O %s /U %s /OE %s /UE %s "
                 b"/Perms %s >>" % (hexa(48, b"o"), hexa(48, b"u"), hexa(32, b"oe"), hexa(32, b"ue"), hexa(16, b"p")))
    ident = hexa(16, b"id")
    return text_pdf([lines], extra_objects={1000: crypt}, trailer=b"/Encrypt 1000 0 R /ID [%s %s] " % (ident, ident))
