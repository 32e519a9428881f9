"""A seeded generator of hostile files, each with the outcome ingestion must give it.

`build_cases(seed)` returns `Case`s (file name, bytes, category, expected outcome); `write_cases` writes them in a
folder at test time (nothing binary is committed). Expected outcomes are an error code, or "indexed" for the good
controls mixed in and for files that are hostile only in a way ingestion must neutralise while keeping the text:

- PDFs with JavaScript, launch actions, `javascript:` links or attachments are **indexed by their text**: text
  extraction reads page content streams only, scripts are never run, and `marker` (a word written only inside the
  script or attachment) must never reach the index. The original is stored as sent and served with `CSP: sandbox`.
- A DOCX with XML external entities is indexed without them (python-docx does not resolve entities); an ODT with
  them is refused as corrupt (odfpy parses with defusedxml). Either way the secret file's text never gets in.
- Odd file names (bidi overrides, zero-width characters, NFD accents, 245 bytes, `CON`, `%2f`) are indexed under a
  slug id matching the API's pattern; what people are shown of the name loses invisible and control characters.

The same seed gives the same files (odfpy may order an ODT's XML namespace declarations differently, nothing else).

Text, metadata, HTML and mislabelled files are here; PDFs in `hostile_pdfs.py`, DOCX/ODT containers in
`hostile_archives.py`, file names in `hostile_names.py`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.reliability import pdfcraft as pc

INDEXED = "indexed"
CONSONANTS = "bcdfglmnprstvz"
SECRET = "SEGRETOXXE"  # text of a file outside the corpus that entity tricks try to pull in


@dataclass
class Case:
    name: str
    category: str
    expect: str  # an ingest error code, or "indexed"
    data: bytes = b""
    size: int | None = None  # written as a sparse file of this size instead of `data` (oversized uploads)
    token: str | None = None  # a word only this file's text contains: an indexed file must be found by it
    marker: str | None = None  # a word the index must never contain (scripts, attachments, entity targets)
    note: str = ""


class Words:
    """Unique search tokens and short Italian texts around them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.count = rng, 0

    def token(self) -> str:
        self.count += 1
        n, letters = self.count, []
        while n:
            n, r = divmod(n, len(CONSONANTS))
            letters.append(CONSONANTS[r])
        return "kbz" + "".join(letters)

    def lines(self, token: str) -> list[str]:
        subjects = ["Il comune di Borgo Prova", "La giunta di Valfonda", "L'ufficio tecnico di Roccalta"]
        actions = ["ha avviato il progetto", "ha completato l'intervento", "ha rendicontato l'iniziativa"]
        topics = ["di efficienza energetica degli edifici scolastici", "di raccolta differenziata porta a porta",
                  "di illuminazione pubblica a LED", "di mobilità ciclabile tra le frazioni"]
        return [f"{self.rng.choice(subjects)} {self.rng.choice(actions)} {token}",
                f"{self.rng.choice(topics)}, con risultati misurati nel primo anno.",
                f"Il codice del progetto è {token} e la relazione finale è pubblica."]

    def text(self, token: str) -> str:
        return "\n".join(self.lines(token)) + "\n"


def good(words: Words, category: str, name: str, render: Callable[[list[str]], bytes], note: str = "",
         marker: str | None = None) -> Case:
    token = words.token()
    return Case(name, category, INDEXED, render(words.lines(token)), token=token, marker=marker, note=note)


