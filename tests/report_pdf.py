"""A multi-page project report as the corpus build renders it (PDF pages, sections), shared by tests."""

from __future__ import annotations

import importlib
import sys
from typing import Any

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "corpus"))
_markdown = importlib.import_module("_render_markdown")
_pdf = importlib.import_module("_render_pdf")

META: dict[str, Any] = {
    "title": "Relazione sul teleriscaldamento di Valgrande", "doc_type": "progetto", "sdg": [7, 13],
    "themes": ["energia-cer"], "comune": "Valgrande", "provincia": "Sondrio", "regione": "Lombardia",
    "popolazione": 1200, "year": 2024, "illustrativo": True,
}
FILLER = ("Il comune ha valutato con attenzione i costi di esercizio dell'impianto e il coinvolgimento delle "
          "famiglie, che hanno partecipato a tre assemblee pubbliche dedicate al progetto. ")
BODY = "\n\n".join([
    "# Relazione sul teleriscaldamento di Valgrande",
    "## Contesto", FILLER * 10,
    "## Interventi", "La centrale a cippato di legno locale alimenta la rete di teleriscaldamento. " + FILLER * 12,
    "## Risultati", "Il risparmio misurato è di 410 tonnellate di anidride carbonica all'anno. " + FILLER * 12,
    "## Lezioni apprese", "La manutenzione della caldaia ha richiesto personale formato. " + FILLER * 8,
])


def blocks() -> Any:
    return _markdown.parse_markdown(BODY)


def render_report(scan_page: int | None = None) -> bytes:
    """The report as PDF; with `scan_page`, that page is an image of its text (needs OCR)."""
    return bytes(_pdf.render_pdf(blocks(), META, scan_page=scan_page))
