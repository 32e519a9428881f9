"""The Italian analyzer: elisions, accents, plurals, stop words, acronyms; and BM25 weights built on it."""

from __future__ import annotations

import pytest

from kb.text.analysis import Bm25SparseEncoder, ItalianAnalyzer, term_index
from kb.text.synonyms import SynonymExpander


@pytest.fixture(scope="module")
def analyzer() -> ItalianAnalyzer:
    return ItalianAnalyzer()


@pytest.mark.parametrize("elided, word", [
    ("l'impianto", "impianto"), ("dell'ente", "ente"), ("all'interno", "interno"), ("nell'edificio", "edificio"),
    ("un'area", "area"), ("c'è", "c"), ("l’illuminazione", "illuminazione"), ("sull'acqua", "acqua"),
])
def test_elisions_split_article_from_word(analyzer: ItalianAnalyzer, elided: str, word: str) -> None:
    expected = analyzer.terms(word)
    assert analyzer.terms(elided) == expected


def test_c_e_is_only_stop_words(analyzer: ItalianAnalyzer) -> None:
    assert analyzer.terms("c'è") == []


@pytest.mark.parametrize("accented, plain", [
    ("comunità", "comunita"), ("perché città più", "perche citta piu"), ("mobilità", "mobilita"),
    ("efficienza energetica", "EFFICIENZA ENERGETICA"),
])
def test_accents_and_case_fold(analyzer: ItalianAnalyzer, accented: str, plain: str) -> None:
    assert analyzer.terms(accented) == analyzer.terms(plain)


@pytest.mark.parametrize("singular, plural", [
    ("comunità energetica", "comunità energetiche"), ("scuola", "scuole"), ("lampione", "lampioni"),
    ("pista ciclabile", "piste ciclabili"), ("edificio pubblico", "edifici pubblici"), ("bando", "bandi"),
    ("beneficio", "benefici"), ("superficie", "superfici"), ("ufficio tecnico", "uffici tecnici"),
])
def test_singular_and_plural_meet(analyzer: ItalianAnalyzer, singular: str, plural: str) -> None:
    assert analyzer.terms(singular) == analyzer.terms(plural)


def test_stop_words_removed_content_kept(analyzer: ItalianAnalyzer) -> None:
    assert analyzer.terms("il comune e la scuola per gli abitanti") == analyzer.terms("comune scuola abitanti")


def test_numbers_and_references_kept(analyzer: ItalianAnalyzer) -> None:
    terms = analyzer.terms("D.Lgs. 199/2021, € 2.500.000")
    assert {"199", "2021", "2.500.000"} <= set(terms)


def test_token_offsets_point_into_original_text(analyzer: ItalianAnalyzer) -> None:
    text = "Nell'edificio c'è l'impianto"
    for token in analyzer.tokens(text):
        assert text[token.start:token.end] == token.surface


def test_synonyms_expand_acronyms_case_insensitively() -> None:
    expander = SynonymExpander()
    expanded = expander.expand("contributi CER e pums")
    assert "comunità energetica rinnovabile" in expanded
    assert "piano urbano mobilità sostenibile" in expanded
    assert expanded.startswith("contributi CER e pums")


def test_synonyms_leave_unknown_queries_alone() -> None:
    assert SynonymExpander().expand("orti urbani") == "orti urbani"


def test_synonym_file_is_editable(tmp_path) -> None:
    custom = tmp_path / "sinonimi.yaml"
    custom.write_text("AUA: autorizzazione unica ambientale\n", encoding="utf-8")
    assert SynonymExpander(custom).expand("aua") == "aua autorizzazione unica ambientale"


def test_bad_synonym_file_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text("- solo una lista\n", encoding="utf-8")
    with pytest.raises(ValueError, match="dizionario"):
        SynonymExpander(bad)


def test_bm25_weights_saturate_and_normalise_length() -> None:
    enc = Bm25SparseEncoder(k1=1.2, b=0.75, avg_len=10)
    idx, once = enc.encode_document("fotovoltaico scuola")
    w_once = dict(zip(idx, once, strict=True))[term_index("fotovolt")]
    idx, many = enc.encode_document("fotovoltaico fotovoltaico fotovoltaico scuola")
    w_many = dict(zip(idx, many, strict=True))[term_index("fotovolt")]
    assert w_once < w_many < 1.2 + 1  # more occurrences weigh more, but never beyond k1 + 1
    q_idx, q_val = enc.encode_query("fotovoltaico fotovoltaico")
    assert q_val == [1.0] and len(q_idx) == 1


def test_consecutive_stems_are_phrase_features() -> None:
    enc = Bm25SparseEncoder(bigram_weight=0.3)
    q = dict(zip(*enc.encode_query("comunità energetica"), strict=True))
    assert q[term_index("comun_energet")] == 0.3 and q[term_index("comun")] == 1.0
    doc = dict(zip(*enc.encode_document("Le comunità energetiche del comune"), strict=True))
    assert term_index("comun_energet") in doc
    assert term_index("comun_energet") not in dict(zip(*enc.encode_document("energetica comunità"), strict=True))
    plain = Bm25SparseEncoder(bigram_weight=0.0)
    assert len(plain.encode_query("comunità energetica")[0]) == 2


def test_question_words_are_not_search_terms() -> None:
    analyzer = ItalianAnalyzer()
    assert analyzer.terms("Quando e cosa ha deciso il consiglio?") == analyzer.terms("deciso consiglio")


def test_bm25_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError):
        Bm25SparseEncoder(b=1.5)
