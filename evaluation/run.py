"""One evaluation: index a BEIR data set with the product, run every query in each mode, score with ranx.

The product is measured through its own entry points (`IngestService`, `SearchEngine.search`: the retrieval
core every API route uses, at the served depth), next to a
bm25s baseline (Italian Snowball stems and stop words) computed in the same run on the same queries, so a
regression or a gain is read against a fixed reference. Runs are kept as TREC files for the report and for
failure analysis; the JSON holds the means.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluation.beir import BeirDataset, load_beir
from evaluation.indexing import DocIdMap, index_corpus
from evaluation.metrics import Ranking, compute_metrics, write_trec
from evaluation.open_data import index_imports, load_import_specs
from evaluation.qrels import write_qrels
from kb.search import Mode, SearchEngine, SearchRequest, engine_from_settings

DEFAULT_MODES: tuple[str, ...] = ("lexical", "semantic", "hybrid")
DEPTH = 100
BASELINE = "bm25s"
MANIFEST = "manifest.json"


def runs_dir(out: Path) -> Path:
    """Run files of `results/eval/x.json` go to `results/eval/runs/x/`."""
    return out.parent / "runs" / out.stem


def product_ranking(engine: SearchEngine, queries: dict[str, str], mode: Mode, ids: DocIdMap | None = None,
                    limit: int = DEPTH, quiet: bool = False, today: dt.date | None = None) -> Ranking:
    """Each query's documents as `GET /search` ranks them (same request defaults, question interpretation
    included), the first `limit`; ids in BEIR ids when a map is given."""
    from tqdm import tqdm

    ranking: Ranking = {}
    to_beir = ids.to_beir if ids is not None else {}
    for qid, text in tqdm(queries.items(), desc=mode.value, unit="query", file=sys.stderr, disable=quiet):
        page = engine.search(SearchRequest(text, mode, limit=limit, passages=False, today=today))
        ranking[qid] = [(to_beir.get(d.doc_id, d.doc_id), float(d.score)) for d in page.documents]
    return ranking


def bm25s_ranking(dataset: BeirDataset, limit: int = DEPTH) -> tuple[Ranking, float, float]:
    """bm25s over title + text, Italian Snowball stemmer and bm25s's Italian stop words; zero scores dropped."""
    import bm25s
    import Stemmer

    stem = Stemmer.Stemmer("italian").stemWords
    doc_ids = list(dataset.corpus)
    start = time.perf_counter()
    corpus = bm25s.tokenize([f"{d.title}\n{d.text}" for d in dataset.corpus.values()], stopwords="it",
                            stemmer=stem, show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    indexed = time.perf_counter()
    qids = list(dataset.queries)
    ranking: Ranking = {qid: [] for qid in qids}
    if qids and doc_ids:
        tokens = bm25s.tokenize([dataset.queries[q] for q in qids], stopwords="it", stemmer=stem,
                                return_ids=False, show_progress=False)
        found, scores = retriever.retrieve(tokens, k=min(limit, len(doc_ids)), show_progress=False)
        for row, qid in enumerate(qids):
            ranking[qid] = [(doc_ids[int(i)], float(s)) for i, s in zip(found[row], scores[row], strict=True) if s > 0]
    return ranking, indexed - start, time.perf_counter() - indexed


def evaluate_dataset(dataset_dir: Path, out: Path, settings: Any, *, split: str = "test",
                     modes: Sequence[str] = DEFAULT_MODES, doc_type: str = "buona_pratica",
                     max_queries: int | None = None, embedder: Any = None, quiet: bool = False,
                     today: dt.date | None = None) -> dict[str, Any]:
    """Evaluate the product on one data set and split; writes `out` (JSON) and the run files; returns the JSON."""
    chosen = [Mode(m) for m in modes]
    started = time.perf_counter()
    dataset = load_beir(dataset_dir, split).limit_queries(max_queries)
    # status words in a question ("bandi aperti") are read against this day: the data set's reference date
    today = today or dataset.reference_date or dt.date.today()
    if embedder is None:
        from kb.models.factory import embedder_from_settings

        embedder = embedder_from_settings(settings)
    runs = runs_dir(out)
    results: dict[str, Any] = {"dataset": dataset.name, "split": split, "model": settings.model,
                               "lexical_weight": settings.lexical_weight, "modes": {}, "baselines": {},
                               "queries": len(dataset.queries), "today": today.isoformat(), "timings": {}}
    timings: dict[str, float] = results["timings"]
    run_files: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="kb-eval-") as tmp:
        imports = load_import_specs(dataset_dir)  # a corpus of open data is indexed as `kb import` does it
        indexed = (index_imports(imports, embedder, settings, Path(tmp), set(dataset.corpus), quiet=quiet)
                   if imports else index_corpus(dataset, embedder, settings, Path(tmp), doc_type, quiet=quiet))
        try:
            timings["index_s"] = round(indexed.seconds, 2)
            timings["index_docs_per_s"] = round(len(dataset.corpus) / indexed.seconds, 1) if indexed.seconds else 0.0
            engine = engine_from_settings(settings, indexed.backend, embedder)
            for mode in chosen:
                start = time.perf_counter()
                ranking = product_ranking(engine, dataset.queries, mode, indexed.ids, quiet=quiet, today=today)
                seconds = time.perf_counter() - start
                timings[f"{mode.value}_s"] = round(seconds, 2)
                timings[f"{mode.value}_ms_per_query"] = round(1000 * seconds / max(len(dataset.queries), 1), 1)
                write_trec(runs / f"{mode.value}.trec", ranking, f"kb-{mode.value}")
                run_files[mode.value] = f"{mode.value}.trec"
                results["modes"][mode.value] = compute_metrics(dataset.qrels, ranking)
        finally:
            indexed.backend.close()
    baseline, index_s, search_s = bm25s_ranking(dataset)
    timings[f"{BASELINE}_index_s"], timings[f"{BASELINE}_search_s"] = round(index_s, 2), round(search_s, 2)
    write_trec(runs / f"{BASELINE}.trec", baseline, BASELINE)
    run_files[BASELINE] = f"{BASELINE}.trec"
    results["baselines"][BASELINE] = compute_metrics(dataset.qrels, baseline)
    timings["total_s"] = round(time.perf_counter() - started, 2)

    write_qrels(runs / "qrels.tsv", dataset.qrels)
    manifest = {"dataset": dataset.name, "dataset_path": str(dataset.path), "split": split, "results": out.name,
                "runs": run_files, "baselines": [BASELINE], "qrels": "qrels.tsv",
                "doc_ids_mapped": indexed.ids.changed, "documents": len(dataset.corpus),
                "ingest": indexed.report.summary()}
    (runs / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return results


def load_manifest(results_file: Path) -> dict[str, Any]:
    """The run folder of a results JSON (run files, qrels, where the data set is)."""
    path = runs_dir(results_file) / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"{path} non trovato: rieseguire `kb eval` per {results_file}")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    manifest["dir"] = str(path.parent)
    return manifest
