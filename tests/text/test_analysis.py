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
    assert terms == ["dlgs", "199", "2021", "2500000"]


@pytest.mark.parametrize("written", [
    "5000", "5.000", "5\u00a0000", "5\u202f000", "5\u2009000", "5.000,00", "5000,0", "５.０００",
])
def test_thousands_separators_give_plain_digits(analyzer: ItalianAnalyzer, written: str) -> None:
    assert analyzer.terms(written) == ["5000"]


@pytest.mark.parametrize("written, terms", [
    ("1.250.000", ["1250000"]), ("1\u202f250\u202f000,00", ["1250000"]), ("€ 2.500,50", ["2500,50"]),
    ("2,5", ["2,5"]), ("2,50", ["2,50"]), ("12.03.2024", ["12.03.2024"]), ("art. 3.2", ["art", "3.2"]),
    ("comma 1.1", ["comm", "1.1"]), ("051.123.456", ["051.123.456"]),  # a telephone number: no leading zero
    ("1.2345", ["1.2345"]), ("12.30", ["12.30"]), ("5 000", ["5", "000"]),  # a plain space separates words
    ("2024\u00a0000", ["2024", "000"]), ("0,00", ["0"]),
])
def test_only_true_thousands_are_joined(analyzer: ItalianAnalyzer, written: str, terms: list[str]) -> None:
    assert analyzer.terms(written) == terms


@pytest.mark.parametrize("term, spellings", [
    ("dlgs", ["D.Lgs.", "D.Lgs", "d.lgs.", "D.lgs", "Dlgs", "dlgs", "D. Lgs.", "DLGS"]),
    ("dl", ["D.L.", "d.l.", "DL", "dl", "D.L"]),
    ("dpr", ["D.P.R.", "d.p.r.", "DPR", "D.P.R"]),
    ("lr", ["L.R.", "l.r.", "LR", "L.R"]),
    ("dm", ["D.M.", "d.m.", "DM", "D.M"]),
    ("dpcm", ["D.P.C.M.", "d.p.c.m.", "DPCM", "Dpcm"]),
])
def test_act_abbreviations_are_one_term(analyzer: ItalianAnalyzer, term: str, spellings: list[str]) -> None:
    for spelling in spellings:
        assert analyzer.terms(f"{spelling} 199/2021") == [term, "199", "2021"], spelling


def test_act_abbreviations_only_as_whole_words(analyzer: ItalianAnalyzer) -> None:
    assert analyzer.terms("p.d.l.") == analyzer.terms("p d l")  # a proposta di legge is not a d.l.
    assert analyzer.terms("dlgsx dmx") == ["dlgsx", "dmx"]
    text = "del D. Lgs. n. 50 e del D.P.R. 380/2001"
    assert [(t.surface, t.stem) for t in analyzer.tokens(text)] == [
        ("D. Lgs", "dlgs"), ("n", "n"), ("50", "50"), ("D.P.R", "dpr"), ("380", "380"), ("2001", "2001")]
    for token in analyzer.tokens(text):
        assert text[token.start:token.end] == token.surface


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
