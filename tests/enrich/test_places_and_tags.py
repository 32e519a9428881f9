"""Gazetteer loading (ISTAT's own CSV layout), places in text, and SDG/theme tagging rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.enrich.gazetteer import Gazetteer, GazetteerError, load_gazetteer
from ingest.enrich.places import find_places, find_regione
from ingest.enrich.tagging import Calibration, LabelScores, Tagger, choose

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "istat_comuni_sample.csv"


@pytest.fixture(scope="module")
def sample() -> Gazetteer:
    return Gazetteer.from_istat_csv(SAMPLE)


def test_istat_csv_in_windows_1252_with_line_breaks_in_headers(sample: Gazetteer) -> None:
    (angelo,) = sample.comuni_named("sant’angelo lodigiano")  # typographic apostrophe, any case
    assert (angelo.code, angelo.provincia, angelo.sigla, angelo.regione, angelo.popolazione) == (
        "098050", "Lodi", "LO", "Lombardia", 12665)
    assert sample.comuni_named("CANTU")[0].name == "Cantù"
    bolzano = sample.comuni_named("Bolzano")[0]
    assert (bolzano.regione, bolzano.provincia, bolzano.popolazione) == ("Trentino-Alto Adige", "Bolzano", None)
    assert len(sample.comuni_named("Castro")) == 2


def test_not_an_istat_list(tmp_path: Path) -> None:
    wrong = tmp_path / "x.csv"
    wrong.write_text("nome;abitanti\nMilano;1\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match="mancano le colonne"):
        Gazetteer.from_istat_csv(wrong)


def test_shipped_lombardy_list() -> None:
    lombardy = load_gazetteer()
    assert len(lombardy.comuni) > 1500 and {c.regione for c in lombardy.comuni} == {"Lombardia"}
    assert len({c.provincia for c in lombardy.comuni}) == 12
    assert lombardy.comuni_named("Sant'Angelo Lodigiano")[0].sigla == "LO"


@pytest.mark.parametrize(("text", "comune", "provincia", "regione", "popolazione"), [
    ("Il Comune di Sant'Angelo Lodigiano ha installato 40 colonnine.", "Sant'Angelo Lodigiano", "Lodi",
     "Lombardia", 12665),
    ("Il comune di Sant’Angelo Lodigiano (LO) e la sua CER.", "Sant'Angelo Lodigiano", "Lodi", "Lombardia", 12665),
    ("A Cantù (CO) la raccolta puntuale ha funzionato.", "Cantù", "Como", "Lombardia", 38717),
    ("Il sindaco di Livigno ha presentato il piano.", "Livigno", "Sondrio", "Lombardia", 5976),
    ("Nel comune di Castro (LE) il porto è stato riqualificato.", "Castro", "Lecce", "Puglia", 2468),
])
def test_comuni_with_accents_apostrophes_and_homonyms(sample: Gazetteer, text: str, comune: str, provincia: str,
                                                      regione: str, popolazione: int) -> None:
    places = find_places(text, sample)
    assert places.comune is not None and places.comune.value == comune and places.comune.confidence >= 0.9
    assert places.provincia is not None and places.provincia.value == provincia
    assert places.regione is not None and places.regione.value == regione
    assert places.popolazione is not None and places.popolazione.value == popolazione


def test_words_that_are_also_comuni_need_a_cue(sample: Gazetteer) -> None:
    assert find_places("Pero, a pensarci bene, il progetto funziona. Però costa.", sample).comune is None
    assert find_places("Nel comune di Pero il servizio è attivo.", sample).comune.value == "Pero"  # type: ignore[union-attr]
    assert find_places("Castro è citato due volte: Castro.", sample).comune is None  # homonym, no province


def test_comune_outside_the_list_keeps_province_and_region_from_the_text(sample: Gazetteer) -> None:
    places = find_places("Il Comune di Valfonda Alta, in provincia di Sondrio, ha creato una CER.", sample)
    assert places.comune is not None and places.comune.value == "Valfonda Alta" and places.comune.confidence == 0.5
    assert places.provincia.value == "Sondrio" and places.regione.value == "Lombardia"  # type: ignore[union-attr]
    assert places.popolazione is None
    plate = find_places("Il comune di Castel d'Esino (AN) ha aderito.", sample)
    assert plate.comune.value == "Castel d'Esino" and plate.provincia.value == "Ancona"  # type: ignore[union-attr]


def test_regione_from_names_and_adjectives(sample: Gazetteer) -> None:
    assert find_regione("Il bando della **Regione Emilia-Romagna**", sample).value == "Emilia-Romagna"  # type: ignore[union-attr]
    found = find_regione("sostiene i piccoli comuni lombardi", sample)
    assert found is not None and found.value == "Lombardia" and found.confidence >= 0.8
    assert find_regione("nessuna regione qui", sample) is None


def test_keyword_rules_match_inflections() -> None:
    tagger = Tagger()
    scores = tagger.scores("Le comunità energetiche rinnovabili e l'autoconsumo: impianti fotovoltaici sui tetti "
                           "delle scuole, con la comunità energetica del paese.", None)
    themes = sorted(scores["themes"].hits.items(), key=lambda kv: -kv[1])
    assert themes[0][0] == "energia-cer"
    sdg = choose(scores["sdg"], Calibration(keyword_weight=1.0, threshold=0.5, min_hits=1.0, max_labels=2))
    assert sdg and sdg[0].label == "7"


def test_choose_applies_threshold_min_hits_and_max_labels() -> None:
    scores = LabelScores(hits={"a": 6.0, "b": 3.0, "c": 0.5, "d": 2.9}, similarity={"a": 1.0, "b": 0.0, "d": 1.0})
    picked = choose(scores, Calibration(keyword_weight=0.5, threshold=0.5, min_hits=1.0, max_labels=2))
    assert [t.label for t in picked] == ["a", "d"]  # b: 0.25 < threshold; c: too few hits; max two labels
    assert choose(LabelScores(hits={"a": 0.0}), Calibration()) == []
