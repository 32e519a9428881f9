"""The API's fixture corpus: the search fixtures, the API's extra documents and a multi-page PDF made here."""

from __future__ import annotations

import datetime as dt
import importlib
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO

TODAY = dt.date(2026, 11, 24)
API_DOCS = REPO / "tests" / "fixtures" / "api"
SEARCH_DOCS = REPO / "tests" / "fixtures" / "docs"
API_KEY = "chiave-di-prova-1234"

PDF_META: dict[str, Any] = {
    "title": "Relazione sul teleriscaldamento di Valgrande", "doc_type": "progetto", "sdg": [7, 13],
    "themes": ["energia-cer"], "comune": "Valgrande", "provincia": "Sondrio", "regione": "Lombardia",
    "popolazione": 1200, "year": 2024, "illustrativo": True,
}
_FILLER = ("Il comune ha valutato con attenzione i costi di esercizio dell'impianto e il coinvolgimento delle "
           "famiglie, che hanno partecipato a tre assemblee pubbliche dedicate al progetto. ")
PDF_BODY = "\n\n".join([
    "# Relazione sul teleriscaldamento di Valgrande",
    "## Contesto", _FILLER * 10,
    "## Interventi", "La centrale a cippato di legno locale alimenta la rete di teleriscaldamento. " + _FILLER * 12,
    "## Risultati", "Il risparmio misurato è di 410 tonnellate di anidride carbonica all'anno. " + _FILLER * 12,
    "## Lezioni apprese", "La manutenzione della caldaia ha richiesto personale formato. " + _FILLER * 8,
])


def render_pdf() -> bytes:
    sys.path.insert(0, str(REPO / "corpus"))
    markdown = importlib.import_module("_render_markdown")
    pdf = importlib.import_module("_render_pdf")
    return bytes(pdf.render_pdf(markdown.parse_markdown(PDF_BODY), PDF_META))


def write_corpus(folder: Path) -> Path:
    """All fixture documents in one folder (the PDF with its metadata sidecar)."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in (*SEARCH_DOCS.glob("*.md"), *API_DOCS.glob("*.md")):
        shutil.copy(source, folder / source.name)
    (folder / "relazione-valgrande.pdf").write_bytes(render_pdf())
    (folder / "relazione-valgrande.pdf.meta.yaml").write_text(yaml.safe_dump(PDF_META, allow_unicode=True),
                                                              encoding="utf-8")
    return folder
