"""Grid search of the SDG and theme tagger's parameters on labelled documents (the calibration half of the corpus).

The same arithmetic as `ingest.enrich.tagging.combined_scores` / `choose_all`, on matrices (documents x labels), so
the whole grid takes seconds; the reported numbers are then computed with the tagger's own code. Themes are fitted
first; SDGs then get the boost of the fitted themes. The objective is micro F1 (ties: higher precision, then the
earlier, simpler grid point). Confidence is a logistic regression of "the label is declared" on the score (Platt
scaling) over the tags the fitted tagger gives the calibration documents: how often a tag with that score is right.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from ingest.enrich.tag_rules import AGGREGATES, KEYWORD_SCALES, Calibration
from ingest.enrich.tagging import PROTOTYPE, LabelScores

KEYWORD_WEIGHTS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3)
THEME_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
PROTOTYPE_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # SDGs: the PNRR prototypes' channel (0 = off)
THRESHOLDS = tuple(round(x, 2) for x in np.arange(-1.0, 4.01, 0.1))
MAX_LABELS = (2, 3, 4, 5)
MIN_LABELS = (1, 2)  # every document concerns at least one goal and one theme


@dataclass
class Matrices:
    """One family's evidence and truth for a list of documents, labels in rule order."""

    labels: list[str]
    hits: np.ndarray
    similarity: dict[str, np.ndarray]
    forced: np.ndarray
    gold: np.ndarray


def matrices(scores: list[dict[str, LabelScores]], gold: list[set[str]], family: str) -> Matrices:
    labels = list(scores[0][family].hits)
    hits = np.array([[s[family].hits[label] for label in labels] for s in scores])
    similarity = {agg: np.array([[s[family].similarity.get(agg, {}).get(label, 0.0) for label in labels]
                                 for s in scores]) for agg in AGGREGATES}
    similarity[PROTOTYPE] = np.array([[s[family].similarity.get(PROTOTYPE, {}).get(label, np.nan)
                                       for label in labels] for s in scores])
    forced = np.array([[label in s[family].forced for label in labels] for s in scores], dtype=bool)
    truth = np.array([[label in g for label in labels] for g in gold], dtype=bool)
    return Matrices(labels, hits, similarity, forced, truth)


def _prototype_z(m: Matrices) -> np.ndarray:
    """`_zscores` of the prototype cosines over the labels that have a prototype; 0 for the others."""
    sims = m.similarity[PROTOTYPE]
    present = np.isfinite(sims)
    count = present.sum(axis=1, keepdims=True)
    mean = np.where(present, sims, 0.0).sum(axis=1, keepdims=True) / np.maximum(count, 1)
    std = np.sqrt(np.where(present, (sims - mean) ** 2, 0.0).sum(axis=1, keepdims=True) / np.maximum(count, 1))
    z = (sims - mean) / np.where(std > 0, std, 1.0)
    return np.where(present & (count >= 2), z, 0.0)


def score_matrix(m: Matrices, similarity: str, scale: str, weight: float, prototype_weight: float = 0.0
                 ) -> np.ndarray:
    """`combined_scores` for every document; labels without keyword hits are out when keywords are all there is."""
    keywords = np.log1p(m.hits) if scale == "log" else m.hits.copy()
    best = keywords.max(axis=1, keepdims=True)
    keywords = np.divide(keywords, best, out=np.zeros_like(keywords), where=best > 0)
    if weight >= 1:
        return np.where(m.hits > 0, keywords, -np.inf)
    sims = m.similarity[similarity]
    std = sims.std(axis=1, keepdims=True)
    z = (sims - sims.mean(axis=1, keepdims=True)) / np.where(std > 0, std, 1.0)
    combined = weight * keywords + (1 - weight) * z
    return combined + prototype_weight * _prototype_z(m) if prototype_weight else combined


def boost_matrix(themes: np.ndarray, theme_labels: list[str], goals: list[str],
                 links: dict[str, tuple[str, ...]]) -> np.ndarray:
    """`theme_boost`: per SDG, the best positive score of the themes that serve it."""
    boost = np.zeros((themes.shape[0], len(goals)))
    positive = np.maximum(np.nan_to_num(themes, neginf=0.0), 0.0)
    for t, theme in enumerate(theme_labels):
        for goal in links.get(theme, ()):
            g = goals.index(goal)
            boost[:, g] = np.maximum(boost[:, g], positive[:, t])
    return boost


