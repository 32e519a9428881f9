"""Build the shipped corpus from corpus/_sources, each document in the format it would really arrive in.

    python corpus/build.py           # write corpus/<type>/<slug>.<ext> (+ <slug>.<ext>.meta.yaml), drop stale files
    python corpus/build.py --check   # exit 1 if what is on disk differs from what the build would write

The format of each source is chosen by _sources/formats.yaml (slug -> md | pdf | pdf-scan | docx | odt | html);
slugs not listed there get a format from a stable hash of the slug (see `hash_format`). Markdown is copied as is;
every other format is the rendered body plus a sidecar holding the front matter verbatim. Output is deterministic:
same sources, same bytes (PDF `invariant=1`, fixed dates in DOCX/ODT, fixed zip timestamps).
"""

import argparse
import hashlib
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CORPUS_DIR = Path(__file__).resolve().parent
if str(CORPUS_DIR) not in sys.path:  # the _render_* helpers live next to this file
    sys.path.insert(0, str(CORPUS_DIR))

from _render_html import render_html  # noqa: E402
from _render_markdown import Block, parse_markdown  # noqa: E402
from _render_office import render_docx, render_odt  # noqa: E402
from _render_pdf import render_pdf  # noqa: E402

SOURCES_DIR = CORPUS_DIR / "_sources"
FORMATS_FILE = SOURCES_DIR / "formats.yaml"
TYPES = ("buone_pratiche", "progetti", "normativa", "bandi")
EXTENSIONS = {"md": "md", "pdf": "pdf", "pdf-scan": "pdf", "docx": "docx", "odt": "odt", "html": "html"}
FORMATS = tuple(EXTENSIONS)
SIDECAR_SUFFIX = ".meta.yaml"
OUTPUT_SUFFIXES = (".md", ".pdf", ".docx", ".odt", ".html", SIDECAR_SUFFIX)
SCAN_PAGE = 2
# Fallback for slugs not in formats.yaml: sha256(slug) mod 100 falls in [previous bound, bound) -> format.
# pdf-scan is never drawn by hash: scans are listed explicitly.
HASH_BUCKETS = (("md", 45), ("pdf", 70), ("docx", 80), ("odt", 90), ("html", 100))
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


class BuildError(Exception):
    """A source or formats.yaml the build cannot use."""


