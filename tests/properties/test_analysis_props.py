"""Properties of the Italian analyzer (kb/text/analysis.py) and of the highlighting built on it, over arbitrary text.

Hypothesis draws Italian-looking text (letters with and without accents, elisions with every apostrophe the analyzer
knows, numbers with decimal commas and thousands separators, dates, act abbreviations, punctuation, typographic
ligatures and compatibility characters as PDFs produce them) and, for crash-freedom, any Unicode at all (lone
surrogates included: JSON can carry them). Numbers and acts are also drawn in every way Italians write them
(5000, 5.000, 5 000 with a no-break space, 5.000,00; D.Lgs., D. Lgs., Dlgs...), which must analyse alike.
"""

from __future__ import annotations

import datetime as dt
import html
import re

from hypothesis import given
from hypothesis import strategies as st

from kb.search.highlight import Highlighter
from kb.text.analysis import APOSTROPHES, Bm25SparseEncoder, ItalianAnalyzer, fold, term_index
from tests.properties.budget import bounded

ANALYZER = ItalianAnalyzer()
ENCODER = Bm25SparseEncoder(ANALYZER)
HIGHLIGHTER = Highlighter(ANALYZER)
WORDS = ("comunità", "energetica", "perché", "più", "città", "efficienza", "edificio", "edifici", "l", "dell",
         "impianto", "fotovoltaico", "PNRR", "CER", "Comune", "LED", "art", "D.Lgs", "2021", "3,5", "km²",
         "ﬁnanziamento", "ﬂusso", "Ⅻ", "①", "½", "ＡＢＣ", "e\u0301", "caffe\u0300", "ǅ", "İstanbul", "ß", "Σας",
         "5.000", "5\u202f000", "1\u00a0250\u00a0000", "2.500,00", "12.03.2024", "3.2", "D.P.R.", "d. lgs.", "L.R.",
         "DPCM", "dm", "p.d.l.")
SEPARATORS = (" ", "  ", "\n", ", ", ". ", "; ", " - ", "\t", *APOSTROPHES, "’ ", "(", ")", "«", "»", "/")

italian_text = st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(SEPARATORS),
                                  st.text(alphabet="abcdefghilmnopqrstuvzàèéìòùAEIOU'’0123456789", max_size=12)),
                        max_size=40).map("".join)
any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=200)
texts = st.one_of(italian_text, any_text)


@bounded(300)
@given(texts)
def test_token_offsets_slice_back_to_their_surface(text: str) -> None:
    previous_end = 0
    for token in ANALYZER.tokens(text):
        assert text[token.start:token.end] == token.surface
        assert previous_end <= token.start < token.end <= len(text), "in order, never overlapping"
        assert token.stem and token.stem == fold(token.stem), "stems are folded"
        previous_end = token.end


@bounded(300)
@given(texts)
def test_folding_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@bounded(300)
@given(any_text)
def test_no_text_breaks_the_analyzer_or_the_encoders(text: str) -> None:
    terms = ANALYZER.terms(text)
    for indices, values in (ENCODER.encode_document(text), ENCODER.encode_query(text)):
        assert indices == sorted(set(indices)) and len(indices) == len(values)
        assert all(0 <= i < 2**31 for i in indices) and all(v > 0 for v in values)
    assert len(terms) <= len(text)


@bounded(200)
@given(italian_text)
def test_queries_and_documents_are_encoded_alike(text: str) -> None:
    doc_indices, doc_values = ENCODER.encode_document(text)
    query_indices, query_values = ENCODER.encode_query(text)
    assert doc_indices == query_indices, "a text as query has exactly the features of the same text indexed"
    terms = {term_index(t) for t in ANALYZER.terms(text)}
    weights = dict(zip(query_indices, query_values, strict=True))
    assert all(weights[i] == 1.0 for i in terms), "query terms weigh 1, pairs less"
    assert (sum(d * q for d, q in zip(doc_values, query_values, strict=True)) > 0) == bool(terms)


@bounded(200)
@given(italian_text, italian_text)
def test_analysis_does_not_depend_on_the_neighbouring_text(first: str, second: str) -> None:
    """Text split at a space analyses into the terms of its halves: documents and queries get the same stems
    wherever a word stands (a passage boundary, a query alone). The one exception, never drawn here, is a split
    inside an abbreviation written with a space ("D. Lgs.")."""
    assert ANALYZER.terms(f"{first} {second}") == ANALYZER.terms(first) + ANALYZER.terms(second)