def _f1(predicted: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    tp = float((predicted & gold).sum())
    fp, fn = float((predicted & ~gold).sum()), float((~predicted & gold).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return (2 * precision * recall / (precision + recall) if precision + recall else 0.0), precision


def best_selection(scores: np.ndarray, m: Matrices) -> tuple[tuple[float, float], tuple[float, int, int]]:
    """The (threshold, max_labels, min_labels) with the best (F1, precision) for fixed scores."""
    rank = np.argsort(np.argsort(-scores, axis=1, kind="stable"), axis=1)
    finite = np.isfinite(scores)
    best: tuple[tuple[float, float], tuple[float, int, int]] | None = None
    for threshold, top, least in itertools.product(THRESHOLDS, MAX_LABELS, MIN_LABELS):
        if least > top:
            continue
        predicted = ((rank < top) & (scores >= threshold)) | ((rank < least) & finite) | m.forced
        key = _f1(predicted, m.gold)
        if best is None or key > best[0]:
            best = (key, (float(threshold), top, least))
    assert best is not None
    return best


def fit_confidence(scores: np.ndarray, gold: np.ndarray, iterations: int = 100) -> tuple[float, float]:
    """Platt scaling: slope and offset of P(declared | score), by damped Newton steps with a ridge, so labels that
    a threshold separates perfectly still get a finite curve."""
    x = scores[np.isfinite(scores)].ravel()
    y = gold[np.isfinite(scores)].ravel().astype(float)
    a, b, ridge = 1.0, 0.0, 0.1
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(a * x + b, -50, 50)))
        w = p * (1 - p) + 1e-9
        grad = np.array([((p - y) * x).sum() + ridge * a, (p - y).sum() + ridge * b])
        hess = np.array([[(w * x * x).sum() + ridge, (w * x).sum()], [(w * x).sum(), w.sum() + ridge]])
        step = np.linalg.solve(hess, grad)
        step *= min(1.0, 1.0 / max(1e-12, float(np.abs(step).max())))  # at most 1 per iteration
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return round(float(a), 3), round(float(b), 3)


def _fit_family(m: Matrices, weights: tuple[float, ...], boost: np.ndarray | None,
                theme_weights: tuple[float, ...], prototype_weights: tuple[float, ...] = (0.0,)
                ) -> tuple[Calibration, np.ndarray]:
    best: tuple[tuple[float, float], Calibration, np.ndarray] | None = None
    has_prototypes = bool(np.isfinite(m.similarity[PROTOTYPE]).any())
    for weight, prototype_weight in itertools.product(weights, prototype_weights if has_prototypes else (0.0,)):
        if weight >= 1 and prototype_weight:
            continue  # keywords only: no vectors, no prototypes
        for similarity, scale in itertools.product(AGGREGATES if weight < 1 else AGGREGATES[:1], KEYWORD_SCALES):
            base = score_matrix(m, similarity, scale, weight, prototype_weight)
            for theme_weight in theme_weights if boost is not None else (0.0,):
                scores = base + theme_weight * boost if boost is not None and theme_weight else base
                key, (threshold, top, least) = best_selection(scores, m)
                if best is None or key > best[0]:
                    calibration = Calibration(similarity=similarity, keyword_scale=scale, keyword_weight=weight,
                                              theme_weight=theme_weight, prototype_weight=prototype_weight,
                                              threshold=threshold, max_labels=top,
                                              min_labels=least)
                    best = (key, calibration, scores)
    assert best is not None
    _, calibration, scores = best
    rank = np.argsort(np.argsort(-scores, axis=1, kind="stable"), axis=1)
    chosen = (((rank < calibration.max_labels) & (scores >= calibration.threshold))
              | ((rank < calibration.min_labels) & np.isfinite(scores)) | m.forced)
    slope, offset = fit_confidence(np.where(chosen, scores, -np.inf), m.gold)  # among the tags it gives
    return Calibration.from_dict({**vars(calibration), "confidence_slope": slope,
                                  "confidence_offset": offset}), scores


def calibrate(scores: list[dict[str, LabelScores]], gold: dict[str, list[set[str]]],
              links: dict[str, tuple[str, ...]], keywords_only: bool = False) -> dict[str, Calibration]:
    """Themes, then SDGs boosted by the fitted themes; `keywords_only` fits the model-free fallback."""
    weights = (1.0,) if keywords_only else KEYWORD_WEIGHTS
    themes = matrices(scores, gold["themes"], "themes")
    goals = matrices(scores, gold["sdg"], "sdg")
    theme_calibration, theme_scores = _fit_family(themes, weights, None, (0.0,))
    boost = boost_matrix(theme_scores, themes.labels, goals.labels, links)
    sdg_calibration, _ = _fit_family(goals, weights, boost, THEME_WEIGHTS,
                                     (0.0,) if keywords_only else PROTOTYPE_WEIGHTS)
    return {"themes": theme_calibration, "sdg": sdg_calibration}


def calibration_file(model: str, fitted: dict[str, Calibration], keywords: dict[str, Calibration]) -> dict[str, Any]:
    """What tagging_calibration.yaml holds: the model, its parameters, and the keyword-only fallback."""
    return {"model": model, **{f: vars(c) for f, c in fitted.items()},
            "keywords_only": {f: vars(c) for f, c in keywords.items()}}
