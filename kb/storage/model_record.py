"""How an index's vectors were made: the dense model and the version of the Italian analyzer behind the sparse
(BM25) vectors; recorded when the index is created, checked whenever it is opened.

Vectors of two models are not comparable even when they have the same size (MiniLM and multilingual-e5-small are
both 384-d), so an index opened with another model would answer with nonsense rather than fail. Likewise terms of
another analyzer: a query analysed today ("5.000" -> 5000) would silently miss what an older one stored. An index
that records no analyzer was built before versions were recorded: version 1. The record also holds the progress of
a `kb reembed` in flight: until it ends the index is refused to both models.
"""

from __future__ import annotations

from typing import Any

from kb.storage.backends.base import IndexUnavailableError
from kb.text.analysis import ANALYZER_VERSION

MODEL_KEY, DIMENSION_KEY, ANALYZER_KEY, REEMBED_KEY = "model", "dense_dim", "analyzer", "reembed"
UNRECORDED_ANALYZER = 1  # indexes made before the analyzer version was recorded


class ModelMismatchError(IndexUnavailableError):
    """The index was built with another dense model or analyzer (or is being re-embedded)."""


def new_record(model: str, dense_dim: int) -> dict[str, Any]:
    """The record of an index created now: its model, its dimension, today's analyzer."""
    return {MODEL_KEY: model, DIMENSION_KEY: dense_dim, ANALYZER_KEY: ANALYZER_VERSION}


def analyzer_version(record: dict[str, Any]) -> int:
    return int(record.get(ANALYZER_KEY) or UNRECORDED_ANALYZER)


def check_model(record: dict[str, Any], wanted: str, where: str) -> None:
    """Refuse an index whose vectors come from another model or analyzer; `wanted` empty (maintenance) accepts
    any."""
    stored = record.get(MODEL_KEY)
    reembed = record.get(REEMBED_KEY)
    if not wanted:
        return
    if isinstance(reembed, dict):
        raise ModelMismatchError(
            f"L'indice {where} è a metà di un ricalcolo dei vettori da {stored!r} a {reembed.get('target')!r}: "
            f"eseguire `kb reembed` per completarlo (riprende da dove si era fermato).")
    if stored and stored != wanted:
        raise ModelMismatchError(
            f"L'indice {where} è stato creato con il modello {stored!r}, ma il modello configurato è {wanted!r}: "
            f"i vettori dei due modelli non sono confrontabili. Eseguire `kb reembed` per ricalcolarli con "
            f"{wanted!r} dai testi già indicizzati (senza rileggere i file), oppure impostare KB_MODEL={stored}.")
    check_analyzer(record, where)


def check_analyzer(record: dict[str, Any], where: str) -> None:
    """Refuse an index whose sparse vectors come from another version of the analyzer."""
    stored = analyzer_version(record)
    if stored != ANALYZER_VERSION:
        raise ModelMismatchError(
            f"L'indice {where} è stato creato con la versione {stored} dell'analizzatore del testo, ma questa "
            f"versione del programma usa la {ANALYZER_VERSION}: le ricerche per parole non troverebbero più tutto "
            f"quello che contiene. Eseguire `kb reembed` per ricalcolare i vettori lessicali "
            f"dai testi già indicizzati (senza rileggere i file).")
