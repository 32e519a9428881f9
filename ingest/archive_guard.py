"""DOCX and ODT containers (zip archives) checked from their headers before any parser opens them.

python-docx and odfpy read every member of the archive into memory, so a crafted archive (a "zip bomb": kilobytes
that inflate to gigabytes, or a million tiny members) must be refused from the central directory alone, before a
byte is inflated: member count, declared sizes, compression ratios, member names, overlapping entries. Declared
sizes are binding: `zipfile` never inflates a member past its declared size (it stops and fails the CRC check), so
a member that lies about its size is read as corrupt, not as a bomb.

Only after those checks pass are two tiny members read: the ODF `mimetype` and the OOXML `[Content_Types].xml`
(what the archive really is), and the ODF manifest (whether the document is password-protected). Then every member
is read to its end, in blocks, so that zipfile checks its CRC, and every XML member is parsed strictly on the way:
odfpy swallows a parse error and keeps what it read before it, so a truncated `content.xml` would be indexed in part
as if it were whole (python-docx does refuse one; the check here gives both formats the same reason).
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.parsers import expat

from ingest.errors import IngestError

MIB = 2**20
MAX_MEMBERS = 10_000  # a long report with many images has a few hundred
MAX_MEMBER_BYTES = 64 * MIB  # one XML part or image, inflated
MAX_TOTAL_BYTES = 256 * MIB  # everything a parser would hold in memory
MAX_RATIO = 200  # deflate tops out near 1032:1; real text XML stays well under 100:1 (a 3,000-row empty table: 164)
RATIO_GRACE_BYTES = 2 * MIB  # smaller members may compress as much as they like
MAX_DESCRIPTOR_BYTES = MIB  # mimetype, [Content_Types].xml, manifest.xml
_ALLOWED_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_CENTRAL_ENTRY = b"PK\x01\x02"
_LOCAL_HEADER_BYTES = 30
_DRIVE = re.compile(r"^[A-Za-z]:")
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_DOCX_MAIN = b"wordprocessingml.document.main+xml"
_XML_SUFFIXES = (".xml", ".rels")  # XML parts by name (OOXML relationships end in .rels)
_READ_BLOCK = MIB


def check_archive(data: bytes, kind: str, source: str) -> None:
    """Refuse an unsafe, oversized, corrupt or mislabelled container; `kind` is "docx" or "odt"."""
    if kind not in ("docx", "odt"):
        raise ValueError(f"kind deve essere 'docx' o 'odt', non {kind!r}")
    # Counted on the raw bytes, before zipfile builds an object per entry (2 million fit in 100 MB).
    if data.count(_CENTRAL_ENTRY) > MAX_MEMBERS:
        raise IngestError("unsafe_archive", f"il documento contiene troppi file interni (oltre {MAX_MEMBERS})",
                          source)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as exc:
        raise IngestError("corrupt_file", f"archivio {kind.upper()} danneggiato o troncato ({exc})", source) from exc
    _check_members(infos, len(data), source)
    _check_kind(archive, kind, source)
    _check_integrity(archive, infos, kind, source)


def _check_members(infos: list[zipfile.ZipInfo], size: int, source: str) -> None:
    if len(infos) > MAX_MEMBERS:
        raise IngestError("unsafe_archive", f"il documento contiene troppi file interni ({len(infos)}, limite "
                          f"{MAX_MEMBERS})", source)
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if _unsafe_name(name):
            raise IngestError("unsafe_archive", f"nome di file interno non ammesso: {name[:80]!r}", source)
        if name in seen:
            raise IngestError("unsafe_archive", f"file interno ripetuto: {name[:80]!r}", source)
        seen.add(name)
        if info.flag_bits & 0x1:
            raise IngestError("unsafe_archive", f"file interno cifrato: {name[:80]!r}", source)
        if info.compress_type not in _ALLOWED_METHODS:
            raise IngestError("unsafe_archive", f"metodo di compressione non ammesso ({info.compress_type}) per "
                              f"{name[:80]!r}", source)
        if info.file_size > MAX_MEMBER_BYTES:
            raise IngestError("archive_too_large", f"il file interno {name[:80]!r} occupa {_mb(info.file_size)} "
                              f"una volta decompresso (limite {_mb(MAX_MEMBER_BYTES)})", source)
        if info.file_size > RATIO_GRACE_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise IngestError("unsafe_archive", f"rapporto di compressione anomalo per {name[:80]!r} ({ratio}:1, "
                              f"limite {MAX_RATIO}:1)", source)
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise IngestError("archive_too_large", f"il documento occupa oltre {_mb(MAX_TOTAL_BYTES)} una volta "
                              "decompresso", source)
    _check_layout(infos, size, source)


def _check_layout(infos: list[zipfile.ZipInfo], size: int, source: str) -> None:
    """Each member's bytes lie inside the file and apart from the others (overlapping entries multiply one
    compressed stream into many members: the "non-recursive" zip bomb)."""
    spans = sorted((i.header_offset, i.header_offset + _LOCAL_HEADER_BYTES + i.compress_size, i.filename)
                   for i in infos)
    for (start, end, name), following in zip(spans, [*spans[1:], None], strict=True):
        limit = following[0] if following is not None else size
        if start < 0 or end > limit:
            raise IngestError("unsafe_archive", f"file interni sovrapposti o fuori dall'archivio ({name[:80]!r})",
                              source)


def _unsafe_name(name: str) -> bool:
    parts = name.split("/")
    return (not name or name.startswith("/") or "\\" in name or "\x00" in name or bool(_DRIVE.match(name))
            or ".." in parts)


def _check_kind(archive: zipfile.ZipFile, kind: str, source: str) -> None:
    names = set(archive.namelist())
    mimetype = _small(archive, "mimetype", source).strip() if "mimetype" in names else None
    content_types = _small(archive, "[Content_Types].xml", source) if "[Content_Types].xml" in names else None
    if kind == "docx":
        if content_types is not None and _DOCX_MAIN in content_types:
            return
        what = ("un documento OpenDocument" if mimetype is not None else
                "un altro documento Office (foglio di calcolo o presentazione)" if content_types is not None else
                "un archivio ZIP")
        raise IngestError("type_mismatch", f"l'estensione è .docx ma il contenuto è {what}", source)
    if mimetype is None and content_types is not None:
        raise IngestError("type_mismatch", "l'estensione è .odt ma il contenuto è un documento Word (.docx)", source)
    if mimetype is not None and mimetype != ODT_MIMETYPE:
        shown = mimetype[:80].decode("ascii", "replace")
        raise IngestError("type_mismatch", f"l'estensione è .odt ma il contenuto è un altro tipo di documento "
                          f"OpenDocument ({shown})", source)
    if "content.xml" not in names:
        raise IngestError("type_mismatch" if mimetype is None else "corrupt_file",
                          "l'archivio non contiene il testo di un documento OpenDocument (content.xml)", source)
    manifest = "META-INF/manifest.xml"
    if manifest in names and b"encryption-data" in _small(archive, manifest, source):
        raise IngestError("document_encrypted", "il documento è protetto da password: salvarlo senza password e "
                          "caricarlo di nuovo", source)


def _check_integrity(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], kind: str, source: str) -> None:
    """A member cut or altered fails its CRC; an XML member cut and stored again with a matching CRC is not
    well-formed. Memory stays at one block per member: declared sizes, already bounded, bound what is inflated."""
    for info in infos:
        if info.is_dir():
            continue
        name = info.filename[:80]
        parser = _strict_parser() if info.filename.lower().endswith(_XML_SUFFIXES) else None
        try:
            with archive.open(info) as member:
                while block := member.read(_READ_BLOCK):
                    if parser is not None:
                        parser.Parse(block, False)
            if parser is not None:
                parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise IngestError("corrupt_file", f"documento {kind.upper()} danneggiato o troncato: la parte interna "
                              f"{name!r} non è XML valido ({expat.ErrorString(exc.code)}, riga {exc.lineno})",
                              source) from exc
        except Exception as exc:  # BadZipFile (CRC), EOFError and zlib.error (a cut or altered stream)
            raise IngestError("corrupt_file", f"documento {kind.upper()} danneggiato o troncato: la parte interna "
                              f"{name!r} è illeggibile ({exc})", source) from exc


def _strict_parser() -> expat.XMLParserType:
    """Well-formedness only: no handlers, so no external entity or DTD is ever loaded, and expat (>= 2.4) stops
    entity expansion bombs by itself. Namespaces are not checked: odfpy repairs undeclared ODF prefixes."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _small(archive: zipfile.ZipFile, name: str, source: str) -> bytes:
    """A descriptor member, read only when small (its declared size bounds what zipfile inflates)."""
    if archive.getinfo(name).file_size > MAX_DESCRIPTOR_BYTES:
        raise IngestError("unsafe_archive", f"il file interno {name!r} è troppo grande per un descrittore", source)
    try:
        return archive.read(name)
    except Exception as exc:
        raise IngestError("corrupt_file", f"archivio danneggiato: {name} illeggibile ({exc})", source) from exc


def _mb(size: int) -> str:
    return f"{size / MIB:,.0f} MB".replace(",", ".")
