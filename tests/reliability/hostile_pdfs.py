"""Hostile PDFs: truncated, corrupt (structure, streams, recursion), encrypted (RC4 and forged AES), with scripts
and attachments, with too many pages or inflating contents. See `hostile_files.py` for `Case` and the outcomes."""

from __future__ import annotations

import io
import random
from collections.abc import Callable

from tests.reliability import pdfcraft as pc
from tests.reliability.hostile_files import Case, Words, good


def pdf_cases(words: Words, rng: random.Random) -> list[Case]:
    cases: list[Case] = []
    base = pc.text_pdf([words.lines(words.token()) for _ in range(6)])
    for i in range(20):  # cut anywhere from the header to the last bytes of %%EOF
        cut = max(10, int(len(base) * (i + 1) / 21)) if i < 18 else len(base) - (4 + 3 * (i - 18))
        cases.append(Case(f"troncato-{i:02d}.pdf", "pdf_truncated", "corrupt_file", base[:cut],
                          note=f"{cut} of {len(base)} bytes"))
    garbage = [bytes(rng.randrange(256) for _ in range(3000)) for _ in range(3)]
    cases += [Case("solo-intestazione.pdf", "pdf_corrupt", "corrupt_file", b"%PDF-1.7\n%%EOF\n"),
              *(Case(f"spazzatura-{i}.pdf", "pdf_corrupt", "corrupt_file", b"%PDF-1.4\n" + g + b"\n%%EOF\n")
                for i, g in enumerate(garbage)),
              Case("senza-radice.pdf", "pdf_corrupt", "corrupt_file",
                   base.replace(b"/Root 1 0 R", b"/Roxx 1 0 R").replace(b"/Type /Catalog", b"/Type /Catalxx")),
              Case("albero-ciclico.pdf", "pdf_corrupt", "corrupt_file", pc.cyclic_tree_pdf(words.lines("x"))),
              Case("kids-non-array.pdf", "pdf_corrupt", "corrupt_file",
                   pc.text_pdf([words.lines("x")]).replace(b"/Kids [10 0 R]", b"/Kids 3")),
              Case("annidato-50000.pdf", "pdf_corrupt", "corrupt_file", pc.nested_array_pdf(50_000, ["x"]),
                   note="array nested 50,000 deep: parser recursion"),
              Case("albero-profondo-500.pdf", "pdf_corrupt", "corrupt_file", pc.deep_tree_pdf(500, ["x"]))]
    for i in range(8):  # flipped bytes inside the compressed text of a page
        data = bytearray(pc.text_pdf([words.lines(words.token())]))
        start = data.index(b"stream\n", data.index(b"11 0 obj")) + 7
        end = data.index(b"\nendstream", start)
        for _ in range(3):
            at = rng.randrange(start + 2, end - 4)
            data[at] ^= 1 + rng.randrange(255)
        cases.append(Case(f"flusso-alterato-{i}.pdf", "pdf_corrupt", "corrupt_file", bytes(data)))
    cases.append(good(words, "pdf_structure", "albero-profondo-8.pdf", lambda ls: pc.deep_tree_pdf(8, ls),
                      note="a legitimately nested page tree"))
    cases.append(good(words, "pdf_structure", "conteggio-falso.pdf",
                      lambda ls: pc.lying_count_pdf(ls, 1_000_000_000),
                      note="/Count claims a billion pages; the walked tree has one, which is what is read"))
    cases += [Case("pagine-2001.pdf", "pdf_pages", "too_many_pages", pc.blank_pages_pdf(2001)),
              Case("pagine-3000.pdf", "pdf_pages", "too_many_pages", pc.blank_pages_pdf(3000)),
              Case("pagine-2500-dichiarate-1.pdf", "pdf_pages", "too_many_pages", pc.blank_pages_pdf(2500, 1)),
              Case("pagine-2001-dichiarate-0.pdf", "pdf_pages", "too_many_pages", pc.blank_pages_pdf(2001, 0))]
    cases += [Case("bomba-contenuto-80mb.pdf", "pdf_content", "content_too_large", pc.content_bomb_pdf(80, 1),
                   note="one stream over pypdf's 75 MB cap"),
              Case("bomba-contenuto-5x60mb.pdf", "pdf_content", "content_too_large", pc.content_bomb_pdf(60, 5),
                   note="five pages sharing a 60 MB stream: 300 MB in all")]
    return cases + encrypted_cases(words, rng) + active_cases(words) + empty_pdf_cases(words)