@bounded(200)
@given(italian_text, st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
def test_highlights_mark_query_words_and_nothing_else(text: str, query_words: list[str]) -> None:
    stems = HIGHLIGHTER.query_stems(" ".join(query_words))
    snippet = HIGHLIGHTER.snippet(text, stems)
    last = 0
    for start, end in snippet.highlights:
        assert last <= start < end <= len(snippet.text)
        assert {t.stem for t in ANALYZER.tokens(snippet.text[start:end])} <= stems, snippet.text[start:end]
        last = end
    body = re.sub(r"</?mark>", "", snippet.html)
    assert html.unescape(body) == snippet.text and "<" not in body.replace("&lt;", "")
    assert snippet.html.count("<mark>") == len(snippet.highlights)


# -- numbers and acts: one term however they are written ------------------------------------------------------
THOUSANDS_SPACES = ("\u00a0", "\u202f", "\u2009")
ACTS = {"dlgs": ("d", "lgs"), "dl": ("d", "l"), "dpr": ("d", "p", "r"), "lr": ("l", "r"), "dm": ("d", "m"),
        "dpcm": ("d", "p", "c", "m")}


def _grouped(n: int, separator: str) -> str:
    """`n` with its thousands separated: 1250000 -> 1.250.000."""
    digits = str(n)
    head = len(digits) % 3 or 3
    return separator.join([digits[:head], *(digits[i:i + 3] for i in range(head, len(digits), 3))])


@st.composite
def act_spellings(draw: st.DrawFn) -> tuple[str, str]:
    """An act abbreviation as people type it (dots or none, any case, D. Lgs. with its space), and its term."""
    term = draw(st.sampled_from(sorted(ACTS)))
    dotted = draw(st.booleans())
    parts = [draw(st.sampled_from((p, p.upper(), p.title()))) for p in ACTS[term]]
    after_d = ". " if term == "dlgs" and dotted and draw(st.booleans()) else "." if dotted else ""
    spelling = parts[0] + after_d + ("." if dotted else "").join(parts[1:]) + ("." if dotted and draw(st.booleans())
                                                                             else "")
    return spelling, term


@bounded(300)
@given(st.integers(0, 10**13), st.sampled_from((".", *THOUSANDS_SPACES)), st.sampled_from(("", ",0", ",00")),
       italian_text, italian_text)
def test_thousands_separators_do_not_change_a_number(n: int, separator: str, zeros: str, before: str,
                                                     after: str) -> None:
    written = _grouped(n, separator) + zeros
    assert ANALYZER.terms(written) == [str(n)]
    assert ANALYZER.terms(f"{before} {written} {after}") == ANALYZER.terms(f"{before} {n} {after}")


@bounded(200)
@given(st.integers(1000, 10**9), st.integers(1, 99), st.sampled_from((".", *THOUSANDS_SPACES)))
def test_decimals_stay_with_their_number(n: int, cents: int, separator: str) -> None:
    assert ANALYZER.terms(f"{_grouped(n, separator)},{cents:02d}") == [f"{n},{cents:02d}"]


@bounded(200)
@given(st.dates(), st.integers(1, 99), st.integers(0, 99), st.integers(0, 999), st.integers(1, 9))
def test_dates_decimals_and_numbered_paragraphs_are_kept_as_written(date: dt.date, a: int, b: int, c: int,
                                                                    d: int) -> None:
    """No group of exactly three digits after the first: not thousands, whatever else they are."""
    for written in (f"{date:%d.%m.%Y}", f"{a}.{b}", f"{c},{d}", f"{a}.{b}.{c}", f"{c},{b}{d}"):
        assert ANALYZER.terms(written) == [written]


@bounded(300)
@given(act_spellings(), st.integers(1, 999), st.integers(1900, 2030), italian_text)
def test_every_spelling_of_an_act_is_one_term(act: tuple[str, str], number: int, year: int, after: str) -> None:
    spelling, term = act
    assert ANALYZER.terms(spelling) == [term], spelling
    assert ANALYZER.terms(f"{spelling} {number}/{year} {after}") == ANALYZER.terms(f"{term} {number}/{year} {after}")
