"""The retrieval core as a Haystack component, inside a real Haystack Pipeline (retriever -> prompt builder)."""

from __future__ import annotations

import pytest
from haystack import Pipeline
from haystack.components.builders import PromptBuilder

from kb.haystack.retriever import KnowledgeBaseRetriever
from kb.search import Mode, SearchEngine, SearchFilters, SearchRequest

TEMPLATE = """Rispondi usando solo questi documenti.
{% for doc in documents %}[{{ doc.meta.title }}] {{ doc.content[:80] }}
{% endfor %}Domanda: {{ question }}"""


def test_a_rag_pipeline_gets_what_the_engine_ranks(engine: SearchEngine) -> None:
    pipeline = Pipeline()
    pipeline.add_component("retriever", KnowledgeBaseRetriever(engine, top_k=3))
    pipeline.add_component("prompt", PromptBuilder(template=TEMPLATE, required_variables=["documents", "question"]))
    pipeline.connect("retriever.documents", "prompt.documents")
    question = "come ha fatto un piccolo comune a creare una comunità energetica?"
    out = pipeline.run({"retriever": {"query": question}, "prompt": {"question": question}},
                       include_outputs_from={"retriever"})
    documents = out["retriever"]["documents"]
    expected = engine.search(SearchRequest(question, limit=3)).documents
    assert [(d.id, d.score) for d in documents] == [(e.doc_id, e.score) for e in expected]
    best = documents[0]
    assert best.id == "cer-montagna" and best.meta["doc_type"] == "buona_pratica"
    assert best.meta["title"] == "Comunità energetica rinnovabile a Valfonda" and best.meta["comune"] == "Valfonda"
    assert best.content and "Valfonda" in best.content and best.meta["passages"]
    assert "[Comunità energetica rinnovabile a Valfonda]" in out["prompt"]["prompt"]


def test_filters_and_mode_are_the_knowledge_base_ones(engine: SearchEngine) -> None:
    retriever = KnowledgeBaseRetriever(engine)
    found = retriever.run("comunità energetiche", filters={"doc_type": ["normativa"], "in_force": True},
                          mode="lexical")["documents"]
    expected = engine.search(SearchRequest("comunità energetiche", Mode.lexical,
                                           SearchFilters(doc_type=["normativa"], in_force=True)))
    assert [d.id for d in found] == [d.doc_id for d in expected.documents] == ["dlgs-199"]
    with pytest.raises(ValueError, match="campi ammessi"):
        retriever.run("energia", filters={"colore": "verde"})


def test_bad_arguments_are_refused_at_construction(engine: SearchEngine) -> None:
    with pytest.raises(ValueError, match="hybrid, lexical, semantic"):
        KnowledgeBaseRetriever(engine, mode="vettoriale")
    with pytest.raises(ValueError, match="top_k"):
        KnowledgeBaseRetriever(engine, top_k=0)
    with pytest.raises(TypeError, match="serializza"):
        KnowledgeBaseRetriever(engine).to_dict()


def test_building_it_loads_nothing_and_it_round_trips() -> None:
    retriever = KnowledgeBaseRetriever(top_k=5, mode="semantic")
    assert retriever.engine is None
    data = retriever.to_dict()
    assert data["init_parameters"] == {"top_k": 5, "mode": "semantic", "passages_per_doc": 3}
    again = KnowledgeBaseRetriever.from_dict(data)
    assert (again.top_k, again.mode, again.engine) == (5, Mode.semantic, None)
