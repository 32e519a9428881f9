"""Sentence splitting and structure-aware chunking on Italian text."""

from __future__ import annotations

import itertools

import pytest
from haystack import Document

from ingest.components.italian_chunker import ItalianChunker
from ingest.sentences import split_sentences
from kb.models.embedders import HashingEmbedder


def test_apostrophes_and_abbreviations_do_not_end_sentences() -> None:
    text = ("Ai sensi dell'art. 57 del D.Lgs. 36/2023 l'ente applica i CAM. Il comune di Sant'Angelo Lodigiano "
            "ha fatto l'impianto! C'è un'area verde? Si veda il n. 3 della L. 10/1991.")
    assert split_sentences(text) == [
        "Ai sensi dell'art. 57 del D.Lgs. 36/2023 l'ente applica i CAM.",
        "Il comune di Sant'Angelo Lodigiano ha fatto l'impianto!",
        "C'è un'area verde?",
        "Si veda il n. 3 della L. 10/1991.",
    ]


def test_numbers_with_dots_stay_whole() -> None:
    assert split_sentences("Il costo è di € 2.500.000 per 1.200 punti luce. Fine.") == [
        "Il costo è di € 2.500.000 per 1.200 punti luce.", "Fine."]


def _chunker(max_tokens: int = 80, overlap: int = 20) -> ItalianChunker:
    return ItalianChunker(HashingEmbedder(), max_tokens=max_tokens, overlap_tokens=overlap)


def test_chunks_never_span_sections_and_keep_headings() -> None:
    body = "\n\n".join([
        "# Titolo", "## Contesto", "Il comune ha avviato il progetto nel 2021. " * 3,
        "## Risultati", "La produzione è stata di 70.000 kWh. " * 3,
    ])
    chunks = _chunker().run([Document(content=body, meta={"title": "CER", "doc_id": "x"})])["documents"]
    sections = [c.meta["section"] for c in chunks]
    assert sections[0] == "Contesto" and sections[-1] == "Risultati"
    for chunk in chunks:
        assert ("kWh" in chunk.content) == (chunk.meta["section"] == "Risultati")
        assert chunk.meta["page_start"] is None
        assert chunk.meta["_index_text"].startswith("CER. " + chunk.meta["section"])


def test_chunks_fit_the_budget_and_overlap() -> None:
    sentences = [f"La frase numero {i} parla dell'impianto fotovoltaico comunale." for i in range(40)]
    chunker = _chunker(max_tokens=80, overlap=25)
    chunks = chunker.run([Document(content=" ".join(sentences), meta={"title": "T"})])["documents"]
    assert len(chunks) > 3
    embedder = HashingEmbedder()
    for chunk in chunks:
        assert embedder.count_tokens(chunk.meta["_index_text"]) <= 80 + 8
    for first, second in itertools.pairwise(chunks):
        last_sentence = split_sentences(first.content)[-1]
        assert second.content.startswith(last_sentence), "consecutive chunks share their boundary sentence"
    assert [c.meta["chunk_index"] for c in chunks] == list(range(len(chunks)))


def test_page_ranges_follow_form_feeds() -> None:
    pages = ["Pagina uno. " * 30, "Pagina due. " * 30, "Pagina tre. " * 30]
    chunks = _chunker(max_tokens=120, overlap=0).run(
        [Document(content="\f".join(pages), meta={"title": "P", "page_count": 3})])["documents"]
    for chunk in chunks:
        assert 1 <= chunk.meta["page_start"] <= chunk.meta["page_end"] <= 3
        for n, word in ((1, "uno"), (2, "due"), (3, "tre")):
            if word in chunk.content:
                assert chunk.meta["page_start"] <= n <= chunk.meta["page_end"]


def test_overlong_sentence_is_cut_by_words() -> None:
    text = " ".join(["parola"] * 400)
    chunks = _chunker(max_tokens=80, overlap=0).run([Document(content=text, meta={"title": "L"})])["documents"]
    assert len(chunks) >= 5
    assert sum(len(c.content.split()) for c in chunks) == 400


def test_chunker_validates_arguments() -> None:
    with pytest.raises(ValueError):
        ItalianChunker(HashingEmbedder(), max_tokens=50, overlap_tokens=30)
