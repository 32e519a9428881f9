"""SDG numbers and themes from keyword evidence plus the similarity of the document's chunks to Italian descriptions.

Per family (themes, SDGs), each label gets
- keywords: its weighted keyword hits in the document (stemmed, so inflections match), relative to the best label's
  (or the same on log(1 + hits)): the document's main topics score near 1;
- similarity: the cosine of each chunk to the label's descriptions (the best description per chunk), reduced over the
  chunks to one number (the best chunk, the mean of the best three, or the mean), then z-scored over the family's
  labels, so one section about district heating in a long report still lifts SDG 7, and a model's compressed cosines
  still rank;
- score = w · keywords + (1 − w) · similarity; an SDG also gets `theme_weight` times the best positive score of the
  themes that serve it (tagging.yaml: energia-cer serves 7 and 13), because the goals a document concerns follow
  from its subject more than from its words;
- prototypes (SDGs only): the cosine of the document's mean chunk vector to prototypes learnt from real PNRR projects
  labelled with their measure's main goal (kb/data/sdg_prototypes.npz, `evaluation.sdg_prototypes`), the best
  prototype per goal, z-scored over the goals that have one, times `prototype_weight`: descriptions say what a goal
  is, examples teach how public bodies file projects under it (a school website under 16, a start-up grant under 8).
Labels at or above the threshold are kept, best first, at most `max_labels`, at least `min_labels`; a label whose
rule names the document's type (finanziamenti for a bando) is always added. The confidence of a tag is a logistic
curve of its score fitted on the calibration documents (the share of tags with that score that were right).
All parameters are calibrated per model (`kb eval enrichment --calibrate`, kb/data/tagging_calibration.yaml).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ingest.enrich.tag_rules import FAMILIES, Calibration, Rule, load_calibration, load_rules
from kb.text.analysis import ItalianAnalyzer

__all__ = ["FAMILIES", "Calibration", "LabelScores", "Tag", "Tagger", "choose_all", "combined_scores"]
FORCED_CONFIDENCE = 0.9  # a label given by the document's type: as reliable as the type itself
PROTOTYPE = "prototype"  # the key of the prototype cosines among LabelScores.similarity


@dataclass(frozen=True)
class Tag:
    label: str
    confidence: float
    keyword_hits: float
    score: float = 0.0
    source: str = "testo"  # "testo" (keywords and similarity) or "tipo di documento"


@dataclass
class LabelScores:
    """Per-label evidence for one document, kept so calibration can re-score without re-reading text."""

    hits: dict[str, float] = field(default_factory=dict)
    similarity: dict[str, dict[str, float]] = field(default_factory=dict)  # aggregate -> label -> cosine
    forced: tuple[str, ...] = ()
    chunks: int = 0  # how many chunk vectors the document had: a short text is tagged by its own rule


def is_short(scores: LabelScores, calibration: Calibration) -> bool:
    return 0 < scores.chunks <= calibration.short_chunks


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


def chunk_similarity(chunk_vectors: np.ndarray, label_vectors: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Per aggregate, per label: the chunks' cosines to the label's best-matching description, reduced over chunks."""
    out: dict[str, dict[str, float]] = {"max": {}, "top3": {}, "mean": {}}
    if chunk_vectors.size == 0 or not label_vectors:
        return {}
    for label, vectors in label_vectors.items():
        per_chunk = (chunk_vectors @ vectors.T).max(axis=1)
        best = np.sort(per_chunk)[::-1]
        out["max"][label] = float(best[0])
        out["top3"][label] = float(best[:3].mean())
        out["mean"][label] = float(per_chunk.mean())
    return out


def prototype_similarity(chunk_vectors: np.ndarray, prototypes: tuple[list[str], np.ndarray] | None
                         ) -> dict[str, float]:
    """Per goal with prototypes, the cosine of the document's mean chunk vector to its best prototype."""
    if prototypes is None or chunk_vectors.size == 0:
        return {}
    labels, vectors = prototypes
    mean = chunk_vectors.mean(axis=0)
    mean = mean / (float(np.linalg.norm(mean)) or 1.0)
    cosines = vectors @ mean
    out: dict[str, float] = {}
    for label, value in zip(labels, cosines, strict=True):
        out[label] = max(out.get(label, -1.0), float(value))
    return out


