"""The territory canonicaliser (kb/text/territory.py) on the spellings issue 19 reported and the ones people write."""

from __future__ import annotations

import pytest

from kb.text.territory import canonical, canonical_values, province, regioni


@pytest.mark.parametrize(("value", "official"), [
    ("lombardia", "Lombardia"), ("LOMBARDIA", "Lombardia"), (" Lombardia ", "Lombardia"),
    ("Friuli Venezia Giulia", "Friuli-Venezia Giulia"), ("friuli-venezia giulia", "Friuli-Venezia Giulia"),
    ("Regione Autonoma Friuli Venezia Giulia", "Friuli-Venezia Giulia"), ("FVG", "Friuli-Venezia Giulia"),
    ("Valle d'Aosta/Vallée d'Aoste", "Valle d'Aosta"), ("Val d’Aosta", "Valle d'Aosta"),
    ("VALLE D AOSTA", "Valle d'Aosta"), ("Vallée d'Aoste", "Valle d'Aosta"),
    ("Trentino-Alto Adige/Südtirol", "Trentino-Alto Adige"), ("trentino alto adige", "Trentino-Alto Adige"),
    ("Emilia Romagna", "Emilia-Romagna"), ("Regione del Veneto", "Veneto"),
])
def test_regioni_in_any_spelling(value: str, official: str) -> None:
    assert canonical("regione", value) == official


@pytest.mark.parametrize(("value", "official"), [
    ("MI", "Milano"), ("mi", "Milano"), ("(SO)", "Sondrio"), ("milano", "Milano"), ("Provincia di Sondrio", "Sondrio"),
    ("Monza Brianza", "Monza e della Brianza"), ("forli cesena", "Forlì-Cesena"),
    ("Reggio Emilia", "Reggio nell'Emilia"),
    ("Bolzano/Bozen", "Bolzano"), ("Città metropolitana di Milano", "Milano"),
])
def test_province_by_name_other_name_or_plate(value: str, official: str) -> None:
    assert canonical("provincia", value) == official


@pytest.mark.parametrize(("value", "official"), [
    ("sant'angelo lodigiano", "Sant'Angelo Lodigiano"), ("Sant’Angelo  Lodigiano", "Sant'Angelo Lodigiano"),
    ("CANTU", "Cantù"), ("Comune di Cantù", "Cantù"), ("laveno mombello", "Laveno-Mombello"),
    ("cassina de pecchi", "Cassina de' Pecchi"),
])
def test_comuni_of_the_gazetteer(value: str, official: str) -> None:
    assert canonical("comune", value) == official


def test_unknown_values_are_kept_tidied() -> None:
    assert canonical("comune", "  Villarossa \t Lodigiana ") == "Villarossa Lodigiana"
    assert canonical("comune", "Sant’Ilario del Mella") == "Sant'Ilario del Mella"
    assert canonical("regione", "Baviera") == "Baviera"
    assert canonical("regione", "   ") == ""


def test_values_are_deduplicated_blanks_dropped() -> None:
    assert canonical_values("regione", ["lombardia", "Lombardia ", " ", "veneto"]) == ["Lombardia", "Veneto"]


def test_the_lists_cover_italy() -> None:
    assert len(set(regioni().values())) == 20
    assert len(set(province().values())) == 107


def test_an_unknown_field_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="regione, provincia, comune"):
        canonical("nazione", "Italia")
