"""Cross-lingual search (issue 18): a question in plain Italian finds a good practice written in English.

The index holds the three English practices of the sample corpus and eight Italian practices on other topics, in
the formats they ship in (PDF, HTML, Markdown, DOCX, ODT), ingested as `kb ingest` does, with the default model
through the default encoder. The questions share no word with the English texts (the lexical list never finds
them), so only the dense model can bring them up. This needs a multilingual model: with MiniLM none is found.

Measured with multilingual-e5-small (2026-12-03): the school-streets practice comes first in semantic mode and
second in hybrid. The other two do not beat every Italian distractor: e5-small scores a same-language passage
~0.02 cosine higher than a translation (Italian passages on other topics reach 0.83-0.85, the relevant English ones
0.82-0.83), so they rank 5th and 6th of 9 in semantic mode, 7th in hybrid. Those two are kept as strict expected
failures: they document the limit, and tell when a better model lifts it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator

import pytest

from ingest.service import IngestService
from kb.models.base import DenseEmbedder
from kb.search import Mode, SearchEngine, SearchRequest, engine_from_settings
from kb.settings import Settings
from kb.storage.backends.edge import EdgeBackend
from tests.conftest import REPO

pytestmark = pytest.mark.slow

PRACTICES = REPO / "corpus" / "buone_pratiche"
TODAY = dt.date(2026, 11, 24)  # the corpus reference date (corpus/README.md)
ENERGY = "energy-community-school-roofs-kirchfeld-an-der-aist"  # pdf
WASTE = "pay-as-you-throw-door-to-door-lindebeke"  # html
SCHOOL_STREETS = "school-streets-dunmarnock"  # md
# Italian practices on other topics, some close in domain (energy, schools, plastic, transport): none is about an
# energy community, pay-as-you-throw waste charging or closing streets at school times.
ITALIAN = (
    "teleriscaldamento-biomassa-roccalupa",  # docx
    "bp2-mense-scolastiche-bio-pieve-sant-arialdo",  # pdf
    "bp2-plastic-free-casette-acqua-sant-anselmo-al-mare",  # md
    "bus-a-chiamata-alta-staffora",  # md
    "illuminazione-led-esco-moncelate",  # odt
    "bp2-perdite-idriche-smart-meter-castelferro-ibleo",  # odt
    "bp2-forestazione-censimento-alberi-rovedello-milanese",  # md
    "bp2-bilancio-di-genere-nidi-borgo-castelpiano",  # pdf
)
QUESTIONS = [
    ("come creare una comunità energetica con i pannelli sulle scuole", ENERGY),
    ("tariffa puntuale dei rifiuti pagare in base a quanto si butta", WASTE),
    ("chiudere le strade davanti alle scuole alle auto all'entrata e uscita", SCHOOL_STREETS),
]


@pytest.fixture(scope="module")
def mixed_engine(tmp_path_factory: pytest.TempPathFactory, real_embedder: DenseEmbedder) -> Iterator[SearchEngine]:
    """The shipped files (with their metadata sidecars) of 3 English and 8 Italian practices, one real Edge index."""
    root = tmp_path_factory.mktemp("cross-lingual")
    docs = root / "docs"
    docs.mkdir()
    for slug in (ENERGY, WASTE, SCHOOL_STREETS, *ITALIAN):
        shipped = sorted(PRACTICES.glob(f"{slug}.*"))
        assert shipped, f"{slug} is not in corpus/buone_pratiche: run `make corpus`"
        for path in shipped:
            shutil.copy(path, docs / path.name)
    settings = Settings(_env_file=None, index_path=root / "index", files_path=root / "files")  # type: ignore[call-arg]
    backend = EdgeBackend(settings.index_path, real_embedder.name)
    backend.ensure_collection(real_embedder.dimension)
    report = IngestService.from_settings(backend, real_embedder, settings, files_path=settings.files_path
                                         ).ingest_paths([docs])
    assert report.ok and report.summary()["indexed"] == 3 + len(ITALIAN), report.outcomes
    yield engine_from_settings(settings, backend, real_embedder)
    backend.close()


def _ranking(engine: SearchEngine, question: str, mode: Mode) -> list[str]:
    page = engine.search(SearchRequest(question, mode, limit=20, today=TODAY))
    return [d.doc_id for d in page.documents]


@pytest.mark.parametrize("question, english", QUESTIONS)
def test_the_question_shares_no_word_with_the_english_practice(mixed_engine: SearchEngine, question: str,
                                                               english: str) -> None:
    """The premise: lexical search cannot find it, so what follows is the dense model's doing."""
    assert english not in _ranking(mixed_engine, question, Mode.lexical)


LANGUAGE_BIAS = pytest.mark.xfail(strict=True, reason="e5-small's same-language bias: ranked 5th-6th of 9 "
                                  "(semantic), 7th (hybrid) when measured")
FIRST = [pytest.param(*QUESTIONS[0], marks=LANGUAGE_BIAS), pytest.param(*QUESTIONS[1], marks=LANGUAGE_BIAS),
         QUESTIONS[2]]


@pytest.mark.parametrize("question, english", FIRST)
def test_semantic_search_ranks_the_english_practice_first(mixed_engine: SearchEngine, question: str,
                                                          english: str) -> None:
    ranking = _ranking(mixed_engine, question, Mode.semantic)
    assert ranking[0] == english, ranking


@pytest.mark.parametrize("question, english", FIRST)
def test_hybrid_search_has_the_english_practice_in_the_top_three(mixed_engine: SearchEngine, question: str,
                                                                 english: str) -> None:
    ranking = _ranking(mixed_engine, question, Mode.hybrid)
    assert english in ranking[:3], ranking


@pytest.mark.parametrize("question, english", QUESTIONS)
def test_every_english_practice_is_found_by_meaning(mixed_engine: SearchEngine, question: str, english: str) -> None:
    """What holds for all three: the dense model retrieves the English practice (lexical never does), in the
    first six semantic results (of the 9 documents found)."""
    assert english in _ranking(mixed_engine, question, Mode.semantic)[:6]
