"""Ranking sweep on development data: chunk length and overlap x fusion normalisation x lexical weight x chunk bonus.

    python -m evaluation.tune --dataset evaluation/datasets/domain --split dev --out results/eval/tune-domain-dev.json
    python -m evaluation.tune --dataset ../shared/benchmarks/squad-it --split test --half dev \
        --out results/eval/tune-squad-it-dev-half.json

The corpus is indexed once per chunk length (`--chunk-tokens`, `0` = derived from the model's window); every other
candidate ranks through `SearchEngine.search`, the path users get. Only the engine's two inputs that do not depend
on the candidate (the query's vector, the engine's answer to one query) are remembered between candidates, so a
sweep of a hundred candidates costs about one evaluation. SQuAD-it has only a test split: `--half dev` keeps the
questions whose id hashes even, the half the choice is made on (the other half is `--half test`).
Tune on dev only; the chosen values become settings and are then reported on the test splits (`make eval`).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import tempfile
from pathlib import Path
from typing import Any

from evaluation.beir import BeirDataset, load_beir
from evaluation.indexing import index_corpus
from evaluation.metrics import compute_metrics
from evaluation.run import product_ranking
from kb.models.factory import embedder_from_settings
from kb.search import Mode, engine_from_settings
from kb.settings import get_settings

WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
FUSIONS = ("minmax", "zscore", "rrf")
BONUSES = (0.0, 0.1, 0.2)


def half(dataset: BeirDataset, which: str) -> BeirDataset:
    """The questions whose id's SHA-256 is even (`dev`) or odd (`test`)."""
    keep = {q for q in dataset.queries if int(hashlib.sha256(q.encode()).hexdigest(), 16) % 2 == (which == "test")}
    dataset.queries = {q: t for q, t in dataset.queries.items() if q in keep}
    dataset.qrels = {q: r for q, r in dataset.qrels.items() if q in keep}
    return dataset


class RememberingBackend:
    """The index, with the answers to queries remembered (same vector, filter and depth: same answer)."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self._answers: dict[tuple[Any, ...], Any] = {}

    def query(self, using: str, vector: Any, flt: Any, limit: int, with_payload: Any = True) -> Any:
        key = (using, repr(vector), repr(flt), limit, repr(with_payload))
        if key not in self._answers:
            self._answers[key] = self._backend.query(using, vector, flt, limit, with_payload)
        return self._answers[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


class RememberingEmbedder:
    """The model, with query vectors remembered."""

    def __init__(self, embedder: Any) -> None:
        self._embedder = embedder
        self._queries: dict[str, list[float]] = {}

    def embed_query(self, text: str) -> list[float]:
        if text not in self._queries:
            self._queries[text] = self._embedder.embed_query(text)
        return self._queries[text]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._embedder, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--half", choices=("dev", "test"), default=None)
    parser.add_argument("--doc-type", default="buona_pratica")
    parser.add_argument("--max-queries", type=int, default=None)
    parser.add_argument("--chunk-tokens", default="0", help="chunk lengths to index with, e.g. 0,256,384")
    parser.add_argument("--overlaps", default=None, help="chunk overlaps in tokens, e.g. 20,40,80 (default: setting)")
    parser.add_argument("--weights", default=",".join(map(str, WEIGHTS)))
    parser.add_argument("--fusions", default=",".join(FUSIONS))
    parser.add_argument("--bonuses", default=",".join(map(str, BONUSES)))
    parser.add_argument("--exact-dense", default="0", help="0, 1 or 0,1: complete the semantic list (see fusion)")
    parser.add_argument("--modes", default="lexical,semantic", help="single modes reported beside the sweep")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    settings = get_settings()
    dataset = load_beir(args.dataset, args.split)
    if args.half:
        dataset = half(dataset, args.half)
    dataset = dataset.limit_queries(args.max_queries)
    embedder = RememberingEmbedder(embedder_from_settings(settings))
    grid = list(itertools.product(args.fusions.split(","), map(float, args.weights.split(",")),
                                  map(float, args.bonuses.split(",")), map(int, args.exact_dense.split(","))))
    sweep: dict[str, dict[str, float]] = {}
    overlaps = args.overlaps.split(",") if args.overlaps else [str(settings.chunk_overlap_tokens)]
    for chunk_tokens, overlap in itertools.product(map(int, args.chunk_tokens.split(",")), map(int, overlaps)):
        chunked = settings.model_copy(update={"chunk_max_tokens": chunk_tokens, "chunk_overlap_tokens": overlap})
        with tempfile.TemporaryDirectory(prefix="kb-tune-") as tmp:
            indexed = index_corpus(dataset, embedder, chunked, Path(tmp), args.doc_type, quiet=True)
            backend = RememberingBackend(indexed.backend)
            try:
                for mode in filter(None, args.modes.split(",")):
                    engine = engine_from_settings(chunked, backend, embedder)
                    ranking = product_ranking(engine, dataset.queries, Mode(mode), indexed.ids, quiet=True,
                                              today=dataset.reference_date)
                    key = f"chunks={chunk_tokens}/{overlap} {mode}"
                    sweep[key] = compute_metrics(dataset.qrels, ranking)
                    print(key, json.dumps(sweep[key]), flush=True)
                for fusion, weight, bonus, exact in grid:
                    tuned = chunked.model_copy(update={"fusion": fusion, "lexical_weight": weight,
                                                       "chunk_bonus": bonus, "exact_dense": bool(exact)})
                    engine = engine_from_settings(tuned, backend, embedder)
                    ranking = product_ranking(engine, dataset.queries, Mode.hybrid, indexed.ids, quiet=True,
                                              today=dataset.reference_date)
                    key = f"chunks={chunk_tokens}/{overlap} {fusion} w={weight:.2f} bonus={bonus:.2f}"
                    key += " exact-dense" if exact else ""
                    sweep[key] = compute_metrics(dataset.qrels, ranking)
                    print(key, json.dumps(sweep[key]), flush=True)
            finally:
                indexed.backend.close()
    hybrid = [k for k in sweep if " w=" in k]
    best = max(hybrid, key=lambda k: (sweep[k]["ndcg@10"], sweep[k]["mrr@10"]))
    result = {"dataset": dataset.name, "split": args.split, "half": args.half, "queries": len(dataset.queries),
              "model": settings.model, "sweep": sweep, "best": best, "best_metrics": sweep[best]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"best on {dataset.name}/{args.split}{'/' + args.half if args.half else ''}: {best} {sweep[best]}")


if __name__ == "__main__":
    main()