@dataclass(frozen=True)
class Source:
    """One Markdown source: where it lives, its raw bytes, front matter (text and parsed) and body."""

    folder: str
    slug: str
    path: Path
    raw: bytes
    front_matter: str
    meta: dict[str, Any]
    body: str


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter YAML text, body) of a Markdown file; ("", text) when there is none."""
    match = _FRONT_MATTER.match(text)
    return (match.group(1), text[match.end():]) if match else ("", text)


def load_source(path: Path) -> Source:
    """Read and split one source file."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BuildError(f"{path}: not UTF-8 ({exc})") from exc
    front_matter, body = split_front_matter(text)
    if not front_matter:
        raise BuildError(f"{path}: no YAML front matter")
    try:
        meta = yaml.safe_load(front_matter)
    except yaml.YAMLError as exc:
        raise BuildError(f"{path}: invalid front matter YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise BuildError(f"{path}: front matter is not a mapping")
    return Source(path.parent.name, path.stem, path, raw, front_matter, meta, body)


def source_folders(sources_dir: Path = SOURCES_DIR) -> list[str]:
    """Type folders: the four known ones plus any other non-hidden, non-`_` folder under _sources."""
    extra = [p.name for p in sorted(sources_dir.iterdir()) if p.is_dir() and not p.name.startswith((".", "_"))]
    return list(dict.fromkeys([*TYPES, *extra]))


def load_sources(sources_dir: Path = SOURCES_DIR) -> list[Source]:
    """All sources, sorted by folder and slug."""
    return [load_source(path) for folder in source_folders(sources_dir)
            for path in sorted((sources_dir / folder).glob("*.md"))]


def load_formats(path: Path = FORMATS_FILE) -> dict[str, str]:
    """slug -> format from formats.yaml ({} when the file is missing)."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise BuildError(f"{path}: expected a mapping slug -> format")
    bad = {slug: fmt for slug, fmt in data.items() if fmt not in FORMATS}
    if bad:
        raise BuildError(f"{path}: unknown formats {bad}; allowed: {', '.join(FORMATS)}")
    return {str(slug): str(fmt) for slug, fmt in data.items()}


def hash_format(slug: str) -> str:
    """Deterministic format for an unlisted slug: sha256 of the slug, mod 100, into HASH_BUCKETS."""
    bucket = int(hashlib.sha256(slug.encode("utf-8")).hexdigest(), 16) % 100
    return next(fmt for fmt, bound in HASH_BUCKETS if bucket < bound)


def choose_format(slug: str, formats: dict[str, str]) -> str:
    """The listed format, else the hash rule."""
    return formats.get(slug) or hash_format(slug)


def output_name(slug: str, fmt: str) -> str:
    """File name of a rendered source, e.g. `cer-foo.pdf`."""
    return f"{slug}.{EXTENSIONS[fmt]}"


def render_pdf_scan(blocks: Sequence[Block], meta: dict[str, Any]) -> bytes:
    """PDF whose second page is an image only (a scan, for OCR)."""
    return render_pdf(blocks, meta, scan_page=SCAN_PAGE)


RENDERERS: dict[str, Callable[[Sequence[Block], dict[str, Any]], bytes]] = {
    "pdf": render_pdf, "pdf-scan": render_pdf_scan, "docx": render_docx, "odt": render_odt, "html": render_html}


def render_source(source: Source, fmt: str) -> dict[str, bytes]:
    """File name -> bytes for one source: the Markdown as is, or the rendering plus its `.meta.yaml` sidecar."""
    name = output_name(source.slug, fmt)
    if fmt == "md":
        return {name: source.raw}
    data = RENDERERS[fmt](parse_markdown(source.body), source.meta)
    return {name: data, name + SIDECAR_SUFFIX: (source.front_matter.rstrip("\r\n") + "\n").encode("utf-8")}


def plan(sources: Sequence[Source], formats: dict[str, str], corpus_dir: Path = CORPUS_DIR) -> dict[Path, bytes]:
    """Every output path with the bytes the build writes there."""
    outputs: dict[Path, bytes] = {}
    for source in sources:
        for name, data in render_source(source, choose_format(source.slug, formats)).items():
            outputs[corpus_dir / source.folder / name] = data
    return outputs


def is_build_output(path: Path) -> bool:
    """Whether the build could have produced this file (the only kind it deletes)."""
    return path.is_file() and path.name.endswith(OUTPUT_SUFFIXES) and not path.name.startswith((".", "_"))


def stale_outputs(planned: dict[Path, bytes], folders: Sequence[str], corpus_dir: Path = CORPUS_DIR) -> list[Path]:
    """Build outputs on disk that no source produces any more."""
    return [path for folder in folders if (corpus_dir / folder).is_dir()
            for path in sorted((corpus_dir / folder).iterdir()) if is_build_output(path) and path not in planned]


def _shown(path: Path) -> str:
    return str(path.relative_to(CORPUS_DIR.parent)) if path.is_relative_to(CORPUS_DIR.parent) else str(path)


def differences(planned: dict[Path, bytes], stale: Sequence[Path]) -> list[str]:
    """What is missing, outdated or stale on disk, one line each."""
    lines = []
    for path, data in planned.items():
        if not path.exists():
            lines.append(f"missing   {_shown(path)}")
        elif path.read_bytes() != data:
            lines.append(f"outdated  {_shown(path)}")
    return lines + [f"stale     {_shown(path)}" for path in stale]


def build(check: bool = False, corpus_dir: Path = CORPUS_DIR, sources_dir: Path | None = None,
          formats_file: Path | None = None) -> int:
    """Write (or, with check, compare) the corpus; returns the exit status."""
    sources_dir = sources_dir or corpus_dir / "_sources"
    formats = load_formats(formats_file or sources_dir / "formats.yaml")
    sources = load_sources(sources_dir)
    known = {s.slug for s in sources}
    for slug in sorted(set(formats) - known):
        print(f"warning: formats.yaml lists {slug!r}, which has no source", file=sys.stderr)
    planned = plan(sources, formats, corpus_dir)
    stale = stale_outputs(planned, source_folders(sources_dir), corpus_dir)
    changes = differences(planned, stale)
    if check:
        print("\n".join(changes) if changes else f"corpus up to date ({len(sources)} sources)")
        return 1 if changes else 0
    for path, data in planned.items():
        if not path.exists() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    for path in stale:
        path.unlink()
    counts = Counter(choose_format(s.slug, formats) for s in sources)
    summary = ", ".join(f"{fmt} {counts[fmt]}" for fmt in FORMATS)
    print(f"{len(sources)} sources -> {summary}; {len(changes)} files written or removed")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the outputs on disk are not up to date")
    args = parser.parse_args(argv)
    try:
        return build(check=args.check)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
