"""Fusion-weight sweep on a development split: index once, rank with each weight, report the metrics.

    python -m evaluation.tune --dataset evaluation/datasets/domain --split dev --out results/eval/tune-domain-dev.json

Tune on dev only; the chosen weight becomes `KB_LEXICAL_WEIGHT` and is then reported on the test split.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from evaluation.beir import load_beir
from evaluation.indexing import index_corpus
from evaluation.metrics import compute_metrics
from evaluation.run import product_ranking
from kb.models.factory import embedder_from_settings
from kb.search import Mode, engine_from_settings
from kb.settings import get_settings

GRID = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--doc-type", default="buona_pratica")
    parser.add_argument("--max-queries", type=int, default=None)
    parser.add_argument("--weights", default=",".join(map(str, GRID)))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    settings = get_settings()
    dataset = load_beir(args.dataset, args.split).limit_queries(args.max_queries)
    embedder = embedder_from_settings(settings)
    sweep: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="kb-tune-") as tmp:
        indexed = index_corpus(dataset, embedder, settings, Path(tmp), args.doc_type, quiet=True)
        try:
            for weight in (float(w) for w in args.weights.split(",")):
                tuned = settings.model_copy(update={"lexical_weight": weight})
                engine = engine_from_settings(tuned, indexed.backend, embedder)
                ranking = product_ranking(engine, dataset.queries, Mode.hybrid, indexed.ids, quiet=True,
                                          today=dataset.reference_date)
                sweep[f"{weight:.2f}"] = compute_metrics(dataset.qrels, ranking)
                print(f"w={weight:.2f}", json.dumps(sweep[f"{weight:.2f}"]), flush=True)
        finally:
            indexed.backend.close()
    best = max(sweep, key=lambda w: (sweep[w]["ndcg@10"], sweep[w]["mrr@10"]))
    result = {"dataset": dataset.name, "split": args.split, "queries": len(dataset.queries), "model": settings.model,
              "sweep": sweep, "best_lexical_weight": float(best)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"best lexical_weight on {dataset.name}/{args.split}: {best}")


if __name__ == "__main__":
    main()
