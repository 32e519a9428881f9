"""Gazetteer loading (ISTAT's own CSV layout), places in text, and SDG/theme tagging rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.enrich.gazetteer import Gazetteer, GazetteerError, load_gazetteer
from ingest.enrich.places import find_places, find_regione
from ingest.enrich.tag_rules import calibrated_model, load_calibration
from ingest.enrich.tagging import (
    PROTOTYPE,
    Calibration,
    LabelScores,
    Tagger,
    choose_all,
    combined_scores,
    prototype_similarity,
    select,
)
from kb.models.base import DEFAULT_MODEL

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


def test_shipped_national_list() -> None:
    italy = load_gazetteer()
    assert len(italy.comuni) == 7904 and len({c.regione for c in italy.comuni}) == 20
    assert len({c.sigla for c in italy.comuni}) == 107
    assert sum(1 for c in italy.comuni if c.regione == "Lombardia") == 1506
    assert italy.comuni_named("Sant'Angelo Lodigiano")[0].sigla == "LO"


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
    keywords = Calibration(keyword_weight=1.0, threshold=0.5, max_labels=2, min_labels=0)
    sdg = choose_all(scores, {"themes": keywords, "sdg": keywords}, tagger.links)["sdg"]
    assert sdg and sdg[0].label == "7"


def _scores(hits: dict[str, float], similarity: dict[str, float] | None = None,
            forced: tuple[str, ...] = ()) -> LabelScores:
    return LabelScores(hits, {"max": similarity} if similarity else {}, forced)


def test_select_applies_threshold_cap_minimum_and_forced_labels() -> None:
    scores = _scores({"a": 6.0, "b": 3.0, "c": 0.0, "d": 5.0}, forced=("c",))
    calibration = Calibration(keyword_scale="rel", keyword_weight=1.0, threshold=0.6, max_labels=2, min_labels=1)
    picked = select(combined_scores(scores, calibration), scores, calibration)
    # a: 1.0, d: 0.83 (b: 0.5 < threshold), then c from the document type whatever its score
    assert [(t.label, t.source) for t in picked] == [("a", "testo"), ("d", "testo"), ("c", "tipo di documento")]
    assert picked[2].confidence >= 0.9
    high = Calibration(keyword_weight=1.0, threshold=2.0, max_labels=3, min_labels=1)
    assert [t.label for t in select(combined_scores(scores, high), scores, high)] == ["a", "c"]  # the minimum
    assert select({"a": 0.0}, _scores({"a": 0.0}), Calibration()) == []  # no evidence, no tag


def test_similarity_is_z_scored_over_the_labels() -> None:
    scores = _scores({"a": 0.0, "b": 0.0, "c": 0.0}, {"a": 0.84, "b": 0.80, "c": 0.79})
    calibration = Calibration(similarity="max", keyword_weight=0.0, threshold=1.0, max_labels=3, min_labels=0)
    combined = combined_scores(scores, calibration)
    assert combined["a"] > 1.0 > combined["b"] > combined["c"]
    assert [t.label for t in select(combined, scores, calibration)] == ["a"]


def test_themes_lift_the_goals_they_serve() -> None:
    themes, goals = _scores({"energia-cer": 4.0, "acqua": 0.0}), _scores({"7": 0.5, "6": 0.0, "13": 0.5})
    keywords = Calibration(keyword_scale="rel", keyword_weight=1.0, threshold=1.5, max_labels=3, min_labels=0)
    links = {"energia-cer": ("7", "13"), "acqua": ("6",)}
    assert choose_all({"themes": themes, "sdg": goals}, {"themes": keywords, "sdg": keywords}, links)["sdg"] == []
    boosted = Calibration.from_dict({**vars(keywords), "theme_weight": 1.0})
    tags = choose_all({"themes": themes, "sdg": goals}, {"themes": keywords, "sdg": boosted}, links)["sdg"]
    assert [t.label for t in tags] == ["7", "13"]  # 1.0 + 1.0 each; ties in the order of the rules


def test_prototypes_lift_the_goal_whose_examples_the_document_resembles() -> None:
    prototypes = (["7", "7", "16"], np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    cosines = prototype_similarity(np.array([[0.0, 0.6, 0.8], [0.0, 0.8, 0.6]]), prototypes)
    assert cosines == pytest.approx({"7": 0.7 / np.sqrt(0.98), "16": 0.7 / np.sqrt(0.98)})  # best prototype each
    scores = _scores({"7": 0.0, "16": 0.0, "5": 0.0}, {"7": 0.80, "16": 0.82, "5": 0.78})
    scores.similarity[PROTOTYPE] = {"7": 0.9, "16": 0.7}
    off = Calibration(similarity="max", keyword_weight=0.0, threshold=0.5, max_labels=3, min_labels=0)
    without = combined_scores(scores, off)
    on = combined_scores(scores, Calibration.from_dict({**vars(off), "prototype_weight": 1.0}))
    lift = {label: on[label] - without[label] for label in on}
    assert lift == pytest.approx({"7": 1.0, "16": -1.0, "5": 0.0})  # a goal without prototypes: neither way


def test_a_short_text_has_its_own_minimum_and_prototype_weight() -> None:
    calibration = Calibration(keyword_scale="rel", keyword_weight=0.5, threshold=5.0, max_labels=3, min_labels=1,
                              short_chunks=1, short_min_labels=3, short_prototype_weight=2.0)
    short = LabelScores({"a": 3.0, "b": 2.0, "c": 1.0}, {"max": {"a": 0.8, "b": 0.7, "c": 0.75},
                                                         PROTOTYPE: {"a": 0.1, "b": 0.9, "c": 0.5}}, chunks=1)
    long = LabelScores(short.hits, short.similarity, chunks=4)
    assert [t.label for t in select(combined_scores(long, calibration), long, calibration)] == ["a"]
    assert [t.label for t in select(combined_scores(short, calibration), short, calibration)] == ["b", "c", "a"]


def test_calibration_rejects_unknown_values_and_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="max, top3, mean"):
        Calibration(similarity="media")
    with pytest.raises(ValueError, match="min_labels"):
        Calibration(max_labels=2, min_labels=3)


def test_shipped_calibration_belongs_to_the_default_model_and_others_fall_back_to_keywords() -> None:
    assert calibrated_model() == DEFAULT_MODEL
    fitted, other = load_calibration(DEFAULT_MODEL), load_calibration("another-model")
    assert any(c.keyword_weight < 1 for c in fitted.values()), "the default model's similarity is used"
    assert all(c.keyword_weight == 1.0 for c in other.values()), "another model's cosines are not trusted"
    assert load_calibration(None) == other


def test_no_keyword_is_only_the_stem_of_words_every_municipal_text_has() -> None:
    """"comunicazione" stems like "comune" and "comunità", "costa" like "costi": alone they fired everywhere."""
    tagger = Tagger()
    common = set(tagger.analyzer.terms("comune comuni comunità costo costi"))
    for family, rules in tagger.rules.items():
        for rule in rules:
            assert not [s for s, _ in rule.phrases if len(s) == 1 and s[0] in common], (family, rule.label)
