"""Calibration and measurement of the document type classifier (`ingest/enrich/doctype.py`) on the sample corpus.

Every Italian corpus file goes through the ingestion pipeline up to the classifier (`embedding_pipeline_for`,
with the settings' chunking and OCR) with all its declared metadata hidden, title included (the corpus's file names
say the type: `bando-...`, `prog-...`), as a plain unlabelled file would be. The halves are the enrichment
evaluation's (`evaluation/enrichment.py`): document ids sorted, even positions fit, odd positions measure; the three
English practices are left out of both. On the fitting half, the number of opening chunks and the ridge penalty are
chosen by leave-one-out log-loss, the threshold from leave-one-out predictions, the minimum cues from the half. The
report gives accuracy (a refused file counts as a miss), refusal rate and the confusion matrix on the held-out half
and on all 82 files, and what becomes of texts that are none of the four types (`evaluation/datasets/doctype`).
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.enrich.doctype import (
    TYPES,
    Calibration,
    Weights,
    centroid_contrasts,
    cue_counts,
    cue_scores,
    document_text,
    mean_vector,
    softmax,
)
from ingest.formats import discover
from ingest.pipeline import EMBEDDED, embedding_pipeline_for
from ingest.prepare import prepare, slugify
from kb.storage.schema import DeclaredMetadata

CORPUS = [Path("corpus/buone_pratiche"), Path("corpus/progetti"), Path("corpus/normativa"), Path("corpus/bandi")]
OUTSIDE = Path("evaluation/datasets/doctype/fuori_tipo")
NEUTRAL_TITLE = "Documento"
CHUNKS_GRID = (8, 16, 32)  # how many opening chunks make a document's vector
L2_GRID = (0.03, 0.1, 0.3, 1.0)
THRESHOLD_FLOOR = 0.5  # a type is never assigned with less than even odds
REFUSED = "rifiutato"


@dataclass
class Sample:
    doc_id: str
    doc_type: str  # "" for a text outside the four types
    language: str
    text: str
    vectors: list[list[float]]

    @property
    def cues(self) -> list[float]:
        return cue_scores(cue_counts(self.text))


def collect(paths: list[Path], embedder: Any, settings: Any) -> list[Sample]:
    """Convert, chunk and embed each file with every declared field hidden; sorted by document id."""
    pipe = embedding_pipeline_for(embedder, settings)
    files, _ = discover(paths)
    samples: list[Sample] = []
    for path in files:
        item = prepare(path, path.read_bytes(), None, None)
        doc_id = item.declared.doc_id or slugify(path.stem)
        bare = dataclasses.replace(item, declared=DeclaredMetadata(title=NEUTRAL_TITLE))
        chunks = pipe.run({"router": {"sources": [bare.stream(doc_id, getattr(embedder, "name", ""))]}})[EMBEDDED]
        ordered = sorted(chunks["documents"], key=lambda c: int(c.meta.get("chunk_index", 0)))
        text = document_text((c.meta.get("section"), c.content or "") for c in ordered)
        samples.append(Sample(doc_id, str(item.declared.doc_type or ""), item.declared.language, text,
                              [list(c.embedding) for c in ordered if c.embedding]))
    return sorted(samples, key=lambda s: s.doc_id)


def split(samples: list[Sample]) -> tuple[list[Sample], list[Sample]]:
    """The enrichment evaluation's halves (sorted ids, even / odd positions), Italian documents only."""
    return ([s for s in samples[0::2] if s.language == "it"], [s for s in samples[1::2] if s.language == "it"])


def fit_weights(features: np.ndarray, labels: np.ndarray, l2: float, steps: int = 2000) -> Weights:
    """Multinomial logistic regression with a ridge penalty, by gradient descent on standardised features."""
    mean, scale = features.mean(axis=0), features.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z, onehot = (features - mean) / scale, np.eye(len(TYPES))[labels]
    coef, bias = np.zeros((len(TYPES), z.shape[1])), np.zeros(len(TYPES))
    for _ in range(steps):
        error = (softmax(z @ coef.T + bias) - onehot) / len(z)
        coef -= 0.5 * (error.T @ z + l2 * coef / len(z))
        bias -= 0.5 * error.sum(axis=0)
    return Weights(mean, scale, coef, bias)


def centroids(samples: list[Sample], chunks: int) -> np.ndarray:
    return np.stack([_unit(np.mean([_vector(s, chunks) for s in samples if s.doc_type == t], axis=0))
                     for t in TYPES])


