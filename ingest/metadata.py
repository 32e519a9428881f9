"""Document metadata from YAML front matter, a sidecar `<file>.meta.yaml`, and explicit overrides (CLI, API).

Precedence: overrides > sidecar > front matter > defaults (e.g. `kb ingest --doc-type` for files without one).
The result is validated by the schema's `DocumentMetadata`, or `DeclaredMetadata` when no source gives a type (the
pipeline then infers it from the text, `ingest/components/doc_type_classifier.py`);
an invalid value is an error naming the file and the field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ingest.errors import IngestError
from ingest.formats import SIDECAR_SUFFIX
from kb.storage.schema import DeclaredMetadata, DocumentMetadata

FRONT_MATTER_RE = re.compile(rb"\A\xef?\xbb?\xbf?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def split_front_matter(data: bytes, source: str) -> tuple[dict[str, Any], bytes]:
    """(front matter, body) of a Markdown or text file; no front matter -> ({}, data)."""
    match = FRONT_MATTER_RE.match(data)
    if not match:
        return {}, data
    return _load_yaml(match.group(1), source, "front matter"), data[match.end():]


def _load_yaml(raw: bytes | str, source: str, where: str) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(raw) or {}
    except yaml.YAMLError as exc:
        raise IngestError("invalid_metadata", f"{where} YAML non valido: {exc}", source) from exc
    except ValueError as exc:  # PyYAML: values shaped like dates or numbers that are not ("2025-02-30", "0x_")
        raise IngestError("invalid_metadata", f"{where}: valore non valido ({exc})", source) from exc
    if not isinstance(loaded, dict):
        raise IngestError("invalid_metadata", f"{where}: atteso un elenco di campi 'chiave: valore'", source)
    return loaded


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _is_file(path: Path) -> bool:
    """False also when the name itself is impossible: `<name>.meta.yaml` of a 250-byte name is over the file-system
    limit (255), and looking it up raises ENAMETOOLONG."""
    try:
        return path.is_file()
    except OSError:
        return False


def resolve_metadata(path: Path, front_matter: dict[str, Any], overrides: dict[str, Any] | None = None,
                     defaults: dict[str, Any] | None = None, *, sidecar: bool = True,
                     source: str | None = None) -> DeclaredMetadata:
    merged: dict[str, Any] = {**(defaults or {}), **front_matter}
    sidecar_file = sidecar_path(path)
    if sidecar and _is_file(sidecar_file):
        try:
            text = sidecar_file.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise IngestError("invalid_metadata", "file .meta.yaml non in UTF-8: salvarlo come UTF-8",
                              str(sidecar_file)) from exc
        merged.update(_load_yaml(text, str(sidecar_file), "file .meta.yaml"))
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
    model = DeclaredMetadata if merged.get("doc_type") is None else DocumentMetadata
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"campo '{'.'.join(str(p) for p in err['loc']) or '(documento)'}': {_italian(err)}" for err in exc.errors()
        )
        raise IngestError("invalid_metadata", f"metadati non validi: {problems}", source or str(path)) from exc


def _italian(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "obbligatorio e mancante"
    if kind == "extra_forbidden":
        return "campo sconosciuto"
    if kind == "enum":
        return f"valore non ammesso ({err.get('ctx', {}).get('expected', '')})"
    return str(err.get("msg", kind))
