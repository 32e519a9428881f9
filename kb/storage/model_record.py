"""The dense model an index was built with: recorded when the index is created, checked whenever it is opened.

Vectors of two models are not comparable even when they have the same size (MiniLM and multilingual-e5-small are
both 384-d), so an index opened with another model would answer with nonsense rather than fail. The record also
holds the progress of a `kb reembed` in flight: until it ends the index is refused to both models.
"""

from __future__ import annotations

from typing import Any

from kb.storage.backends.base import IndexUnavailableError

MODEL_KEY, DIMENSION_KEY, REEMBED_KEY = "model", "dense_dim", "reembed"


class ModelMismatchError(IndexUnavailableError):
    """The index was built with another dense model (or is being re-embedded)."""


def check_model(record: dict[str, Any], wanted: str, where: str) -> None:
    """Refuse an index whose vectors come from another model; `wanted` empty (maintenance) accepts any."""
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
