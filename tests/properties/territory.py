"""Strategies for territory values as people type them: an official name in random case, with or without accents,
hyphens and spaces swapped, any apostrophe, extra white space. Shared by the property tests and the API fuzzer, which
found nothing while `regione=lombardia` matched no document (issue 19, item 3).

The official names are written here from ISTAT's list (Italian names; the regioni as the corpus and the gazetteer
write them), not read from the code under test."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from hypothesis import strategies as st

REGIONI = ("Piemonte", "Valle d'Aosta", "Lombardia", "Trentino-Alto Adige", "Veneto", "Friuli-Venezia Giulia",
           "Liguria", "Emilia-Romagna", "Toscana", "Umbria", "Marche", "Lazio", "Abruzzo", "Molise", "Campania",
           "Puglia", "Basilicata", "Calabria", "Sicilia", "Sardegna")
PROVINCE = ("Milano", "Monza e della Brianza", "Forlì-Cesena", "Reggio nell'Emilia", "L'Aquila", "Massa-Carrara",
            "Verbano-Cusio-Ossola", "Barletta-Andria-Trani", "Pesaro e Urbino", "Sondrio")
COMUNI = ("Sant'Angelo Lodigiano", "Cantù", "Canneto sull'Oglio", "Cassina de' Pecchi", "Laveno-Mombello",
          "Castello dell'Acqua", "Milano", "Cefalù", "Castelfranco Veneto",
          "Bressanone", "Morgex", "Santa Maria Capua Vetere", "Reggio di Calabria", "Città di Castello")
OFFICIAL = {"regione": REGIONI, "provincia": PROVINCE, "comune": COMUNI}
_APOSTROPHES = ("'", "\u2019", "\u02bc", " ", "")
_GAPS = (" ", "  ", " \t", "\u00a0", " \u00a0 ")
_EDGES = ("", " ", "  ", "\t", "\u00a0")


def _without_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


@st.composite
def spelling_of(draw: st.DrawFn, official: str) -> str:
    """One way of writing `official` that names the same place."""
    text = _without_accents(official) if draw(st.booleans()) else official
    text = draw(st.sampled_from((text, text.replace("-", " "), text.replace(" ", "-"))))
    text = text.replace("'", draw(st.sampled_from(_APOSTROPHES)))
    case = draw(st.sampled_from(("same", "lower", "upper", "title", "mixed")))
    if case == "mixed":
        flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
        text = "".join(c.upper() if up else c.lower() for c, up in zip(text, flips, strict=True))
    elif case != "same":
        text = getattr(text, case)()
    words = text.split(" ")
    gaps = draw(st.lists(st.sampled_from(_GAPS), min_size=len(words), max_size=len(words)))
    text = "".join(w + g for w, g in zip(words, gaps, strict=True)).rstrip(" \t\u00a0")
    return draw(st.sampled_from(_EDGES)) + text + draw(st.sampled_from(_EDGES))


def named(field: str, names: Sequence[str] = ()) -> st.SearchStrategy[tuple[str, str]]:
    """(official name, a spelling of it) for `field` (regione, provincia, comune), among `names` if given."""
    return st.sampled_from(names or OFFICIAL[field]).flatmap(lambda name: spelling_of(name).map(lambda s: (name, s)))


def territory_values() -> st.SearchStrategy[tuple[str, str, str]]:
    """(field, official name, spelling) for any territory field."""
    return st.sampled_from(sorted(OFFICIAL)).flatmap(lambda f: named(f).map(lambda pair: (f, *pair)))
