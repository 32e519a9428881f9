"""Italian text analysis, the same at ingestion and at query time, and BM25 sparse vectors built on it.

Pipeline: Unicode NFKC -> lower case -> elisions split (l'impianto -> impianto) -> accents folded to ASCII
(perché -> perche, so a query typed without accents still matches) -> stop words removed -> Snowball Italian stems
(singular and plural meet: energetiche/energetica -> energet, edifici/edificio -> edif). Sparse dimensions are a stable
hash of the stem, so every process and every backend agrees on them without a shared vocabulary.

Numbers and acts are written many ways and meant one way: Italian thousands ("5.000", "1.250.000", "5 000" with a
no-break or thin space) become plain digits ("5000"), a decimal part of zeros goes ("5.000,00" -> "5000"), and the
act abbreviations become one term whatever their dots, spaces and case (D.Lgs./D. Lgs./Dlgs -> dlgs; D.L. -> dl,
D.P.R. -> dpr, L.R. -> lr, D.M. -> dm, D.P.C.M. -> dpcm). Decimals ("2,5"), dates ("12.03.2024") and numbered
paragraphs ("3.2") stay as written: only groups of exactly three digits after a first group of 1-3 (not 0) count.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import Stemmer

# Bumped whenever `terms()` changes for some text: indexes record the version their sparse vectors were built with
# (kb.storage.model_record) and `kb reembed` recomputes them, as queries analysed otherwise would stop matching.
ANALYZER_VERSION = 2

TOKEN_RE = re.compile(r"[^\W_]+(?:[.,][0-9]+)*", re.UNICODE)
# Act abbreviations as one token: the longest first, dots optional (a space only after the D of D. Lgs.), not
# inside a longer word nor continuing another dotted abbreviation (p.d.l. is not d.l.). Peeking at d/l first keeps
# the tokenizer nearly as fast as TOKEN_RE alone.
_ACTS = r"d(?:\.\s?)?lgs|d\.?p\.?c\.?m|d\.?p\.?r|d\.?l|d\.?m|l\.?r"
_WORD_RE = re.compile(rf"(?=[dDlL])(?<![^\W_])(?<![^\W_]\.)(?i:{_ACTS})(?![^\W_])|{TOKEN_RE.pattern}")
_ACT_TERM_RE = re.compile(rf"(?:{_ACTS})")
_THOUSANDS_RE = re.compile(r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+(?:,[0-9]+)?")
_ZERO_DECIMALS_RE = re.compile(r"([0-9]+),0+")
# Typographic spaces that separate thousands (no-break, narrow no-break, thin, figure). NFKC makes them plain
# spaces, which separate words, so such a number is rewritten first (one character each: offsets stay valid).
_THOUSANDS_SPACES = "\u00a0\u202f\u2009\u2007"
_SPACED_THOUSANDS_RE = re.compile(rf"(?<![\w.,])[1-9][0-9]{{0,2}}(?:[{_THOUSANDS_SPACES}][0-9]{{3}})+(?![0-9])")
_THOUSANDS_SPACE_RE = re.compile(f"[{_THOUSANDS_SPACES}]")
# Apostrophes of any kind (straight, typographic, prime, backtick) join an elided article to its word.
APOSTROPHES = "'\u2019\u2018\u02bc\u0060\u00b4"
_APOSTROPHE_RE = re.compile(f"[{APOSTROPHES}]")
MEMO_WORDS = 200_000  # distinct surface forms remembered per analyzer (bounded memory)


def fold(text: str) -> str:
    """Lower case, strip accents (à -> a), keep letters and digits."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _joined_thousands(text: str) -> str:
    """`text` with the typographic spaces inside a number (5 000 with a no-break space) made dots, as 5.000."""
    if not any(ch in text for ch in _THOUSANDS_SPACES):
        return text
    return _SPACED_THOUSANDS_RE.sub(lambda m: _THOUSANDS_SPACE_RE.sub(".", m.group()), text)


def _number(word: str) -> str:
    """One form per written number: "1.250.000" -> "1250000", "5.000,00" -> "5000"; "2,5" and "12.03.2024" stay."""
    if _THOUSANDS_RE.fullmatch(word):
        word = word.replace(".", "")
    zeros = _ZERO_DECIMALS_RE.fullmatch(word)
    return zeros.group(1) if zeros else word


def _normalized(text: str) -> tuple[str, list[int] | None, list[int] | None]:
    """NFKC of `text` and, when that changes it, for each of its characters the start and end in `text` of the
    character (with its combining marks) it comes from. Normalised cluster by cluster, so the map is exact."""
    if unicodedata.is_normalized("NFKC", text):
        return text, None, None
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    start = 0
    for end in range(1, len(text) + 1):
        if end == len(text) or not unicodedata.combining(text[end]):
            piece = unicodedata.normalize("NFKC", text[start:end])
            pieces.append(piece)
            starts += [start] * len(piece)
            ends += [end] * len(piece)
            start = end
    return "".join(pieces), starts, ends


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    text = resources.files("kb.data").joinpath("stopwords_it.txt").read_text(encoding="utf-8")
    return frozenset(fold(w.strip()) for w in text.splitlines() if w.strip() and not w.startswith("#"))