def encrypted_cases(words: Words, rng: random.Random) -> list[Case]:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject

    def rc4(lines: list[str], user: str, algorithm: str) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pc.text_pdf([lines]))))
        ident = ByteStringObject(rng.randbytes(16))  # pypdf draws a random file id: seeded instead
        writer._ID = ArrayObject([ident, ident])
        writer.generate_file_identifiers = lambda: None  # type: ignore[method-assign]
        writer.encrypt(user_password=user, owner_password="proprietario-" + user, algorithm=algorithm)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    cases = [Case(f"cifrato-{alg.lower()}-{pw}.pdf", "pdf_encrypted", "pdf_encrypted",
                  rc4(words.lines(words.token()), pw, alg))
             for alg in ("RC4-40", "RC4-128") for pw in ("segreto", "x")]
    cases += [Case(f"cifrato-aes-r{rev}-{i}.pdf", "pdf_encrypted", "pdf_encrypted",
                   pc.forged_encryption_pdf(words.lines("x"), rev, rng.randbytes(8)),
                   note="AES needs the optional cryptography package; refused as encrypted either way")
              for rev in (4, 6) for i in range(2)]
    cases += [good(words, "pdf_encrypted", f"solo-permessi-{alg.lower()}.pdf", lambda ls, a=alg: rc4(ls, "", a),
                   note="owner password only: readable with the empty password, so indexed")
              for alg in ("RC4-40", "RC4-128")]
    return cases


def active_cases(words: Words) -> list[Case]:
    """Scripts and attachments: indexed by their page text, the marker inside the active part never indexed."""
    def js(marker: str) -> bytes:
        script = b"app.alert\\('%s'\\); this.exportDataObject\\({cName: 'x'}\\)" % marker.encode()
        return b"<< /S /JavaScript /JS (%s) >>" % script

    variants: list[tuple[str, Callable[[list[str], str], bytes]]] = [
        ("js-apertura", lambda ls, m: pc.text_pdf([ls], catalog_extra=b"/OpenAction 1000 0 R ",
                                                   extra_objects={1000: js(m)})),
        ("js-nomi", lambda ls, m: pc.text_pdf([ls], catalog_extra=b"/Names << /JavaScript << /Names [(a) 1000 0 R] "
                                              b">> >> ", extra_objects={1000: js(m)})),
        ("js-pagina", lambda ls, m: pc.text_pdf([ls], page_extra=b"/AA << /O 1000 0 R >> ",
                                                extra_objects={1000: js(m)})),
        ("lancio-programma", lambda ls, m: pc.text_pdf([ls], catalog_extra=b"/OpenAction 1000 0 R ", extra_objects={
            1000: b"<< /S /Launch /F (%s.exe) /Win << /F (cmd.exe) /P (/c %s) >> >>" % (m.encode(), m.encode())})),
        ("link-javascript", lambda ls, m: pc.text_pdf([ls], page_extra=b"/Annots [1000 0 R] ", extra_objects={
            1000: b"<< /Type /Annot /Subtype /Link /Rect [50 700 300 720] /A << /S /URI /URI (javascript:%s\\(\\)) "
                  b">> >>" % m.encode()})),
        ("allegato", lambda ls, m: pc.text_pdf([ls], catalog_extra=b"/Names << /EmbeddedFiles << /Names [(a.js) "
                                               b"1001 0 R] >> >> ", extra_objects={
            1000: pc.stream(f"app.alert('{m}')".encode(), extra=b"/Type /EmbeddedFile "),
            1001: b"<< /Type /Filespec /F (a.js) /EF << /F 1000 0 R >> >>"})),
        ("modulo-xfa", lambda ls, m: pc.text_pdf([ls], catalog_extra=b"/AcroForm << /Fields [] /XFA 1000 0 R >> ",
                                                 extra_objects={1000: pc.stream(
                                                     f"<xdp><script>{m}</script></xdp>".encode())})),
    ]
    cases = []
    for name, render in variants:
        marker = "MARCATORE" + words.token().upper()
        cases.append(good(words, "pdf_active", f"{name}.pdf", lambda ls, r=render, m=marker: r(ls, m), marker=marker,
                          note="scripts never run, never indexed; page text indexed"))
    return cases


def empty_pdf_cases(words: Words) -> list[Case]:
    no_pages = pc.raw_pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [] /Count 0 >>"})
    return [Case("zero-pagine.pdf", "empty", "empty_file", no_pages),
            Case("pagine-bianche.pdf", "empty", "needs_ocr", pc.blank_pages_pdf(3),
                 note="no text layer and OCR off for this batch")]
