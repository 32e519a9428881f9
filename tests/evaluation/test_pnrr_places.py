"""The PNRR place check's metric (evaluation/pnrr_places.py) on hand-computed toy pairs."""

from __future__ import annotations

from evaluation.pnrr_places import score, to_markdown


def test_precision_over_extracted_recall_over_all() -> None:
    padova = {"comune": "Padova", "provincia": "Padova", "regione": "Veneto"}
    pairs: list[tuple[dict[str, str | None], dict[str, str]]] = [
        ({"comune": "Padova", "provincia": "Padova", "regione": "Veneto"}, padova),  # all right
        ({"comune": "Mira", "provincia": "Venezia", "regione": "Veneto"}, padova),  # comune wrong, regione right
        ({"comune": None, "provincia": None, "regione": None}, padova),  # nothing found
        ({"comune": None, "provincia": None, "regione": "Lombardia"}, padova),  # regione wrong
    ]
    result = score(pairs)
    assert result["comune"] == {"extracted": 2, "correct": 1, "precision": 0.5, "recall": 0.25}
    assert result["provincia"] == {"extracted": 2, "correct": 1, "precision": 0.5, "recall": 0.25}
    assert result["regione"] == {"extracted": 3, "correct": 2, "precision": 0.667, "recall": 0.5}
    assert score([])["comune"] == {"extracted": 0, "correct": 0, "precision": 0.0, "recall": 0.0}


def test_report_in_italian_with_italian_thousands() -> None:
    results = {"projects": 49763, "codes_not_in_gazetteer": 10, "gazetteer_comuni": 7904,
               "fields": score([({"comune": "Mira", "provincia": None, "regione": None},
                                 {"comune": "Padova", "provincia": "Padova", "regione": "Veneto"})]),
               "most_frequent_wrong_comuni": [("Mira", 1)]}
    text = to_markdown(results)
    assert "49.763 progetti" in text and "7.904 comuni" in text
    assert "| comune | 1 | 0 | 0.000 | 0.000 |" in text and "Mira (1)" in text