def _vector(sample: Sample, chunks: int) -> np.ndarray:
    vector = mean_vector(sample.vectors[:chunks])
    if vector is None:
        raise ValueError(f"{sample.doc_id}: nessun vettore")
    return vector


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / float(np.linalg.norm(vector))


def _loo(fit: list[Sample], chunks: int, l2: float) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out on the fitting half: (features, each document's with centroids computed without it, and its
    probabilities from weights fitted without it)."""
    labels = np.asarray([TYPES.index(s.doc_type) for s in fit])
    features = np.stack([np.asarray(s.cues + centroid_contrasts(_vector(s, chunks),
                                                                centroids([o for o in fit if o is not s], chunks)))
                         for s in fit])
    probs = np.stack([fit_weights(np.delete(features, i, 0), np.delete(labels, i), l2).probabilities(features[i])
                      for i in range(len(fit))])
    return features, probs


def calibrate(fit: list[Sample], model: str) -> tuple[Calibration, dict[str, Any]]:
    """Hyper-parameters by leave-one-out log-loss, then weights on the whole half; the threshold is above every
    leave-one-out mistake (and at least even odds), the minimum cues the fewest a document of the half has of its
    own type."""
    labels = np.asarray([TYPES.index(s.doc_type) for s in fit])
    scored = []
    for chunks, l2 in itertools.product(CHUNKS_GRID, L2_GRID):
        features, probs = _loo(fit, chunks, l2)
        loss = float(-np.mean(np.log(probs[np.arange(len(fit)), labels])))
        scored.append((loss, chunks, l2, features, probs))
    loss, chunks, l2, features, probs = min(scored, key=lambda r: r[0])
    wrong = probs.max(axis=1)[probs.argmax(axis=1) != labels]
    threshold = max(THRESHOLD_FLOOR, float(wrong.max()) + 0.01 if len(wrong) else 0.0)
    min_cues = max(1, min(sum(1 for n in cue_counts(s.text)[s.doc_type].values() if n) for s in fit))
    calibration = Calibration(model, chunks, centroids(fit, chunks), fit_weights(features, labels, l2),
                              fit_weights(features[:, :len(TYPES)], labels, l2), round(threshold, 3), min_cues)
    info = {"chunks": chunks, "l2": l2, "loo_log_loss": round(loss, 4),
            "loo_accuracy": round(float(np.mean(probs.argmax(axis=1) == labels)), 3), "loo_mistakes": len(wrong)}
    return calibration, info


def measure(calibration: Calibration, samples: list[Sample], model: str | None) -> dict[str, Any]:
    """Accuracy (refusals count as misses), refusal rate and confusion matrix (declared -> assigned)."""
    confusion = {t: dict.fromkeys([*TYPES, REFUSED], 0) for t in TYPES}
    outcomes = []
    for s in samples:
        guess = calibration.classify(s.text, s.vectors, model)
        assigned = REFUSED if guess.refusal else guess.doc_type
        if s.doc_type in confusion:
            confusion[s.doc_type][assigned] += 1
        outcomes.append({"doc_id": s.doc_id, "declared": s.doc_type or None, "assigned": assigned,
                         "confidence": guess.confidence, "refusal": guess.refusal, "cues": guess.cues})
    typed = [o for o in outcomes if o["declared"]]
    correct = sum(o["assigned"] == o["declared"] for o in typed)
    accepted = [o for o in typed if o["assigned"] != REFUSED]
    return {"documents": len(samples), "accuracy": round(correct / len(typed), 3) if typed else None,
            "accuracy_of_assigned": round(correct / len(accepted), 3) if accepted else None,
            "refused": sum(o["assigned"] == REFUSED for o in outcomes),
            "refusal_rate": round(sum(o["assigned"] == REFUSED for o in outcomes) / len(outcomes), 3),
            "confusion": confusion if typed else None,
            "mistakes": [o for o in outcomes if o["declared"] and o["assigned"] != o["declared"]],
            "outcomes": outcomes if not typed or len(outcomes) <= 10 else None}


def evaluate(samples: list[Sample], outside: list[Sample], model: str,
             calibration: Calibration | None = None) -> tuple[Calibration, dict[str, Any]]:
    """Calibrate on one half (unless given), measure on the other, on all Italian files, with the cues alone,
    on the English practices and on the texts outside the four types."""
    fit, held_out = split(samples)
    info: dict[str, Any] = {}
    if calibration is None:
        calibration, info = calibrate(fit, model)
    italian = [s for s in samples if s.language == "it"]
    return calibration, {
        "model": model, "documents": len(italian), "calibration_documents": len(fit),
        "held_out_documents": len(held_out), "selection": info, "threshold": calibration.threshold,
        "min_cues": calibration.min_cues, "chunks": calibration.chunks,
        "held_out": measure(calibration, held_out, model), "all_italian": measure(calibration, italian, model),
        "held_out_cues_only": measure(calibration, held_out, None),
        "english": measure(calibration, [s for s in samples if s.language != "it"], model),
        "outside_types": measure(calibration, outside, model),
    }


def calibration_data(calibration: Calibration) -> dict[str, Any]:
    """What `kb/data/doctype_calibration.yaml` holds (`ingest.enrich.doctype.load_calibration_data` reads it)."""
    return {"model": calibration.model, "chunks": calibration.chunks, "threshold": calibration.threshold,
            "min_cues": calibration.min_cues, "with_vectors": calibration.with_vectors.to_dict(),
            "cues_only": calibration.cues_only.to_dict(),
            "centroids": {t: [round(float(x), 6) for x in row] for t, row in zip(TYPES, calibration.centroids,
                                                                                  strict=True)}}


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _confusion_table(confusion: dict[str, dict[str, int]]) -> list[str]:
    columns = [*TYPES, REFUSED]
    lines = ["| dichiarato \\ assegnato | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    return lines + [f"| {t} | " + " | ".join(str(confusion[t][c]) for c in columns) + " |" for t in TYPES]


def to_markdown(results: dict[str, Any]) -> str:
    lines = ["# Tipo di documento inferito dal testo: misura sul corpus di esempio", "",
             f"{results['documents']} documenti italiani con tutti i metadati nascosti (titolo compreso); "
             f"classificatore calibrato su {results['calibration_documents']}, misurato sugli altri "
             f"{results['held_out_documents']}. Modello: {results['model']}; vettore del documento: media dei primi "
             f"{results['chunks']} frammenti; soglia di probabilità {results['threshold']}, indizi minimi del tipo "
             f"{results['min_cues']}. Accuratezza: documenti col tipo giusto su tutti (un rifiuto conta come "
             "errore).", "",
             "| insieme | documenti | accuratezza | accuratezza dei tipi assegnati | rifiutati |",
             "|---|---|---|---|---|"]
    for key, name in (("held_out", "metà non usata per la calibrazione"), ("all_italian", "tutti gli 82"),
                      ("held_out_cues_only", "metà non usata, solo indizi (altro modello)"),
                      ("english", "buone pratiche in inglese")):
        m = results[key]
        lines.append(f"| {name} | {m['documents']} | {_percent(m['accuracy'])} | "
                     f"{_percent(m['accuracy_of_assigned'])} | {m['refused']} ({m['refusal_rate']:.1%}) |")
    for key, name in (("held_out", "Matrice di confusione, metà non usata"),
                      ("all_italian", "Matrice di confusione, tutti gli 82")):
        lines += ["", f"## {name}", "", *_confusion_table(results[key]["confusion"])]
    mistakes = [(key, o) for key in ("held_out", "all_italian") for o in results[key]["mistakes"]]
    if mistakes:
        lines += ["", "## Errori e rifiuti", ""] + [
            f"- {key}: {o['doc_id']}: {o['declared']} → {o['assigned']} ({o['confidence']:.2f}"
            + (f", {o['refusal']}" if o["refusal"] else "") + ")" for key, o in mistakes]
    outside = results["outside_types"]
    lines += ["", "## Testi che non sono di nessuno dei quattro tipi", "",
              f"{outside['refused']} rifiutati su {outside['documents']}.", ""]
    lines += [f"- {o['doc_id']}: {o['assigned']} ({o['refusal'] or 'accettato'}; probabilità {o['confidence']:.2f}, "
              f"indizi {o['cues']})" for o in outside["outcomes"] or []]
    selection = results["selection"]
    if selection:
        lines += ["", "Scelta dei parametri sulla metà di calibrazione (leave-one-out): " +
                  ", ".join(f"{k}={v}" for k, v in selection.items()) + "."]
    return "\n".join(lines) + "\n"
