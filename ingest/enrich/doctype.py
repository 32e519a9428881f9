"""The type of a document whose submitter declared none, from its text: Italian cues and the dense model.

Features, per type: how many of its cues (`ingest/enrich/doctype_cues.py`) occur in the text and its section
titles, log-damped, and how much closer than average the document's opening (mean vector of its first chunks) is
to the type's centroid. Only that contrast between types counts, not how close the document is to all of them: a
short or differently written document is further from every centroid, and must not be pushed towards one type for
that. A multinomial logistic regression over these eight numbers gives each type a probability. A type is assigned
when its probability reaches the calibrated threshold and the text has enough of its cues (a menu or a letter has
none, whatever the regression says); otherwise the file is refused with the closest types. Weights, centroids,
threshold and minimum cues are fitted on half of the sample corpus by `kb eval doctype --calibrate`
(`evaluation/doctype.py`) into `kb/data/doctype_calibration.yaml`. Centroids belong to the model that computed
them: with another model only the cues count (weights fitted on the cues alone).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ingest.enrich.doctype_cues import CUES

TYPES = ("buona_pratica", "progetto", "normativa", "bando")
LABELS = {"buona_pratica": "buona pratica", "progetto": "progetto", "normativa": "normativa", "bando": "bando"}
CALIBRATION_FILE = "doctype_calibration.yaml"
MAX_CHARS = 60_000  # the opening of a long document says what it is; cues further on only cost time
MAX_COUNT = 8  # a cue repeated more often than this tells nothing more


def document_text(chunks: Iterable[tuple[str | None, str]]) -> str:
    """A document as the classifier reads it, from its (section, text) chunks in order: each section title on its
    own line where it starts (chunks do not repeat their titles, and titles such as «Quadro economico» or «Art. 3»
    are cues), then the text."""
    lines: list[str] = []
    previous: str | None = None
    for section, text in chunks:
        if section and section != previous:
            lines.append(section)
        previous = section
        lines.append(text)
    return "\n".join(lines)


def cue_counts(text: str) -> dict[str, dict[str, int]]:
    """Per type, how often each of its cues occurs in the document's opening, at most MAX_COUNT."""
    head = text[:MAX_CHARS]
    return {doc_type: {name: min(MAX_COUNT, len(pattern.findall(head))) for name, pattern in cues}
            for doc_type, cues in CUES.items()}


def cue_scores(counts: dict[str, dict[str, int]]) -> list[float]:
    """One number per type, the sum of log(1 + count) of its cues: ten different cues weigh more than one cue
    found ten times."""
    return [sum(math.log1p(n) for n in counts[t].values()) for t in TYPES]


def mean_vector(vectors: list[list[float]]) -> np.ndarray | None:
    if not vectors:
        return None
    mean = np.asarray(vectors, dtype=np.float64).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else None


def centroid_contrasts(vector: np.ndarray | None, centroids: np.ndarray) -> list[float]:
    """Cosine of a document's vector to each type's centroid (unit rows), less their mean: which type it is
    closer to, not how close it is to all; empty without a vector of the centroids' dimension."""
    if vector is None or vector.shape[0] != centroids.shape[1]:
        return []
    similarities = centroids @ vector
    return [float(x) for x in similarities - similarities.mean()]


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=-1, keepdims=True))