def text_cases(words: Words, rng: random.Random) -> list[Case]:
    cases: list[Case] = []
    sample = "Perché la città è più verde: l'efficienza è già realtà, € 2.500 di risparmio.\n"
    for ext in (".txt", ".md", ".html"):
        cases += [Case(f"latin1{ext}", "encoding", "bad_encoding", sample.encode("latin-1", "replace")),
                  Case(f"cp1252{ext}", "encoding", "bad_encoding", sample.encode("cp1252"))]
    bad_utf8 = {"overlong": b"\xc0\xaf", "surrogato": b"\xed\xa0\x80", "troncato": b"\xe2\x82",
                "byte-ff": b"\xff", "continuazione-sola": b"\x80\x80"}
    cases += [Case(f"utf8-{name}.txt", "encoding", "bad_encoding", sample.encode() + seq + b" fine\n")
              for name, seq in bad_utf8.items()]
    cases += [Case("utf16le.txt", "encoding", "bad_encoding", sample.encode("utf-16")),
              Case("utf16be.md", "encoding", "bad_encoding", b"\xfe\xff" + sample.encode("utf-16-be")),
              Case("utf32.txt", "encoding", "bad_encoding", sample.encode("utf-32")),
              Case("shift-jis.txt", "encoding", "bad_encoding", "議事録と予算".encode("shift_jis") + b"\n"),
              Case("alti-casuali.md", "encoding", "bad_encoding", bytes(rng.randrange(128, 256) for _ in range(400)))]
    token = words.token()
    cases.append(Case("bom-utf8.txt", "encoding", INDEXED, b"\xef\xbb\xbf" + words.text(token).encode(), token=token,
                      note="UTF-8 with a byte-order mark is UTF-8"))
    for ext in (".pdf", ".docx", ".odt", ".html", ".md", ".txt"):
        cases.append(Case(f"vuoto{ext}", "empty", "empty_file", b""))
    cases += [Case("spazi.txt", "empty", "empty_file", b"   \n\t\n  "),
              Case("a-capo.md", "empty", "empty_file", b"\n" * 500),
              Case("spazi.html", "empty", "empty_file", b" \r\n" * 50),
              Case("solo-metadati.md", "empty", "no_text", b"---\ndoc_type: progetto\ntitle: Vuoto\n---\n"),
              Case("solo-script.html", "empty", "no_text",
                   b"<html><head><script>var a = 1;</script></head><body><nav>Menu</nav></body></html>")]
    big = 100 * 2**20 + 1
    cases += [Case(f"enorme{ext}", "oversized", "too_large", size=big, note="sparse file, 100 MB + 1 byte")
              for ext in (".pdf", ".docx", ".odt", ".txt", ".md")]
    return cases + metadata_cases() + html_cases(words)


def metadata_cases() -> list[Case]:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    inline = "[&a [7, 7, 7, 7, 7, 7, 7, 7, 7], " + ", ".join(
        f"&{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)) + "]"
    return [Case("risate-yaml.md", "metadata", "invalid_metadata",
                 f"---\n{laughs}doc_type: progetto\n---\n# Titolo\n\nTesto.\n".encode(),
                 note="YAML alias bomb: 9^9 elements if expanded"),
            Case("risate-sdg.md", "metadata", "invalid_metadata",
                 f"---\ndoc_type: progetto\nsdg: {inline}\n---\n# Titolo\n\nTesto.\n".encode(),
                 note="the bomb inside a declared field"),
            Case("yaml-python.md", "metadata", "invalid_metadata",
                 b"---\n!!python/object/apply:os.system ['echo hacked']\n---\n# T\n\nTesto.\n"),
            Case("yaml-non-mappa.md", "metadata", "invalid_metadata",
                 b"---\n- solo\n- una lista\n---\n# T\n\nTesto.\n"),
            Case("yaml-rotto.md", "metadata", "invalid_metadata", b"---\ntitle: [non chiuso\n---\n# T\n\nTesto.\n"),
            Case("campo-ignoto.md", "metadata", "invalid_metadata",
                 b"---\ndoc_type: progetto\n__class__: x\n---\n# T\n\nTesto.\n")]


def html_cases(words: Words) -> list[Case]:
    marker = "MARCATORE" + words.token().upper()
    token = words.token()
    page = (f"<html><head><script>alert('{marker}')</script><style>p{{x:'{marker}'}}</style></head><body>"
            f"<iframe src='javascript:{marker}'></iframe><p onclick=\"{marker}()\">{words.text(token)}</p>"
            f"<svg onload=\"{marker}\"><text>{marker}</text></svg><noscript>{marker}</noscript></body></html>")
    nested_token = words.token()
    nested = "<div>" * 5000 + f"<p>{words.text(nested_token)}</p>" + "</div>" * 5000
    return [Case("script-e-gestori.html", "html", INDEXED, page.encode(), token=token, marker=marker),
            Case("annidato-5000.html", "html", INDEXED, f"<html><body>{nested}</body></html>".encode(),
                 token=nested_token, note="5,000 nested divs"),
            Case("latin1-dichiarato.html", "html", "bad_encoding",
                 "<html><head><meta charset='iso-8859-1'></head><body><p>Città più verde</p></body></html>"
                 .encode("latin-1"), note="non-UTF-8 HTML is refused even when it declares its charset")]


