"""The ONNX int8 encoder against the torch fp32 one: same vectors (cosine), same tokens, cache, fallback, end to end.

The quantized model is built once per session into a temporary cache (the export path is tested on every run); the
torch model is the session's `torch_embedder`. The session's `real_embedder` (the shipped default, auto) is ONNX too.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from ingest.service import IngestService
from kb.models.base import MINILM_MODEL, DenseEmbedder, resolve_model_path
from kb.models.embedders import HashingEmbedder, SentenceTransformerEmbedder
from kb.models.factory import embedder_from_settings
from kb.models.onnx_encoder import OnnxEmbedder
from kb.models.onnx_export import OnnxUnavailableError, cache_key, pooling_mode, read_layout
from kb.search import Mode, SearchEngine, SearchRequest
from kb.settings import Encoder, Settings
from kb.storage.backends.edge import EdgeBackend

HAVE_ONNX = all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))
needs_onnx = pytest.mark.skipif(not HAVE_ONNX, reason="onnxruntime/onnx non installati (pip install onnxruntime onnx)")
FIXTURE_DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"

SHORT = ["Bando.", "Comune di Borgoretto", "CER", "piste ciclabili", "Quanto costa la TARI?",
         "l'impianto dell'ente c'è già", "Regolamento edilizio comunale", "PNRR Missione 2"]
SENTENCES = [
    "Il comune ha costituito una comunità energetica rinnovabile con l'impianto fotovoltaico sul municipio.",
    "Sono stati sostituiti 1.800 corpi illuminanti con apparecchi a LED dotati di telecontrollo punto-punto.",
    "Il bando finanzia la realizzazione di piste ciclabili nei comuni con meno di 5.000 abitanti.",
    "La domanda va presentata entro il 30 giugno 2025 tramite la piattaforma regionale.",
    "Il decreto legislativo 8 novembre 2021, n. 199 recepisce la direttiva (UE) 2018/2001.",
    "Le famiglie aderenti ricevono l'incentivo sull'energia condivisa per vent'anni.",
    "Il piano urbano della mobilità sostenibile prevede zone a traffico limitato e nuove corsie preferenziali.",
    "La raccolta differenziata ha superato il 75% grazie alla tariffa puntuale.",
    "Il consumo elettrico della rete di illuminazione è sceso del 62% e l'inquinamento luminoso è diminuito.",
    "Gli edifici scolastici sono stati riqualificati con cappotto termico, pompe di calore e solare termico.",
    "La dotazione complessiva del bando è di 2,5 milioni di euro, con un contributo massimo di 200 mila euro.",
    "Possono partecipare i comuni, le unioni di comuni e le comunità montane della Lombardia.",
    "Il progetto ha ridotto del 30% le emissioni di CO2 del parco veicoli comunale in tre anni.",
    "L'amministrazione ha adottato i criteri ambientali minimi negli acquisti verdi (GPP).",
    "Il verde urbano è stato ampliato con 500 nuovi alberi e un parco agricolo di dodici ettari.",
    "Nel borgo montano di 800 abitanti lo sportello energia aiuta le famiglie a ridurre le bollette.",
    "Il Piano d'azione per l'energia sostenibile e il clima (PAESC) fissa una riduzione del 55% entro il 2030.",
    "La casa dell'acqua in piazza ha evitato l'uso di trecentomila bottiglie di plastica in un anno.",
    "Il contributo è concesso a fondo perduto fino all'80% della spesa ammissibile.",
    "Il regolamento regionale disciplina le aree idonee all'installazione di impianti agrivoltaici.",
    "Gli scuolabus elettrici servono le frazioni collinari; il Comune li ricarica con l'energia del depuratore.",
    "La giunta ha approvato il progetto esecutivo della ciclovia lungo il canale Villoresi.",
]
PARAGRAPH = " ".join(SENTENCES[:6])
# all beyond the window of either packaged model (MiniLM 256 tokens, e5 512): truncated
LONG = [" ".join(SENTENCES * 2) + " " + " ".join(SENTENCES[::-1]), " ".join(SENTENCES[3:] * 4), PARAGRAPH * 6]
TEXTS = SHORT + SENTENCES + [PARAGRAPH, " ".join(SENTENCES[6:12]), " ".join(SENTENCES[10:])] + LONG
TEXTS += [f"{a} {b}" for a, b in zip(SENTENCES, SENTENCES[5:] + SENTENCES[:5], strict=True)]
EDGE_CASES = ["", "   ", "Àncora È ÌO “virgolette” — 2,5 €", "x" * 2000, "ﬁ ① a\u0301"]


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def onnx_embedder(onnx_cache: Path) -> OnnxEmbedder:
    if not HAVE_ONNX:
        pytest.skip("onnxruntime/onnx non installati (pip install onnxruntime onnx)")
    embedder = OnnxEmbedder(cache_dir=onnx_cache)  # no fallback: a failure of the ONNX path fails the test
    embedder.warm_up()
    return embedder


def _cosines(a: list[list[float]], b: list[list[float]]) -> np.ndarray:
    return np.asarray((np.array(a) * np.array(b)).sum(axis=1))


def test_vectors_match_torch(onnx_embedder: OnnxEmbedder, torch_embedder: SentenceTransformerEmbedder) -> None:
    assert len(TEXTS) >= 50
    onnx_vectors, torch_vectors = onnx_embedder.embed_passages(TEXTS), torch_embedder.embed_passages(TEXTS)
    assert onnx_embedder.encoder == "onnx"
    assert onnx_embedder.dimension == torch_embedder.dimension == len(onnx_vectors[0])
    assert onnx_embedder.max_tokens == torch_embedder.max_tokens
    np.testing.assert_allclose(np.linalg.norm(np.array(onnx_vectors), axis=1), 1.0, atol=1e-5)
    cosines = _cosines(onnx_vectors, torch_vectors)
    assert cosines.min() >= 0.98, [(TEXTS[i][:40], round(float(c), 4)) for i, c in enumerate(cosines) if c < 0.98]
    assert cosines.mean() >= 0.993  # 0.995 measured; all-int8 MatMuls (down-projections too) gave ~0.991
    queries = SHORT + SENTENCES[:4]
    query_cosines = _cosines([onnx_embedder.embed_query(q) for q in queries],
                             [torch_embedder.embed_query(q) for q in queries])
    if onnx_embedder._query_session is onnx_embedder._session:  # large vocabulary (e5): int8 queries, 0.998 measured
        assert query_cosines.min() >= 0.997
    else:
        assert query_cosines.min() >= 0.9999  # queries run on the fp32 export


def test_long_texts_are_truncated_at_the_model_window(onnx_embedder: OnnxEmbedder,
                                                      torch_embedder: SentenceTransformerEmbedder) -> None:
    assert all(torch_embedder.count_tokens(t) > torch_embedder.max_tokens for t in LONG)
    # Words past the window change nothing: both encoders cut at the same token.
    extended = [t + " Questa coda oltre la finestra non deve contare." for t in LONG]
    np.testing.assert_allclose(onnx_embedder.embed_passages(extended), onnx_embedder.embed_passages(LONG), atol=1e-6)
    assert _cosines(onnx_embedder.embed_passages(LONG), torch_embedder.embed_passages(LONG)).min() >= 0.98


def test_count_tokens_agrees_with_torch(onnx_embedder: OnnxEmbedder,
                                        torch_embedder: SentenceTransformerEmbedder) -> None:
    for text in TEXTS + EDGE_CASES:
        assert onnx_embedder.count_tokens(text) == torch_embedder.count_tokens(text), text[:60]


def test_padding_is_masked(onnx_embedder: OnnxEmbedder) -> None:
    """A short text batched with long ones: the padding must not leak into its vector. Dynamic quantization takes
    one activation scale per batch, so the vectors agree closely but not bit for bit."""
    alone = onnx_embedder.embed_passages(SHORT[:3])
    mixed = onnx_embedder.embed_passages([LONG[0], *SHORT[:3], PARAGRAPH])[1:4]
    assert _cosines(alone, mixed).min() >= 0.985
    assert onnx_embedder.embed_passages([]) == []


def test_cache_is_reused_without_export(onnx_embedder: OnnxEmbedder, onnx_cache: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = onnx_embedder.model_path
    assert path is not None and path.parent.parent == onnx_cache
    files = sorted(path.parent.iterdir())
    shares = onnx_embedder._query_session is onnx_embedder._session  # large vocabulary: one int8 file
    assert [f.name for f in files] == ([] if shares else [path.name.replace(".int8.", ".fp32.")]) + [path.name]
    mtimes = [f.stat().st_mtime_ns for f in files]

    def no_export(*args: object) -> None:
        raise AssertionError("the cached model should have been reused")

    monkeypatch.setattr("kb.models.onnx_encoder.build_quantized", no_export)
    second = OnnxEmbedder(cache_dir=onnx_cache)
    second.warm_up()
    assert second.model_path == path and [f.stat().st_mtime_ns for f in sorted(path.parent.iterdir())] == mtimes
    np.testing.assert_allclose(second.embed_passages(SHORT), onnx_embedder.embed_passages(SHORT), atol=1e-6)
    np.testing.assert_allclose(second.embed_query("comunità energetiche"),
                               onnx_embedder.embed_query("comunità energetiche"), atol=1e-6)


def _model_copy(tmp_path: Path, pooling: dict[str, object] | None = None,
                modules: list[dict[str, object]] | None = None) -> Path:
    """The default model's folder as links to its files, with a different pooling or module list."""
    source = Path(resolve_model_path(MINILM_MODEL))
    target = tmp_path / "model"
    (target / "1_Pooling").mkdir(parents=True)
    for item in source.iterdir():
        if item.is_file():
            (target / item.name).symlink_to(item)
    shutil.copy(source / "1_Pooling" / "config.json", target / "1_Pooling" / "config.json")
    if pooling is not None:
        (target / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    if modules is not None:
        (target / "modules.json").unlink()
        (target / "modules.json").write_text(json.dumps(modules))
    return target


def test_cache_key_follows_files_and_runtime(tmp_path: Path) -> None:
    folder = _model_copy(tmp_path)
    layout = read_layout(folder)
    key = cache_key(layout, "1.32.0", False)
    assert key == cache_key(layout, "1.32.0", False)
    assert key != cache_key(layout, "1.33.0", False) and key != cache_key(layout, "1.32.0", True)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode": "mean", "embedding_dimension": 384}))
    assert cache_key(read_layout(folder), "1.32.0", False) != key


def test_pooling_configs_old_and_new() -> None:
    assert pooling_mode({"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}) == "mean"
    assert pooling_mode({"pooling_mode": "cls"}) == "cls"
    assert pooling_mode({"pooling_mode": ["mean"]}) == "mean"
    with pytest.raises(OnnxUnavailableError, match="mean, cls"):
        pooling_mode({"pooling_mode_max_tokens": True})


@needs_onnx
def test_cls_pooling_matches_torch(tmp_path: Path, torch_embedder: SentenceTransformerEmbedder) -> None:
    folder = _model_copy(tmp_path, pooling={"embedding_dimension": 384, "pooling_mode": "cls", "include_prompt": True})
    onnx_embedder = OnnxEmbedder(str(folder), cache_dir=tmp_path / "cache")
    onnx_embedder.warm_up()
    cls_torch = SentenceTransformerEmbedder(str(folder))
    cls_torch.warm_up()
    texts = SENTENCES[:8] + SHORT[:4] + LONG[:1]
    onnx_vectors, torch_vectors = onnx_embedder.embed_passages(texts), cls_torch.embed_passages(texts)
    assert _cosines(onnx_vectors, torch_vectors).min() >= 0.98
    # and it is not mean pooling under another name
    mean_torch = SentenceTransformerEmbedder(MINILM_MODEL)
    mean_torch.warm_up()
    assert _cosines(onnx_vectors, mean_torch.embed_passages(texts)).mean() < 0.9


def test_unsupported_model_falls_back(tmp_path: Path) -> None:
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
               {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}]
    folder = _model_copy(tmp_path, modules=modules)
    with pytest.raises(OnnxUnavailableError, match="Dense"):
        read_layout(folder)
    fallback = HashingEmbedder()
    embedder = OnnxEmbedder(str(folder), cache_dir=tmp_path / "cache", fallback=fallback)
    embedder.warm_up()
    assert embedder.encoder == "fallback" and embedder.dimension == fallback.dimension
    assert embedder.embed_query("bando") == fallback.embed_query("bando")
    assert not (tmp_path / "cache").exists()


def test_missing_onnxruntime_falls_back_to_torch(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
                                                 torch_embedder: SentenceTransformerEmbedder) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` now raises ImportError
    with caplog.at_level(logging.INFO, logger="kb.models.factory"):
        chosen = embedder_from_settings(Settings(encoder=Encoder.onnx))
    assert isinstance(chosen, SentenceTransformerEmbedder)
    assert any(r.levelno == logging.WARNING and "onnxruntime is not installed" in r.message for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="kb.models.factory"):
        assert isinstance(embedder_from_settings(Settings(encoder=Encoder.auto)), SentenceTransformerEmbedder)
    assert [r.levelno for r in caplog.records] == [logging.INFO]
    # onnxruntime vanishing between the choice and the warm-up: torch serves too
    embedder = OnnxEmbedder(fallback=torch_embedder)
    embedder.warm_up()
    assert embedder.encoder == "fallback"
    assert embedder.embed_query("bando") == torch_embedder.embed_query("bando")


def test_encoder_setting_picks_the_embedder(tmp_path: Path) -> None:
    assert Settings.model_fields["encoder"].default is Encoder.auto
    assert isinstance(embedder_from_settings(Settings(encoder=Encoder.torch)), SentenceTransformerEmbedder)
    assert isinstance(embedder_from_settings(Settings(encoder=Encoder.auto, device="cuda")),
                      SentenceTransformerEmbedder)
    assert Settings.model_validate({"encoder": "onnx"}).encoder is Encoder.onnx
    with pytest.raises(ValidationError):
        Settings.model_validate({"encoder": "tensorrt"})
    if HAVE_ONNX:
        chosen = embedder_from_settings(Settings(encoder=Encoder.auto, onnx_cache=tmp_path))
        assert isinstance(chosen, OnnxEmbedder) and chosen.cache_dir == tmp_path
        assert isinstance(chosen.fallback, SentenceTransformerEmbedder)


@needs_onnx
def test_shipped_default_serves_onnx(real_embedder: DenseEmbedder) -> None:
    """The retrieval tests run on what users get: with the default settings that is ONNX, not the torch fallback."""
    if Settings(_env_file=None).encoder is Encoder.torch:  # type: ignore[call-arg]
        pytest.skip("KB_ENCODER=torch: the suite runs on torch")
    assert isinstance(real_embedder, OnnxEmbedder) and real_embedder.encoder == "onnx"
    assert real_embedder.cache_dir == Path(os.environ["KB_ONNX_CACHE"])  # the suite's one cache (tests/conftest.py)


@pytest.fixture
def onnx_index(tmp_path: Path, onnx_embedder: OnnxEmbedder) -> Iterator[EdgeBackend]:
    backend = EdgeBackend(tmp_path / "index", onnx_embedder.name)
    backend.ensure_collection(onnx_embedder.dimension)
    report = IngestService(backend, onnx_embedder, files_path=tmp_path / "files").ingest_paths([FIXTURE_DOCS])
    assert report.ok and report.summary()["indexed"] == 5, report.outcomes
    yield backend
    backend.close()


@pytest.mark.parametrize("mode", [Mode.semantic, Mode.hybrid])
def test_ingest_and_search_end_to_end(onnx_index: EdgeBackend, onnx_embedder: OnnxEmbedder, mode: Mode) -> None:
    engine = SearchEngine(onnx_index, onnx_embedder)
    for query, expected in [("come ha fatto un piccolo comune a creare una comunità energetica?", "cer-montagna"),
                            ("lampioni a led con telecontrollo", "led-pianura")]:
        hits = engine.search(SearchRequest(query, mode, limit=3)).documents
        assert hits and hits[0].doc_id == expected, (query, [h.doc_id for h in hits])
