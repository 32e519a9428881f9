"""What the tagger reads from kb/data: label rules (tagging.yaml) and calibrated parameters (tagging_calibration.yaml).

The calibrated parameters belong to the model whose vectors they were fitted on: for any other model (or none) the
tagger uses the keyword-only parameters calibrated alongside, which do not depend on a model, and says so once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from kb.text.analysis import ItalianAnalyzer

logger = logging.getLogger(__name__)

FAMILIES = ("themes", "sdg")
AGGREGATES = ("max", "top3", "mean")  # how a label's cosines to the chunks become one number per document
KEYWORD_SCALES = ("rel", "log")  # hits relative to the best label's, or the same on log(1 + hits)
KEYWORDS_ONLY = "keywords_only"


@dataclass(frozen=True)
class Rule:
    label: str
    descriptions: tuple[str, ...]
    phrases: tuple[tuple[tuple[str, ...], float], ...]  # (stems, weight)
    sdg: tuple[str, ...] = ()  # themes: the goals a document on the theme usually concerns
    doc_types: tuple[str, ...] = ()  # document types that always have the label


@dataclass(frozen=True)
class Calibration:
    """One family's parameters. score = w · keywords + (1 − w) · similarity z-score (+ for SDGs the theme boost and
    `prototype_weight` · the z-scored similarity to the PNRR prototypes);
    labels at or above `threshold`, best first, at most `max_labels`, at least `min_labels` (the best ones even
    under the threshold, so a document always gets its main goal); confidence = logistic(slope · score + offset)."""

    similarity: str = "top3"
    keyword_scale: str = "log"
    keyword_weight: float = 1.0
    theme_weight: float = 0.0
    prototype_weight: float = 0.0  # SDGs: weight of the z-scored similarity to prototypes learnt from PNRR projects
    # SDGs, a short text (at most `short_chunks` chunks: a title and a summary) has its own prototype weight and
    # minimum, fitted on PNRR projects (kb/data/sdg_prototypes.npz), since thresholds fitted on long documents leave
    # it with one tag: 0 = no such rule
    short_chunks: int = 0
    short_prototype_weight: float = 0.0
    short_min_labels: int = 0
    threshold: float = 0.5
    max_labels: int = 3
    min_labels: int = 1
    confidence_slope: float = 4.0
    confidence_offset: float = -2.0

    def __post_init__(self) -> None:
        if self.similarity not in AGGREGATES:
            raise ValueError(f"similarity {self.similarity!r} non valida: scegliere tra {', '.join(AGGREGATES)}")
        if self.keyword_scale not in KEYWORD_SCALES:
            raise ValueError(f"keyword_scale {self.keyword_scale!r} non valida: scegliere tra "
                             f"{', '.join(KEYWORD_SCALES)}")
        if not 0.0 <= self.keyword_weight <= 1.0 or self.theme_weight < 0 or self.prototype_weight < 0:
            raise ValueError("keyword_weight deve essere tra 0 e 1, theme_weight e prototype_weight >= 0")
        if (not 0 <= self.min_labels <= self.max_labels or self.max_labels < 1
                or not 0 <= self.short_min_labels <= self.max_labels):
            raise ValueError("serve 0 <= min_labels (e short_min_labels) <= max_labels e max_labels >= 1")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# Used when the calibration file is missing: keywords only, conservative.
DEFAULT_KEYWORDS_ONLY = {family: Calibration(keyword_weight=1.0, threshold=0.5, max_labels=3, min_labels=0)
                         for family in FAMILIES}


def _yaml(name: str) -> Any:
    path = resources.files("kb.data").joinpath(name)
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None


def load_rules(analyzer: ItalianAnalyzer) -> dict[str, list[Rule]]:
    data = _yaml("tagging.yaml")
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
            descriptions = spec.get("descriptions") or [spec["description"]]
            rules[family].append(Rule(str(label), tuple(str(d) for d in descriptions), tuple(phrases),
                                      tuple(str(s) for s in spec.get("sdg") or ()),
                                      tuple(str(t) for t in spec.get("doc_types") or ())))
    known_sdg = {r.label for r in rules["sdg"]}
    for rule in rules["themes"]:
        unknown = set(rule.sdg) - known_sdg
        if unknown:
            raise ValueError(f"tagging.yaml: il tema {rule.label} cita SDG inesistenti {sorted(unknown)}")
    return rules


@lru_cache(maxsize=8)
def load_calibration(model: str | None) -> dict[str, Calibration]:
    """The parameters fitted for `model`; the keyword-only ones for another model or none (with a warning)."""
    data = _yaml("tagging_calibration.yaml") or {}
    if model is not None and data.get("model") == model:
        return {family: Calibration.from_dict(data[family]) for family in FAMILIES}
    if model is not None:
        logger.warning("Tag SDG e temi: la calibrazione è per il modello %r, non per %r: uso solo le parole chiave "
                       "(ricalibrare con `kb eval enrichment --calibrate`)", data.get("model"), model)
    fallback = data.get(KEYWORDS_ONLY)
    if not fallback:
        return dict(DEFAULT_KEYWORDS_ONLY)
    return {family: Calibration.from_dict(fallback[family]) for family in FAMILIES}


def calibrated_model() -> str | None:
    data = _yaml("tagging_calibration.yaml") or {}
    return data.get("model")
