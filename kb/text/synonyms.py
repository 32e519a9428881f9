"""Query-time expansion with the editable dictionary of PA acronyms and everyday synonyms."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from kb.text.analysis import TOKEN_RE, fold


class SynonymExpander:
    """Appends the expansion of every known acronym or word of the query (originals are kept)."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            text = resources.files("kb.data").joinpath("sinonimi.yaml").read_text(encoding="utf-8")
            source = "sinonimi.yaml"
        else:
            text = path.read_text(encoding="utf-8")
            source = str(path)
        data = yaml.safe_load(text) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{source}: atteso un dizionario 'sigla: espansione'")
        self.entries = {fold(str(k)): str(v) for k, v in data.items()}

    def expand(self, query: str) -> str:
        extra = [self.entries[w] for w in dict.fromkeys(fold(m.group(0)) for m in TOKEN_RE.finditer(query))
                 if w in self.entries]
        return query if not extra else f"{query} {' '.join(extra)}"