def _keywords(hits: dict[str, float], scale: str) -> dict[str, float]:
    values = {k: (math.log1p(v) if scale == "log" else v) for k, v in hits.items()}
    best = max(values.values(), default=0.0)
    return {k: (v / best if best > 0 else 0.0) for k, v in values.items()}


def _zscores(values: dict[str, float]) -> dict[str, float]:
    if len(values) < 2:
        return {k: 0.0 for k in values}
    mean = sum(values.values()) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values.values()) / len(values)) or 1.0
    return {k: (v - mean) / std for k, v in values.items()}


def combined_scores(scores: LabelScores, calibration: Calibration) -> dict[str, float]:
    """w · keywords + (1 − w) · similarity z-score (+ prototype_weight · prototype z-score), per label (before any
    theme boost). Labels without a prototype get 0 from that channel: neither lifted nor pushed down."""
    w = calibration.keyword_weight
    keywords = _keywords(scores.hits, calibration.keyword_scale)
    similarity = _zscores(scores.similarity.get(calibration.similarity, {})) if w < 1 else {}
    p = (calibration.short_prototype_weight if is_short(scores, calibration) else calibration.prototype_weight
         ) if w < 1 else 0.0
    prototype = _zscores(scores.similarity.get(PROTOTYPE, {})) if p else {}
    return {label: w * keywords[label] + (1 - w) * similarity.get(label, 0.0) + p * prototype.get(label, 0.0)
            for label in scores.hits}


def theme_boost(theme_scores: dict[str, float], links: dict[str, tuple[str, ...]]) -> dict[str, float]:
    """For each SDG, the best positive score among the themes that serve it."""
    boost: dict[str, float] = {}
    for theme, value in theme_scores.items():
        for goal in links.get(theme, ()):
            boost[goal] = max(boost.get(goal, 0.0), value)
    return boost


def confidence(score: float, calibration: Calibration) -> float:
    z = calibration.confidence_slope * score + calibration.confidence_offset
    return round(1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z)))), 2)


def select(combined: dict[str, float], scores: LabelScores, calibration: Calibration) -> list[Tag]:
    """Labels at or above the threshold (at least `min_labels`, at most `max_labels`), then those forced by type."""
    has_evidence = {label for label, hits in scores.hits.items() if hits > 0}
    if calibration.keyword_weight < 1 and scores.similarity:
        has_evidence = set(combined)
    ranked = sorted(((label, s) for label, s in combined.items() if label in has_evidence),
                    key=lambda item: -item[1])  # stable: ties keep the order of tagging.yaml
    chosen = [(label, s) for label, s in ranked[:calibration.max_labels] if s >= calibration.threshold]
    least = max(calibration.min_labels, calibration.short_min_labels if is_short(scores, calibration) else 0)
    if len(chosen) < least:
        chosen = ranked[:least]
    tags = [Tag(label, confidence(s, calibration), round(scores.hits.get(label, 0.0), 2), round(s, 3))
            for label, s in chosen]
    for label in scores.forced:
        if label not in {t.label for t in tags}:
            own = confidence(combined.get(label, 0.0), calibration)
            tags.append(Tag(label, max(own, FORCED_CONFIDENCE), round(scores.hits.get(label, 0.0), 2),
                            round(combined.get(label, 0.0), 3), "tipo di documento"))
    return tags


def choose_all(scores: dict[str, LabelScores], calibration: dict[str, Calibration],
               links: dict[str, tuple[str, ...]]) -> dict[str, list[Tag]]:
    """Themes, then SDGs with the boost of the themes that serve them."""
    themes = combined_scores(scores["themes"], calibration["themes"])
    goals = combined_scores(scores["sdg"], calibration["sdg"])
    weight = calibration["sdg"].theme_weight
    if weight:
        boost = theme_boost(themes, links)
        goals = {g: s + weight * max(0.0, boost.get(g, 0.0)) for g, s in goals.items()}
    return {"themes": select(themes, scores["themes"], calibration["themes"]),
            "sdg": select(goals, scores["sdg"], calibration["sdg"])}


