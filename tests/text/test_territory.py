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


@pytest.mark.parametrize(("value", "official"), [
    ("cefalu", "Cefalù"), ("Comune di Castelfranco Veneto", "Castelfranco Veneto"), ("Morgex", "Morgex"),
    ("Bozen", "Bolzano"), ("BRIXEN", "Bressanone"), ("Sovodnje ob Soči", "Savogna d'Isonzo"),
    ("Sankt Ulrich", "Sankt Ulrich"),  # not ISTAT's spelling ("St. Ulrich"): kept
])
def test_comuni_of_all_italy_by_italian_or_other_name(value: str, official: str) -> None:
    assert canonical("comune", value) == official


@pytest.mark.parametrize(("value", "official"), [
    ("Paternò", "Paternò"), ("PATERNÒ", "Paternò"), ("comune di paternò", "Paternò"), ("Paterno", "Paterno"),
    ("paterno", "Paterno"), ("Tre Ville", "Tre Ville"), ("tre ville", "Tre Ville"), ("Treville", "Treville"),
    ("Corvara", "Corvara"), ("Corvara in Badia", "Corvara in Badia"),
    ("Paternó", "Paternó"),  # neither spelling: kept rather than guessed
])
def test_comuni_sharing_a_key_are_told_apart_by_their_spelling(value: str, official: str) -> None:
    """Paternò (CT) and Paterno (PZ), Tre Ville (TN) and Treville (AL), Corvara (PE) and Corvara in Badia (BZ, in
    Ladin "Corvara") have one key: the first in the list used to win, so "Paternò" was stored as "Paterno"."""
    assert canonical("comune", value) == official


def test_homonyms_keep_their_one_name() -> None:
    for name in ("Calliano", "Samone", "Livo", "Peglio", "Castro", "San Teodoro"):
        assert canonical("comune", name.upper()) == name


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
