"""SDG numbers and themes from keyword rules plus similarity to short Italian descriptions of each label.

score(label) = w · keywords + (1 − w) · similarity, where
- keywords = the label's weighted keyword hits in the document (stemmed, so inflections match), divided by the
  best label's hits: the document's main topics score near 1;
- similarity = cosine between the document (mean of its chunk vectors) and the label's description, min-max
  scaled over the labels of the same family, so a model with compressed cosines still ranks.
A label is assigned when its score reaches the threshold and it has at least `min_hits` keyword hits; at most
`max_labels` per family. w, threshold, min_hits and max_labels are calibrated on the sample corpus's declared tags
(`kb eval enrichment --calibrate`, stored in kb/data/tagging_calibration.yaml).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from kb.text.analysis import ItalianAnalyzer

FAMILIES = ("themes", "sdg")


@dataclass(frozen=True)
class Rule:
    label: str
    description: str
    phrases: tuple[tuple[tuple[str, ...], float], ...]  # (stems, weight)


@dataclass(frozen=True)
class Calibration:
    keyword_weight: float = 0.7
    threshold: float = 0.45
    min_hits: float = 2.0
    max_labels: int = 3


@dataclass(frozen=True)
class Tag:
    label: str
    confidence: float
    keyword_hits: float


@dataclass
class LabelScores:
    """Per-label evidence for one document, kept so calibration can re-threshold without re-reading text."""

    hits: dict[str, float] = field(default_factory=dict)
    similarity: dict[str, float] = field(default_factory=dict)


def load_rules(analyzer: ItalianAnalyzer) -> dict[str, list[Rule]]:
    data = yaml.safe_load(resources.files("kb.data").joinpath("tagging.yaml").read_text(encoding="utf-8"))
    rules: dict[str, list[Rule]] = {}
    for family in FAMILIES:
        rules[family] = []
        for label, spec in data[family].items():
            phrases = []
            for entry in spec["keywords"]:
                text, weight = next(iter(entry.items())) if isinstance(entry, dict) else (entry, 1.0)
                stems = tuple(analyzer.terms(str(text)))
                if stems:
                    phrases.append((stems, float(weight)))
            rules[family].append(Rule(str(label), str(spec["description"]), tuple(phrases)))
    return rules


@lru_cache(maxsize=1)
def load_calibration() -> dict[str, Calibration]:
    path = resources.files("kb.data").joinpath("tagging_calibration.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return {family: Calibration(**{k: v for k, v in (data or {}).get(family, {}).items()
                                   if k in Calibration.__dataclass_fields__})
            for family in FAMILIES}


def keyword_hits(terms: list[str], rules: list[Rule]) -> dict[str, float]:
    """Weighted occurrences of each label's phrases in the document's stem sequence."""
    unigrams = Counter(terms)
    positions: dict[str, list[int]] = {}
    for i, term in enumerate(terms):
        positions.setdefault(term, []).append(i)
    hits: dict[str, float] = {}
    for rule in rules:
        total = 0.0
        for stems, weight in rule.phrases:
            if len(stems) == 1:
                count = unigrams.get(stems[0], 0)
            else:
                count = sum(1 for i in positions.get(stems[0], [])
                            if tuple(terms[i:i + len(stems)]) == stems)
            total += weight * math.log1p(count)  # the fifth mention adds less than the first
        hits[rule.label] = total
    return hits


def scaled_similarity(doc_vector: list[float] | None, label_vectors: dict[str, list[float]]) -> dict[str, float]:
    if not doc_vector or not label_vectors:
        return {label: 0.0 for label in label_vectors}
    sims = {label: sum(a * b for a, b in zip(doc_vector, vec, strict=True)) for label, vec in label_vectors.items()}
    low, high = min(sims.values()), max(sims.values())
    span = (high - low) or 1.0
    return {label: (s - low) / span for label, s in sims.items()}


def choose(scores: LabelScores, calibration: Calibration) -> list[Tag]:
    """Labels whose combined score passes the calibrated threshold, best first."""
    best_hits = max(scores.hits.values(), default=0.0)
    if best_hits <= 0:
        return []
    w = calibration.keyword_weight
    combined = []
    for label, hits in scores.hits.items():
        if hits < calibration.min_hits:
            continue
        score = w * hits / best_hits + (1 - w) * scores.similarity.get(label, 0.0)
        if score >= calibration.threshold:
            combined.append(Tag(label, round(min(1.0, score), 2), round(hits, 2)))
    combined.sort(key=lambda t: -t.confidence)
    return combined[:calibration.max_labels]


class Tagger:
    """Keyword rules and label descriptions, analysed and embedded once per process."""

    def __init__(self, embedder: Any | None = None, analyzer: ItalianAnalyzer | None = None) -> None:
        self.analyzer = analyzer or ItalianAnalyzer()
        self.rules = load_rules(self.analyzer)
        self.embedder = embedder
        self.label_vectors: dict[str, dict[str, list[float]]] = {}

    def warm_up(self) -> None:
        if self.embedder is None or self.label_vectors:
            return
        self.embedder.warm_up()
        for family, rules in self.rules.items():
            vectors = self.embedder.embed_passages([r.description for r in rules])
            self.label_vectors[family] = {r.label: v for r, v in zip(rules, vectors, strict=True)}

    def scores(self, text: str, doc_vector: list[float] | None) -> dict[str, LabelScores]:
        terms = self.analyzer.terms(text)
        return {family: LabelScores(keyword_hits(terms, rules),
                                    scaled_similarity(doc_vector, self.label_vectors.get(family, {})))
                for family, rules in self.rules.items()}

    def tags(self, text: str, doc_vector: list[float] | None,
             calibration: dict[str, Calibration] | None = None) -> dict[str, list[Tag]]:
        calibration = calibration or load_calibration()
        return {family: choose(s, calibration[family]) for family, s in self.scores(text, doc_vector).items()}