@dataclass(frozen=True)
class Weights:
    """A multinomial logistic regression over features standardised with `mean` and `scale`."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (types, features)
    bias: np.ndarray  # (types,)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return softmax(((features - self.mean) / self.scale) @ self.coef.T + self.bias)

    def to_dict(self) -> dict[str, Any]:
        return {"mean": _rounded(self.mean), "scale": _rounded(self.scale),
                "coef": [_rounded(row) for row in self.coef], "bias": _rounded(self.bias)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Weights:
        return cls(*(np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef", "bias")))


def _rounded(values: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in values]


@dataclass(frozen=True)
class Guess:
    """The most probable type, the ranking behind it and, when it is not assigned, why."""

    doc_type: str
    confidence: float
    ranking: list[tuple[str, float]]  # every type with its probability, most probable first
    evidence: str  # the cues of the chosen type found in the text
    cues: int  # how many different cues of the chosen type the text has
    dense: bool  # whether the centroids counted (the vectors are the calibrated model's)
    refusal: str | None  # None, "no_cues" (too few cues of the chosen type) or "ambiguous" (below the threshold)


@dataclass(frozen=True)
class Calibration:
    model: str  # the embedding model the centroids were computed with
    chunks: int  # how many of a document's first chunks make its vector
    centroids: np.ndarray  # (types, dimension), unit rows
    with_vectors: Weights  # cue scores, then centroid contrasts
    cues_only: Weights  # cue scores alone: another model, or no vectors
    threshold: float  # the lowest probability a type is assigned with
    min_cues: int  # the fewest different cues of its type a document is typed with

    def contrasts(self, vectors: list[list[float]]) -> list[float]:
        return centroid_contrasts(mean_vector(vectors[:self.chunks]), self.centroids)

    def classify(self, text: str, vectors: list[list[float]], model: str | None) -> Guess:
        counts = cue_counts(text)
        cues, contrasts = cue_scores(counts), self.contrasts(vectors if model == self.model else [])
        probs = (self.with_vectors.probabilities(np.asarray(cues + contrasts)) if contrasts
                 else self.cues_only.probabilities(np.asarray(cues)))
        ranking = sorted(((t, round(float(p), 3)) for t, p in zip(TYPES, probs, strict=True)), key=lambda r: -r[1])
        best, confidence = ranking[0]
        found = sum(1 for n in counts[best].values() if n)
        refusal = "no_cues" if found < self.min_cues else "ambiguous" if confidence < self.threshold else None
        return Guess(best, confidence, ranking, evidence(counts[best]), found, bool(contrasts), refusal)


def evidence(counts: dict[str, int]) -> str:
    """The cues found, most frequent first: what a reader can check in the text."""
    found = sorted(((n, name) for name, n in counts.items() if n), key=lambda c: (-c[0], c[1]))
    return ", ".join(f"«{name}»" + (f" ×{n}" if n > 1 else "") for n, name in found[:5])


def provenance_note(guess: Guess) -> str:
    """The `fonte` of an inferred type: what pointed to it (the cues first, as a reader can check them)."""
    source = "dal contenuto e dagli indizi del testo" if guess.dense else "dagli indizi del testo"
    return f"inferito {source}: {guess.evidence}"


def _number(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def refusal_message(guess: Guess, calibration: Calibration, file_name: str) -> str:
    """Why the file has no type, which types came close, and the four ways to declare one."""
    (first, p1), (second, p2) = guess.ranking[0], guess.ranking[1]
    if guess.refusal == "no_cues":
        found = f"ha solo {guess.cues}" if guess.cues else "non ha nessuno"
        why = (f"il tipo più vicino, {LABELS[first]} ({_number(p1)}), {found} dei suoi indizi nel testo "
               f"(ne servono almeno {calibration.min_cues}); poi {LABELS[second]} ({_number(p2)})")
    else:
        why = (f"i tipi più vicini sono {LABELS[first]} ({_number(p1)}) e {LABELS[second]} ({_number(p2)}), "
               f"sotto la soglia di {_number(calibration.threshold)}")
    return (f"tipo di documento non dichiarato e non riconoscibile con sicurezza dal testo: {why}. Dichiararlo "
            f"(buona_pratica, progetto, normativa o bando) con `kb ingest --doc-type {first}`, con "
            f"`doc_type: {first}` nel front matter del Markdown o nel file {Path(file_name).name}.meta.yaml "
            f"accanto al file, oppure con il campo `doc_type` dell'invio via API")


def load_calibration_data(text: str) -> Calibration:
    data = yaml.safe_load(text)
    centroids = np.asarray([data["centroids"][t] for t in TYPES], dtype=np.float64)
    return Calibration(str(data["model"]), int(data["chunks"]), centroids, Weights.from_dict(data["with_vectors"]),
                       Weights.from_dict(data["cues_only"]), float(data["threshold"]), int(data["min_cues"]))


def _calibration_text() -> str:
    return resources.files("kb.data").joinpath(CALIBRATION_FILE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def load_calibration() -> Calibration:
    """The stored calibration, read once per process."""
    return load_calibration_data(_calibration_text())


@lru_cache(maxsize=1)
def calibration_id() -> str:
    """Changes with the calibration, so a file whose type was inferred is indexed again when the classifier
    changes (`PreparedFile.version`)."""
    try:
        return hashlib.sha256(_calibration_text().encode()).hexdigest()[:12]
    except FileNotFoundError:
        return "none"
