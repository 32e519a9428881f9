"""How well enrichment recovers the sample corpus's declared metadata, and calibration of the tag thresholds.

Every corpus file goes through the ingestion pipeline up to the enricher (`embedding_pipeline_for` of
`ingest.pipeline`, with the chunking and OCR settings of `kb.settings.Settings`), with its declared metadata hidden
(only type and title are kept, as a bare upload would have); the extractors' output is compared with what the
authors declared. Tag thresholds are fitted on one half of the documents (sorted ids, even positions) and the
report gives precision and recall on the other half, so the numbers are not measured on the data they were tuned on.
The grid search itself is `evaluation.tag_calibration`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.tag_calibration import calibrate
from ingest.components.metadata_enricher import chunk_vectors, document_view
from ingest.enrich.acts import act_key
from ingest.enrich.document import extract_values
from ingest.enrich.gazetteer import Gazetteer
from ingest.enrich.tagging import FAMILIES, Calibration, LabelScores, Tagger, choose_all
from ingest.formats import discover
from ingest.pipeline import EMBEDDED, embedding_pipeline_for
from ingest.prepare import prepare, slugify

FIELDS_BY_TYPE = {
    "bando": ("opening_date", "deadline", "budget", "population_cap", "regione"),
    "buona_pratica": ("comune", "provincia", "regione", "popolazione"),
    "progetto": ("comune", "provincia", "regione", "popolazione"),
    "normativa": ("reference", "level", "regione"),
}


@dataclass
class Sample:
    doc_id: str
    doc_type: str
    declared: dict[str, Any]
    scores: dict[str, LabelScores]
    extracted: dict[str, Any] = field(default_factory=dict)


def collect(paths: list[Path], embedder: Any, tagger: Tagger, gazetteer: Gazetteer, settings: Any) -> list[Sample]:
    """Convert, chunk and embed each file with its metadata hidden; keep label scores and extracted values.

    `settings` (a `kb.settings.Settings`) sets chunking and OCR as in ingestion; the embedder carries the model's
    prefixes (`embedder_from_settings`), so the enricher's inputs are those of the product.
    """
    pipe = embedding_pipeline_for(embedder, settings)
    files, _ = discover(paths)
    samples: list[Sample] = []
    for path in files:
        item = prepare(path, path.read_bytes(), None, None)
        doc_id = item.meta.doc_id or slugify(path.stem)
        stream = item.stream(doc_id, getattr(embedder, "name", ""))
        bare = {"doc_id": doc_id, "doc_type": item.meta.doc_type.value, "title": stream.meta["title"]}
        stream = dataclasses.replace(stream, meta=bare)
        chunks = pipe.run({"router": {"sources": [stream]}})[EMBEDDED]["documents"]
        text, _ = document_view(chunks)
        vectors = chunk_vectors(chunks)
        found = extract_values(text, bare, vectors, tagger, gazetteer)
        samples.append(Sample(doc_id, bare["doc_type"], item.meta.model_dump(mode="json"),
                              tagger.scores(f"{bare['title']}\n{text}", vectors, bare["doc_type"]),
                              {k: (v.value, v.confidence) for k, v in found.items()}))
    return sorted(samples, key=lambda s: s.doc_id)


def split(samples: list[Sample]) -> tuple[list[Sample], list[Sample]]:
    return samples[0::2], samples[1::2]


def gold_tags(samples: list[Sample]) -> dict[str, list[set[str]]]:
    return {family: [{str(x) for x in s.declared.get(family) or []} for s in samples] for family in FAMILIES}


def tag_metrics(samples: list[Sample], calibration: dict[str, Calibration],
                links: dict[str, tuple[str, ...]]) -> dict[str, dict[str, Any]]:
    """Per family, micro precision/recall/F1 of the tagger's choice against the declared tags."""
    counts = {family: [0, 0, 0] for family in FAMILIES}  # tp, fp, fn
    for s in samples:
        chosen = choose_all(s.scores, calibration, links)
        for family in FAMILIES:
            predicted = {t.label for t in chosen[family]}
            gold = {str(x) for x in s.declared.get(family) or []}
            c = counts[family]
            c[0], c[1], c[2] = c[0] + len(predicted & gold), c[1] + len(predicted - gold), c[2] + len(gold - predicted)
    report = {}
    for family, (tp, fp, fn) in counts.items():
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[family] = {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
                          "documents": len(samples), "declared": tp + fn, "extracted": tp + fp}
    return report


def _same(field_name: str, extracted: Any, declared: Any) -> bool:
    if field_name == "reference":
        return act_key(str(extracted)) == act_key(str(declared))
    if field_name == "budget":
        return abs(float(extracted) - float(declared)) <= 0.01 * float(declared)
    if field_name in ("opening_date", "deadline"):
        return dt.date.fromisoformat(str(extracted)) == dt.date.fromisoformat(str(declared))
    if isinstance(declared, str):
        return str(extracted).casefold() == declared.casefold()
    return bool(extracted == declared)


