"""The enrichment report's arithmetic: tag precision/recall, calibration on one half, field comparisons."""

from __future__ import annotations

import numpy as np

from evaluation.enrichment import Sample, evaluate, field_metrics, gold_tags, tag_metrics, to_markdown
from evaluation.tag_calibration import calibrate, fit_confidence
from ingest.enrich.tagging import Calibration, LabelScores

LINKS = {"energia-cer": ("7", "13"), "acqua": ("6",)}


def _sample(doc_id: str, declared_sdg: list[int], hits: dict[str, float],
            similarity: dict[str, float] | None = None, **declared: object) -> Sample:
    aggregates = {agg: similarity for agg in ("max", "top3", "mean")} if similarity else {}
    scores = {"sdg": LabelScores(hits={"6": 0.0, "13": 0.0, "7": 0.0, "11": 0.0, **hits}, similarity=aggregates),
              "themes": LabelScores(hits={"energia-cer": 3.0, "acqua": 0.0})}
    return Sample(doc_id, str(declared.pop("doc_type", "bando")), {"sdg": declared_sdg, "themes": ["energia-cer"],
                                                                   **declared}, scores)


def test_tag_metrics_count_true_and_false_labels() -> None:
    samples = [_sample("a", [7, 13], {"7": 4.0, "13": 3.0, "11": 0.2}),
               _sample("b", [11], {"7": 4.0, "11": 1.0})]
    keywords = Calibration(keyword_scale="rel", keyword_weight=1.0, threshold=0.5, max_labels=3, min_labels=0)
    m = tag_metrics(samples, {"themes": keywords, "sdg": keywords}, LINKS)["sdg"]
    # a: 7 and 13 right; b: 7 wrong (11 scores 0.25 < 0.5, missed)
    assert (m["extracted"], m["declared"], m["precision"], m["recall"]) == (3, 3, 0.667, 0.667)


def test_calibration_finds_the_parameters_that_separate_labels() -> None:
    """Keywords cannot tell 7 from 13 here (same hits, 13 first on ties); the similarity can: the grid must give it
    weight."""
    samples = [_sample(str(i), [7], {"7": 2.0, "13": 2.0}, {"6": 0.80, "7": 0.88, "11": 0.80, "13": 0.79})
               for i in range(6)]
    fitted = calibrate([s.scores for s in samples], gold_tags(samples), LINKS)
    assert fitted["sdg"].keyword_weight < 1.0
    assert tag_metrics(samples, fitted, LINKS)["sdg"]["f1"] == 1.0
    keywords = calibrate([s.scores for s in samples], gold_tags(samples), LINKS, keywords_only=True)
    assert keywords["sdg"].keyword_weight == 1.0 and tag_metrics(samples, keywords, LINKS)["sdg"]["f1"] < 1.0


def test_confidence_is_the_share_of_right_labels_at_a_score() -> None:
    scores = np.array([[2.0, -1.0]] * 50 + [[0.0, 0.0]] * 50)
    gold = np.array([[True, False]] * 50 + [[True, False]] * 25 + [[False, True]] * 25)
    slope, offset = fit_confidence(scores, gold)
    probability = 1 / (1 + np.exp(-(slope * scores + offset)))
    assert probability[0, 0] > 0.9 and probability[0, 1] < 0.1 and abs(probability[-1, 0] - 0.5) < 0.05


def test_fields_compare_dates_amounts_and_references() -> None:
    right = _sample("r", [7], {}, deadline="2027-01-31", budget=1_000_000.0)
    right.extracted = {"deadline": ("2027-01-31", 0.9), "budget": (1_005_000.0, 0.85)}  # within 1%
    wrong = _sample("w", [7], {}, deadline="2027-01-31", budget=1_000_000.0)
    wrong.extracted = {"deadline": ("2027-02-01", 0.9)}
    act = _sample("n", [7], {}, doc_type="normativa", reference="D.Lgs. 199/2021")
    act.extracted = {"reference": ("d.lgs. n. 199 del 2021", 0.85)}
    report = field_metrics([right, wrong, act])
    assert report["bando.deadline"] | {"errors": []} == {"documents": 2, "declared": 2, "extracted": 2, "correct": 1,
                                                          "precision": 0.5, "recall": 0.5, "errors": []}
    assert report["bando.budget"]["correct"] == 1 and report["bando.budget"]["recall"] == 0.5
    assert report["normativa.reference"]["correct"] == 1
    assert "w: '2027-02-01'" in report["bando.deadline"]["errors"][0]


def test_evaluate_holds_out_half_and_renders_a_report() -> None:
    samples = [_sample(f"d{i}", [7], {"7": 5.0, "13": 1.0}, {"6": 0.8, "7": 0.9, "11": 0.8, "13": 0.8})
               for i in range(8)]
    results = evaluate(samples, LINKS)
    assert results["calibration_documents"] == results["held_out_documents"] == 4
    assert results["tags_held_out"]["sdg"]["f1"] == 1.0
    assert "| sdg | 1.000 | 1.000 | 1.000 |" in to_markdown(results)
