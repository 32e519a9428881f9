"""A zip writer that does what real archivers refuse to: bombs, hostile member names, overlapping and lying entries.

Bombs are real: `repeat_deflate` repeats one compressed block (ended by a full flush, so blocks are independent)
and closes the stream, so a 1 MB chunk compressed once stands for hundreds of MB that a parser would inflate. CRCs
are those of the inflated data, so without the guard a parser would really inflate all of it.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

_FINAL_EMPTY_BLOCK = b"\x03\x00"


@dataclass
class Member:
    name: str | bytes
    payload: bytes  # the bytes as stored in the archive (raw deflate or plain)
    crc: int
    size: int  # inflated size, as declared
    method: int = zipfile.ZIP_DEFLATED
    flags: int = 0
    alias_of: int | None = None  # central entry pointing at another member's local header (overlap)

    @property
    def raw_name(self) -> bytes:
        return self.name if isinstance(self.name, bytes) else self.name.encode("utf-8")


def deflated(name: str | bytes, data: bytes) -> Member:
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Member(name, co.compress(data) + co.flush(), zlib.crc32(data), len(data))


def stored(name: str | bytes, data: bytes) -> Member:
    return Member(name, data, zlib.crc32(data), len(data), method=zipfile.ZIP_STORED)


def repeat_deflate(name: str, chunk: bytes, times: int) -> Member:
    """A member inflating to `chunk * times`, costing about `times` compressed copies of one block."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    return Member(name, block * times + _FINAL_EMPTY_BLOCK, crc, len(chunk) * times)


def members_of(archive: bytes) -> list[Member]:
    """The members of a real archive (a DOCX or ODT made by its library), recompressed as they were."""
    out = []
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        for info in zf.infolist():
            data = zf.read(info)
            out.append(stored(info.filename, data) if info.compress_type == zipfile.ZIP_STORED
                       else deflated(info.filename, data))
    return out


def build_zip(members: list[Member]) -> bytes:
    out = bytearray()
    offsets: list[int] = []
    for m in members:
        if m.alias_of is not None:
            offsets.append(offsets[m.alias_of])
            continue
        offsets.append(len(out))
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, m.flags, m.method, 0, 0x21, m.crc, len(m.payload),
                           m.size, len(m.raw_name), 0)
        out += m.raw_name + m.payload
    central = bytearray()
    for m, offset in zip(members, offsets, strict=True):
        source = members[m.alias_of] if m.alias_of is not None else m
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, m.flags, m.method, 0, 0x21, m.crc,
                               len(source.payload), m.size, len(m.raw_name), 0, 0, 0, 0, 0, offset)
        central += m.raw_name
    start = len(out)
    out += central
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), start, 0)
    return bytes(out)
