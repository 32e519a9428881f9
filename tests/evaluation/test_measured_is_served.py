"""What `kb eval` measures is what GET /search serves: for every query of the domain dev split and every mode, the
same documents in the same order for the top 10, with the same scores (to 1e-6).

The domain corpus is indexed once with the product's ingestion; the evaluation's ranking (`product_ranking`, what
`kb eval` writes to its TREC runs) and the API answer over that same index with the same settings and day.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from evaluation.beir import load_beir
from evaluation.indexing import IndexedCorpus, index_corpus
from evaluation.run import product_ranking
from kb.models.base import DenseEmbedder
from kb.search import Mode, engine_from_settings
from kb.settings import Settings
from search_api.app import create_app
from tests.search_api.api_fixture import LOCAL_URL

DOMAIN = Path(__file__).resolve().parents[2] / "evaluation" / "datasets" / "domain"
# the dev split has "bandi aperti ...": statuses are read against the data set's reference date, by both
TODAY = load_beir(DOMAIN, "dev").reference_date
TOP = 10


@pytest.fixture(scope="module")
def domain_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: DenseEmbedder
                 ) -> Iterator[tuple[IndexedCorpus, Settings, TestClient]]:
    """The domain corpus indexed as `kb eval` indexes it, and the API over that same index (the app owns the
    backend from here on and closes it)."""
    root = tmp_path_factory.mktemp("measured")
    settings = Settings(_env_file=None, index_path=root / "work" / "index",  # type: ignore[call-arg]
                        files_path=root / "files", uploads_path=root / "uploads", model=real_embedder.name,
                        rate_limit_enabled=False)
    indexed = index_corpus(load_beir(DOMAIN, "dev"), real_embedder, settings, root / "work", "buona_pratica",
                           quiet=True)
    app = create_app(settings, embedder=real_embedder, backend=indexed.backend, clock=lambda: TODAY)
    with TestClient(app, base_url=LOCAL_URL) as client:
        yield indexed, settings, client


@pytest.mark.slow
@pytest.mark.parametrize("mode", list(Mode))
def test_eval_run_equals_get_search(domain_index: tuple[IndexedCorpus, Settings, TestClient],
                                    real_embedder: DenseEmbedder, mode: Mode) -> None:
    indexed, settings, client = domain_index
    dataset = load_beir(DOMAIN, "dev")
    assert len(dataset.queries) == 60 and TODAY is not None
    engine = engine_from_settings(settings, indexed.backend, real_embedder)
    measured = product_ranking(engine, dataset.queries, mode, indexed.ids, quiet=True, today=TODAY)
    compared = 0
    for qid, text in dataset.queries.items():
        answer = client.get("/search", params={"q": text, "mode": mode.value, "page_size": TOP})
        assert answer.status_code == 200, answer.text
        served = [(r["doc_id"], r["score"]) for r in answer.json()["results"]]
        expected = measured[qid][:TOP]
        assert [d for d, _ in served] == [indexed.ids.to_doc[d] for d, _ in expected], (qid, text)
        assert all(abs(s - e) <= 1e-6 for (_, s), (_, e) in zip(served, expected, strict=True)), (qid, text)
        compared += len(served)
    assert compared >= 500, "the dev queries find documents"
