"""The document type classifier without a model: cues, the stored calibration, refusals and the measured report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evaluation import doctype as evaluation
from evaluation import enrichment
from ingest.components.doc_type_classifier import DocTypeClassifier
from ingest.enrich.doctype import (
    TYPES,
    Guess,
    calibration_id,
    cue_counts,
    document_text,
    load_calibration,
    refusal_message,
)
from ingest.metadata import split_front_matter
from tests.conftest import REPO
from tests.doctype_texts import OUTSIDE, TYPED

RESULTS = REPO / "results" / "eval" / "doctype.json"


def _distinct(text: str) -> dict[str, int]:
    return {t: sum(1 for n in found.values() if n) for t, found in cue_counts(text).items()}


@pytest.mark.parametrize("doc_type", sorted(TYPED))
def test_each_type_is_written_with_its_own_cues(doc_type: str) -> None:
    distinct = _distinct(TYPED[doc_type])
    assert distinct[doc_type] >= 5 and all(distinct[t] < distinct[doc_type] for t in TYPES if t != doc_type)


def test_section_titles_are_read_where_a_section_starts() -> None:
    text = document_text([("Quadro economico", "Importo 10.000 euro."), ("Quadro economico", "IVA inclusa."),
                          (None, "Altro."), ("Art. 1", "Finalità.")])
    assert text.splitlines() == ["Quadro economico", "Importo 10.000 euro.", "IVA inclusa.", "Altro.", "Art. 1",
                                 "Finalità."]
    assert cue_counts(text)["normativa"]["articoli"] == 1


@pytest.mark.parametrize("name", sorted(TYPED))
def test_cues_alone_type_documents_never_seen(name: str) -> None:
    guess = load_calibration().classify(TYPED[name], [], None)
    assert (guess.doc_type, guess.refusal, guess.dense) == (name, None, False) and guess.confidence >= 0.9
    assert guess.evidence.startswith("«")


@pytest.mark.parametrize("name", sorted(OUTSIDE))
def test_a_text_of_no_type_is_refused_for_lack_of_cues(name: str) -> None:
    guess = load_calibration().classify(OUTSIDE[name], [], None)
    assert guess.refusal == "no_cues" and guess.cues < load_calibration().min_cues


def test_vectors_of_another_model_are_not_compared_with_the_centroids() -> None:
    calibration = load_calibration()
    vectors = [[1.0] + [0.0] * (calibration.centroids.shape[1] - 1)]
    assert not calibration.classify(TYPED["bando"], vectors, "altro-modello").dense
    assert calibration.classify(TYPED["bando"], vectors, calibration.model).dense
    assert not calibration.classify(TYPED["bando"], [[1.0, 0.0]], calibration.model).dense  # wrong dimension


def test_the_stored_calibration_types_the_corpus_markdown_from_its_cues() -> None:
    """A quick check of the data file against the corpus: the Italian Markdown files, front matter hidden, typed by
    the cues-only weights (the measured numbers, with the model, are in results/eval/doctype.md)."""
    calibration, right, total = load_calibration(), 0, 0
    for folder in ("buone_pratiche", "progetti", "normativa", "bandi"):
        for path in sorted((REPO / "corpus" / folder).glob("*.md")):
            front, body = split_front_matter(path.read_bytes(), str(path))
            if front.get("language", "it") != "it":
                continue
            guess = calibration.classify(body.decode("utf-8"), [], None)
            right, total = right + (guess.refusal is None and guess.doc_type == front["doc_type"]), total + 1
    assert total >= 25 and right / total >= 0.95


def test_the_measured_report_belongs_to_the_shipped_calibration_and_meets_the_target() -> None:
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    assert results["calibration_id"] == calibration_id(), "kb eval doctype --calibrate wrote both together"
    assert results["threshold"] == load_calibration().threshold
    assert results["all_italian"]["documents"] == 82 and results["held_out_documents"] >= 40
    assert results["held_out"]["accuracy"] >= 0.95 and results["all_italian"]["accuracy"] >= 0.95
    confusion = results["held_out"]["confusion"]
    assert sum(confusion[t][t] for t in TYPES) / results["held_out_documents"] == results["held_out"]["accuracy"]


def _sample(doc_id: str, language: str = "it") -> evaluation.Sample:
    return evaluation.Sample(doc_id, "bando", language, "", [])


def test_the_halves_are_the_enrichment_evaluations() -> None:
    samples = [_sample(f"doc-{i:02d}") for i in range(11)]
    fit, held_out = evaluation.split(samples)
    assert (fit, held_out) == enrichment.split(samples)  # type: ignore[arg-type]
    english = [_sample("a"), _sample("b", "en"), _sample("c"), _sample("d")]
    assert [[s.doc_id for s in half] for half in evaluation.split(english)] == [["a", "c"], ["d"]]


def test_logistic_regression_separates_what_is_separable() -> None:
    features = np.asarray([[3.0, 0, 0, 0], [0, 3.0, 0, 0], [0, 0, 3.0, 0], [0, 0, 0, 3.0]] * 3)
    labels = np.asarray([0, 1, 2, 3] * 3)
    weights = evaluation.fit_weights(features, labels, l2=0.1)
    assert list(weights.probabilities(features).argmax(axis=1)) == list(labels)


def _guess(refusal: str, cues: int = 3) -> Guess:
    ranking = [("bando", 0.48), ("normativa", 0.41), ("progetto", 0.08), ("buona_pratica", 0.03)]
    return Guess("bando", 0.48, ranking, "«scadenza»", cues, True, refusal)


def test_an_ambiguous_file_is_refused_naming_the_close_types_and_how_to_declare_one() -> None:
    message = refusal_message(_guess("ambiguous"), load_calibration(), "/tmp/docs/decreto.pdf")
    assert "bando (0,48) e normativa (0,41)" in message and "sotto la soglia di 0,50" in message
    for way in ("`kb ingest --doc-type bando`", "`doc_type: bando` nel front matter", "decreto.pdf.meta.yaml",
                "campo `doc_type` dell'invio via API", "buona_pratica, progetto, normativa o bando"):
        assert way in message


def test_a_file_without_cues_is_refused_saying_so() -> None:
    message = refusal_message(_guess("no_cues", cues=0), load_calibration(), "menu.docx")
    assert "nessuno dei suoi indizi" in message and "menu.docx.meta.yaml" in message


def test_the_classifier_checks_its_calibration_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="non trovato"):
        DocTypeClassifier("m", calibration_path=tmp_path / "manca.yaml")


def test_the_classifier_round_trips_and_reads_another_calibration(tmp_path: Path) -> None:
    other = tmp_path / "altra.yaml"
    other.write_text((REPO / "kb" / "data" / "doctype_calibration.yaml").read_text(encoding="utf-8")
                     .replace("threshold: 0.5", "threshold: 0.99"), encoding="utf-8")
    step = DocTypeClassifier.from_dict(DocTypeClassifier("m", calibration_path=other).to_dict())
    assert (step.model, step.calibration_path) == ("m", other)
    step.warm_up()
    assert step._loaded().threshold == 0.99


def test_below_the_threshold_the_step_refuses_and_passes_declared_documents_through(tmp_path: Path) -> None:
    from haystack import Document

    strict = tmp_path / "severa.yaml"
    strict.write_text((REPO / "kb" / "data" / "doctype_calibration.yaml").read_text(encoding="utf-8")
                      .replace("threshold: 0.5", "threshold: 0.9999"), encoding="utf-8")
    mixed = TYPED["bando"] + "\n" + TYPED["normativa"]  # a call that quotes its law at length
    chunks = [Document(content=mixed, meta={"doc_id": "misto", "doc_type": None, "chunk_index": 0,
                                            "source": "misto.pdf"}),
              Document(content=mixed, meta={"doc_id": "dichiarato", "doc_type": "bando", "chunk_index": 0})]
    out = DocTypeClassifier("hashing-32", calibration_path=strict).run(chunks)
    [refused] = out["refused"]
    assert refused["doc_id"] == "misto" and refused["code"] == "doc_type_unknown"
    assert "sotto la soglia di 1,00" in refused["message"] and "misto.pdf.meta.yaml" in refused["message"]
    [kept] = out["documents"]
    assert kept.meta["doc_type"] == "bando" and kept.meta["provenance"]["doc_type"]["origine"] == "dichiarato"
