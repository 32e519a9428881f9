"""The enrichment report's arithmetic: tag precision/recall, calibration on one half, field comparisons."""

from __future__ import annotations

from evaluation.enrichment import Sample, calibrate, evaluate, field_metrics, tag_metrics, to_markdown
from ingest.enrich.tagging import Calibration, LabelScores


def _sample(doc_id: str, declared_sdg: list[int], hits: dict[str, float], **declared: object) -> Sample:
    scores = {"sdg": LabelScores(hits=hits), "themes": LabelScores(hits={"energia-cer": 3.0})}
    return Sample(doc_id, str(declared.pop("doc_type", "bando")), {"sdg": declared_sdg, "themes": ["energia-cer"],
                                                                   **declared}, scores)


def test_tag_metrics_count_true_and_false_labels() -> None:
    samples = [_sample("a", [7, 13], {"7": 4.0, "13": 3.0, "11": 0.2}),
               _sample("b", [11], {"7": 4.0, "11": 1.0})]
    m = tag_metrics(samples, "sdg", Calibration(keyword_weight=1.0, threshold=0.5, min_hits=1.0, max_labels=3))
    # a: 7 and 13 right; b: 7 wrong (11 scores 0.25 < 0.5, missed)
    assert (m["extracted"], m["declared"], m["precision"], m["recall"]) == (3, 3, 0.667, 0.667)


def test_calibration_finds_the_threshold_that_separates_labels() -> None:
    samples = [_sample(str(i), [7], {"7": 5.0, "13": 1.5}) for i in range(6)]
    best = calibrate(samples, "sdg")
    assert tag_metrics(samples, "sdg", best)["f1"] == 1.0


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
    samples = [_sample(f"d{i}", [7], {"7": 5.0, "13": 1.0}) for i in range(8)]
    results = evaluate(samples)
    assert results["calibration_documents"] == results["held_out_documents"] == 4
    assert results["tags_held_out"]["sdg"]["f1"] == 1.0
    assert "| sdg | 1.000 | 1.000 | 1.000 |" in to_markdown(results)
