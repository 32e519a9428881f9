"""File names that try to confuse people or paths: on disk (any byte but `/` and NUL) and as upload names.

On disk, names with a supported extension and good content are indexed under a slug id; what people see of the
name (`source`, the title fallback) loses bidi overrides, zero-width and control characters. Upload names may also
hold `/`, `\\` and `..`: the API keeps only a slug of the last path part, so nothing is written outside its folders.
"""

from __future__ import annotations

from tests.reliability.hostile_files import INDEXED, Case, Words

DISK_NAMES = [
    "fattura\u202efdp.txt",  # shows as "fatturatxt.pdf"
    "rapporto\u2067nascosto\u2069.md",
    "cer\u200b\u200c\u200d-zero-width.md",
    "\ufeffbom-nel-nome.txt",
    "a" * 241 + ".txt",  # 245 bytes: the longest name whose sidecar name (+ ".meta.yaml") still fits in 255
    "a" * 235 + "bbbbbb.txt",  # the same first 100 characters as the previous name
    "citta\u0300-verde.md",  # NFD
    "citt\u00e0-verde.md",  # NFC: another file on Linux, the same slug
    "CON.txt", "NUL.md", "aux.txt", "COM1.md", "LPT1.txt",
    "..%2f..%2fetc%2fpasswd.txt",
    "..\\..\\windows\\system32\\evil.md",
    "emoji-\U0001f331-energia.md",
    "\u65e5\u672c\u8a9e\u306e\u6587\u66f8.md",  # no ASCII at all: slug "documento"
    "\u041a\u0438\u0440\u0438\u043b\u043b\u0438\u0446\u0430-c\u0430it.md",  # Cyrillic homoglyphs
    "riga\nnuova.md",
    "tab\tqui.txt",
    "\x1b[31mrosso\x1b[0m.md",  # terminal escape sequence
    "-rf --no-preserve-root.md",
    "  spazi  iniziali.md",
    "..cer.md",
    "MAIUSCOLO.MD",
    "fattura.pdf.txt",
    "$(rm -rf ~)`id`.md",
    "<img src=x onerror=alert(1)>.md",
    "virgolette'\"e;punto.txt",
    "\u00e0" * 120 + ".md",  # 243 bytes in UTF-8
    "   .md",
]
UNSUPPORTED_NAMES = [".md", "senza-estensione", "documento.md.", "documento.pdf ", "programma.exe",
                     "nascosto.md\u200b", "archivio.zip", "pagina.php"]
UPLOAD_NAMES = [
    "../../etc/passwd.md",
    "..%2f..%2fetc%2fpasswd.txt",
    "/etc/cron.d/evil.md",
    "....//....//evil.txt",
    "..\\..\\evil.md",
    "C:\\Windows\\win.ini.txt",
    "dir/../../../../tmp/kb-evil.md",
    "./.hidden/../x.md",
    "~/.ssh/authorized_keys.md",
    "fattura\u202efdp.txt",
    "CON.txt",
    "a" * 250 + ".md",
    "citta\u0300.md",
    "%00.md",
    "..",
    "/",
]


def name_cases(words: Words) -> list[Case]:
    cases = []
    for name in DISK_NAMES:
        token = words.token()
        cases.append(Case(name, "names", INDEXED, words.text(token).encode(), token=token))
    cases += [Case(name, "names", "unsupported_type", words.text(words.token()).encode())
              for name in UNSUPPORTED_NAMES]
    return cases
