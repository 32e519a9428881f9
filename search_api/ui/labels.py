"""Italian labels for codes shown to users (document types, SDGs, themes, statuses, levels)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from kb.storage.schema import theme_labels

DOC_TYPES = {"buona_pratica": "Buona pratica", "progetto": "Progetto", "normativa": "Normativa", "bando": "Bando"}
BANDO_STATUS = {"aperto": "Aperto", "in_arrivo": "In arrivo", "scaduto": "Scaduto"}
LEVELS = {"UE": "Unione europea", "nazionale": "Nazionale", "regionale": "Regionale"}
FACET_TITLES = {
    "doc_type": "Tipo di documento", "sdg": "Obiettivi Agenda 2030", "theme": "Tema", "regione": "Regione",
    "provincia": "Provincia", "population_band": "Abitanti del comune", "year": "Anno",
    "bando_status": "Stato del bando", "level": "Livello normativo", "in_force": "In vigore",
}
UI_FACETS = ("doc_type", "bando_status", "sdg", "theme", "regione", "population_band", "level", "in_force")


@lru_cache(maxsize=1)
def sdg_labels() -> dict[int, str]:
    text = resources.files("kb.data").joinpath("sdg.yaml").read_text(encoding="utf-8")
    return {int(k): str(v) for k, v in yaml.safe_load(text).items()}


def label(facet: str, value: object) -> str:
    """How a facet value reads in Italian."""
    if facet == "doc_type":
        return DOC_TYPES.get(str(value), str(value))
    if facet == "sdg":
        return f"{value}. {sdg_labels().get(int(str(value)), '')}"
    if facet == "theme":
        return theme_labels().get(str(value), str(value))
    if facet == "bando_status":
        return BANDO_STATUS.get(str(value), str(value))
    if facet == "level":
        return LEVELS.get(str(value), str(value))
    if facet == "in_force":
        return "Sì" if value in (True, "true", "si") else "No"
    return str(value)