def field_metrics(samples: list[Sample]) -> dict[str, dict[str, Any]]:
    """Per type and field: declared, extracted, correct, precision (correct/extracted), recall (correct/declared)."""
    report: dict[str, dict[str, Any]] = {}
    for doc_type, names in FIELDS_BY_TYPE.items():
        group = [s for s in samples if s.doc_type == doc_type]
        for name in names:
            declared = [s for s in group if s.declared.get(name) not in (None, "", [])]
            extracted = [s for s in group if name in s.extracted]
            correct = [s for s in declared if name in s.extracted and _same(name, s.extracted[name][0],
                                                                             s.declared[name])]
            wrong = [f"{s.doc_id}: {s.extracted[name][0]!r} invece di {s.declared.get(name)!r}"
                     for s in extracted if s not in correct]
            report[f"{doc_type}.{name}"] = {
                "documents": len(group), "declared": len(declared), "extracted": len(extracted),
                "correct": len(correct),
                "precision": round(len(correct) / len(extracted), 3) if extracted else None,
                "recall": round(len(correct) / len(declared), 3) if declared else None,
                "errors": wrong[:10],
            }
    return report


def evaluate(samples: list[Sample], links: dict[str, tuple[str, ...]],
             calibration: dict[str, Calibration] | None = None,
             short_rule: dict[str, Any] | None = None) -> dict[str, Any]:
    """Calibrate on one half (unless given), measure tags on the other, fields on all documents. The keyword-only
    fallback is fitted and measured the same way, as the baseline the model's similarity has to beat. `short_rule`
    (fitted on PNRR projects, `Tagger.calibration`) is applied as the tagger applies it, so what is measured is
    what is served; it only touches one-chunk documents."""
    fit, held_out = split(samples)
    calibration = calibration or calibrate([s.scores for s in fit], gold_tags(fit), links)
    keywords = calibrate([s.scores for s in fit], gold_tags(fit), links, keywords_only=True)
    served = ({**calibration, "sdg": dataclasses.replace(calibration["sdg"], **short_rule)}
              if short_rule and calibration["sdg"].keyword_weight < 1 else calibration)
    return {
        "documents": len(samples), "calibration_documents": len(fit), "held_out_documents": len(held_out),
        "calibration": {f: vars(c) for f, c in calibration.items()},
        "short_rule": short_rule or {},
        "keywords_only_calibration": {f: vars(c) for f, c in keywords.items()},
        "tags_held_out": tag_metrics(held_out, served, links),
        "tags_calibration_half": tag_metrics(fit, served, links),
        "tags_held_out_keywords_only": tag_metrics(held_out, keywords, links),
        "fields": field_metrics(samples),
    }


def to_markdown(results: dict[str, Any]) -> str:
    lines = ["# Arricchimento automatico: confronto con i metadati dichiarati del corpus di esempio", "",
             f"{results['documents']} documenti; soglie dei tag calibrate su {results['calibration_documents']}, "
             f"misurate sugli altri {results['held_out_documents']}.", "",
             "## SDG e temi (documenti non usati per la calibrazione)", "",
             "| famiglia | precisione | richiamo | F1 | tag dichiarati | tag estratti |", "|---|---|---|---|---|---|"]
    for family, m in results["tags_held_out"].items():
        lines.append(f"| {family} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['declared']} | "
                     f"{m['extracted']} |")
    for family, m in results.get("tags_held_out_keywords_only", {}).items():
        lines.append(f"| {family}, solo parole chiave | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
                     f"{m['declared']} | {m['extracted']} |")
    lines += ["", f"Modello: {results.get('model', '—')}. Parametri calibrati: " + "; ".join(
        f"{f}: " + ", ".join(f"{k}={v}" for k, v in c.items()) for f, c in results["calibration"].items()), "",
        "## Campi (tutti i documenti)", "",
        "I comuni del corpus di esempio sono immaginari: nessuno è nell'elenco ISTAT, quindi qui il comune viene da "
        "«Comune di X» (affidabilità 0,5) e provincia e regione solo da ciò che il testo dice; con un comune reale "
        "dell'elenco arrivano anche provincia, regione e popolazione (vedi i test).", "",
        "| tipo.campo | dichiarati | estratti | corretti | precisione | richiamo |", "|---|---|---|---|---|---|"]
    for name, m in results["fields"].items():
        p = "—" if m["precision"] is None else f"{m['precision']:.3f}"
        r = "—" if m["recall"] is None else f"{m['recall']:.3f}"
        lines.append(f"| {name} | {m['declared']} | {m['extracted']} | {m['correct']} | {p} | {r} |")
    errors = [(name, e) for name, m in results["fields"].items() for e in m["errors"]]
    if errors:
        lines += ["", "## Errori (primi per campo)", ""] + [f"- {name}: {e}" for name, e in errors]
    return "\n".join(lines) + "\n"