def write_cases(folder: Path, cases: list[Case]) -> list[Path]:
    """Each case in `folder` under its own name; oversized ones as sparse files (no disk, no memory)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for case in cases:
        path = folder / case.name
        if case.size is not None:
            with path.open("wb") as out:
                out.truncate(case.size)
        else:
            path.write_bytes(case.data)
        paths.append(path)
    return paths


def build_cases(seed: int, secret: Path) -> list[Case]:
    """Every hostile file and control, the same bytes for the same seed; `secret` is a file entity tricks aim at."""
    from tests.reliability.hostile_archives import container_cases
    from tests.reliability.hostile_names import name_cases
    from tests.reliability.hostile_pdfs import pdf_cases

    rng = random.Random(seed)
    words = Words(rng)
    cases = pdf_cases(words, rng) + text_cases(words, rng) + container_cases(words, rng, "docx", secret)
    cases += container_cases(words, rng, "odt", secret) + name_cases(words) + wrong_extension_cases(words, rng)
    cases += control_cases(words)
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise ValueError("duplicate case names")
    return cases


def wrong_extension_cases(words: Words, rng: random.Random) -> list[Case]:
    from tests.reliability.hostile_archives import docx_bytes, odt_bytes

    pdf = pc.text_pdf([words.lines("x")])
    docx, odt = docx_bytes(words.lines("x")), odt_bytes(words.lines("x"))
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(200)
    elf = b"\x7fELF\x02\x01\x01\x00" + rng.randbytes(500)
    gzip = b"\x1f\x8b\x08\x00" + rng.randbytes(300)
    html = words.text(words.token()).encode().join([b"<html><body><p>", b"</p></body></html>"])
    pairs = [(pdf, ".docx"), (pdf, ".odt"), (pdf, ".txt"), (pdf, ".md"), (pdf, ".html"), (docx, ".pdf"),
             (docx, ".txt"), (odt, ".pdf"), (odt, ".md"), (png, ".pdf"), (png, ".docx"), (png, ".txt"),
             (elf, ".md"), (elf, ".odt"), (gzip, ".txt"), (gzip, ".html"), (html, ".pdf"), (html, ".docx"),
             (b"MZ\x90\x00" + rng.randbytes(300), ".pdf"), (b"%PDF-1.7 ma in realta testo\n", ".txt")]
    return [Case(f"travestito-{i:02d}{ext}", "wrong_extension", "type_mismatch", data)
            for i, (data, ext) in enumerate(pairs)]


def control_cases(words: Words) -> list[Case]:
    """Good files of every format, mixed into the batch: they must be indexed and found."""
    from tests.reliability.hostile_archives import docx_bytes, odt_bytes

    def html(lines: list[str]) -> bytes:
        return ("<html><body><h1>Relazione</h1>" + "".join(f"<p>{line}</p>" for line in lines)
                + "</body></html>").encode()

    def markdown(lines: list[str]) -> bytes:
        return ("# Relazione di controllo\n\n" + "\n\n".join(lines) + "\n").encode()

    renders: list[tuple[str, Callable[[list[str]], bytes]]] = [
        ("controllo.pdf", lambda ls: pc.text_pdf([ls, ls[::-1]])), ("controllo.docx", docx_bytes),
        ("controllo.odt", odt_bytes), ("controllo.html", html), ("controllo.md", markdown),
        ("controllo.txt", lambda ls: "\n".join(ls).encode()),
        ("controllo-accenti-è.md", lambda ls: markdown([*ls, "Perché è già così: città più verde."]))]
    return [good(words, "control", name, render) for name, render in renders]