def term_index(term: str) -> int:
    """Stable 31-bit dimension of a term (blake2b), identical across processes and machines."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class Token:
    surface: str
    stem: str
    start: int
    end: int


class ItalianAnalyzer:
    """Tokenizer + normaliser + stemmer; `terms()` is what BM25 indexes and what highlighting matches."""

    def __init__(self, remove_stop_words: bool = True) -> None:
        self._stemmer = Stemmer.Stemmer("italian")
        self._stop = stop_words() if remove_stop_words else frozenset()
        self._memo: dict[str, str | None] = {}

    def tokens(self, text: str, only: frozenset[str] | None = None) -> list[Token]:
        """Tokens with their character offsets in `text` (for highlighting), stop words dropped. Offsets and
        surfaces are those of `text` as given, also where NFKC changes its length (ligatures from PDFs, ½, ①).
        With `only`, just the tokens whose stem it holds (highlighting: the other words cost no object)."""
        normalized, starts, ends = _normalized(_joined_thousands(text))
        memo = self._memo
        out: list[Token] = []
        last_end = 0
        for match in _WORD_RE.finditer(_APOSTROPHE_RE.sub(" ", normalized)):
            word = match.group()
            stem = memo[word] if word in memo else self._word_stem(word)
            if stem is None:
                continue
            if starts is None or ends is None:  # the common case: offsets are those of the match
                if only is not None and stem not in only:
                    continue
                start, end = match.span()
            else:
                start, end = starts[match.start()], ends[match.end() - 1]
                if start < last_end:  # one character that normalises to two words (½ -> 1⁄2): keep the first
                    continue
                last_end = end
                if only is not None and stem not in only:
                    continue
            out.append(Token(text[start:end], stem, start, end))
        return out

    def _word_stem(self, surface: str) -> str | None:
        """Stem of one word, None for a stop word; memoised, as a language's vocabulary repeats a lot."""
        if surface in self._memo:
            return self._memo[surface]
        folded = fold(surface)
        stem: str | None = None
        if _ACT_TERM_RE.fullmatch(folded):
            stem = "".join(ch for ch in folded if ch.isalpha())  # one term per act, whatever its dots
        elif folded and folded not in self._stop:
            stem = _number(folded) if folded[0].isdigit() else self._stem(folded)
        if len(self._memo) < MEMO_WORDS:
            self._memo[surface] = stem
        return stem

    def _stem(self, word: str) -> str:
        # Snowball stems "edifici" to "edif" but "edificio" to "edific": stem -icio/-icie singulars through
        # their plural so both numbers meet (edificio/edifici, beneficio/benefici, superficie/superfici).
        if len(word) > 6 and word.endswith(("icio", "icie")):
            word = word[:-2] + "i"
        return str(self._stemmer.stemWord(word))

    def terms(self, text: str) -> list[str]:
        return [t.stem for t in self.tokens(text)]


class Bm25SparseEncoder:
    """BM25 term weights as sparse vectors; the IDF part is applied by Qdrant (`Modifier.IDF`).

    Besides single stems, pairs of consecutive stems ("comun_energet") are features too: a query that repeats a
    phrase of the passage gains over one that shares scattered words. Query pairs weigh `bigram_weight` (0.3, tuned
    on the SQuAD-it development half: MRR@10 0.797 -> 0.808 with question words as stop words).
    """

    def __init__(self, analyzer: ItalianAnalyzer | None = None, k1: float = 1.2, b: float = 0.75,
                 avg_len: float = 60.0, bigram_weight: float = 0.3) -> None:
        if k1 < 0 or not 0.0 <= b <= 1.0 or avg_len <= 0 or not 0.0 <= bigram_weight <= 1.0:
            raise ValueError("BM25: serve k1 >= 0, 0 <= b <= 1, avg_len > 0, 0 <= bigram_weight <= 1")
        self.analyzer = analyzer or ItalianAnalyzer()
        self.k1, self.b, self.avg_len, self.bigram_weight = k1, b, avg_len, bigram_weight

    def _features(self, text: str) -> tuple[list[str], list[str]]:
        terms = self.analyzer.terms(text)
        pairs = [f"{a}_{b}" for a, b in itertools.pairwise(terms) if a != b] if self.bigram_weight else []
        return terms, pairs

    def encode_document(self, text: str) -> tuple[list[int], list[float]]:
        terms, pairs = self._features(text)
        counts = Counter(terms) + Counter(pairs)
        norm = self.k1 * (1 - self.b + self.b * len(terms) / self.avg_len)
        weights = {term_index(t): tf * (self.k1 + 1) / (tf + norm) for t, tf in counts.items()}
        return _sorted(weights)

    def encode_query(self, text: str) -> tuple[list[int], list[float]]:
        terms, pairs = self._features(text)
        weights = {term_index(p): self.bigram_weight for p in pairs}
        weights.update({term_index(t): 1.0 for t in terms})
        return _sorted(weights)


def _sorted(weights: dict[int, float]) -> tuple[list[int], list[float]]:
    indices = sorted(weights)
    return indices, [weights[i] for i in indices]