def load_prototypes(model: str) -> tuple[list[str], np.ndarray] | None:
    """The SDG prototypes in kb/data when they were learnt with `model`'s vectors, else None (no channel)."""
    loaded = _load_prototype_file(model)
    return None if loaded is None else (loaded[0], loaded[1])


def load_short_rule(model: str) -> dict[str, Any]:
    """The short-text parameters fitted on PNRR projects alongside the prototypes ({} when none)."""
    loaded = _load_prototype_file(model)
    return {} if loaded is None else loaded[2]


def _load_prototype_file(model: str) -> tuple[list[str], np.ndarray, dict[str, Any]] | None:
    from importlib import resources

    path = resources.files("kb.data").joinpath("sdg_prototypes.npz")
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        data = np.load(handle, allow_pickle=False)
        if str(data["model"]) != model:
            return None
        short = json.loads(str(data["short_rule"])) if "short_rule" in data.files else {}
        return [str(x) for x in data["labels"]], np.asarray(data["vectors"], dtype=np.float32), short


_LABEL_VECTORS: dict[tuple[str, str, tuple[str, ...]], np.ndarray] = {}


def label_vectors(embedder: Any, rules: list[Rule]) -> dict[str, np.ndarray]:
    """The descriptions embedded as queries (the label asks, the chunks answer), once per model and text."""
    out: dict[str, np.ndarray] = {}
    for rule in rules:
        key = (str(getattr(embedder, "name", "")), str(getattr(embedder, "query_prefix", "")), rule.descriptions)
        if key not in _LABEL_VECTORS:
            _LABEL_VECTORS[key] = np.array([embedder.embed_query(d) for d in rule.descriptions], dtype=np.float32)
        out[rule.label] = _LABEL_VECTORS[key]
    return out


class Tagger:
    """Keyword rules and label descriptions, analysed and embedded once per process."""

    def __init__(self, embedder: Any | None = None, analyzer: ItalianAnalyzer | None = None) -> None:
        self.analyzer = analyzer or ItalianAnalyzer()
        self.rules = load_rules(self.analyzer)
        self.links = {r.label: r.sdg for r in self.rules["themes"]}
        self.embedder = embedder
        self.label_vectors: dict[str, dict[str, np.ndarray]] = {}
        self.prototypes: tuple[list[str], np.ndarray] | None = None

    @property
    def model(self) -> str | None:
        return str(self.embedder.name) if self.embedder is not None else None

    def calibration(self) -> dict[str, Calibration]:
        """The corpus calibration, with the short-text rule fitted on PNRR projects when the prototypes are in use."""
        calibration = load_calibration(self.model)
        short = load_short_rule(self.model) if self.prototypes is not None and self.model else {}
        if short and calibration["sdg"].keyword_weight < 1:
            calibration = {**calibration, "sdg": replace(calibration["sdg"], **short)}
        return calibration

    def warm_up(self) -> None:
        if self.embedder is None or self.label_vectors:
            return
        self.embedder.warm_up()
        self.label_vectors = {family: label_vectors(self.embedder, rules) for family, rules in self.rules.items()}
        self.prototypes = load_prototypes(str(self.embedder.name))

    def scores(self, text: str, chunk_vectors: list[list[float]] | None, doc_type: str = "") -> dict[str, LabelScores]:
        terms = self.analyzer.terms(text)
        vectors = np.array([v for v in chunk_vectors or [] if v], dtype=np.float32)
        out = {family: LabelScores(keyword_hits(terms, rules),
                                   chunk_similarity(vectors, self.label_vectors.get(family, {})),
                                   tuple(r.label for r in rules if doc_type and doc_type in r.doc_types),
                                   len(vectors))
               for family, rules in self.rules.items()}
        prototype = prototype_similarity(vectors, self.prototypes)
        if prototype and out["sdg"].similarity:
            out["sdg"].similarity[PROTOTYPE] = prototype
        return out

    def tags(self, text: str, chunk_vectors: list[list[float]] | None, doc_type: str = "",
             calibration: dict[str, Calibration] | None = None) -> dict[str, list[Tag]]:
        return choose_all(self.scores(text, chunk_vectors, doc_type), calibration or self.calibration(), self.links)
