"""Command line of the domain evaluation set (the code is in `evaluation/domain/`).

Run with `.venv/bin/python -m evaluation.domain_set build-corpus|pool|split|metrics`. Only `pool` loads the model
and builds an index; the rest is plain file work (and what the tests use).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from evaluation.beir import reference_date
from evaluation.domain.corpus import build_corpus
from evaluation.domain.files import DATASET_DIR, SOURCES, load_queries, write_jsonl
from evaluation.domain.pooling import MODES, POOL_DEPTH, POOL_METRIC, pool, pool_metrics
from evaluation.domain.split import write_split_qrels


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.domain_set",
                                     description="Build, pool, split and score the domain evaluation set.")
    parser.add_argument("command", choices=["build-corpus", "pool", "split", "metrics"])
    parser.add_argument("--sources", type=Path, default=SOURCES, help="corpus/_sources")
    parser.add_argument("--out", type=Path, default=DATASET_DIR, help="dataset folder")
    parser.add_argument("--depth", type=int, default=POOL_DEPTH, help="pool depth per mode (pool)")
    args = parser.parse_args(argv)

    if args.command == "build-corpus":
        corpus = build_corpus(args.sources)
        write_jsonl(args.out / "corpus.jsonl", corpus)
        print(f"corpus.jsonl: {len(corpus)} documents")
    elif args.command == "pool":
        rows, meta = pool(load_queries(args.out / "queries.jsonl"), args.sources, args.depth,
                          today=reference_date(args.out))
        write_jsonl(args.out / "pool.jsonl", rows)
        (args.out / "pool_meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n",
                                                  encoding="utf-8")
        pairs = sum(len(r["docs"]) for r in rows)
        print(f"pool.jsonl: {len(rows)} queries, {pairs} pooled pairs ({meta['documents']} documents indexed)")
    elif args.command == "split":
        sizes = write_split_qrels(args.out)
        print(f"qrels written: dev {sizes['dev']} queries, test {sizes['test']} queries")
    else:
        metrics = pool_metrics(args.out)
        print(f"{POOL_METRIC} (pool-time numbers; definition: evaluation.metrics.NDCG)")
        print(f"{'split':<6} " + " ".join(f"{m:>9}" for m in MODES))
        for split, by_mode in metrics.items():
            print(f"{split:<6} " + " ".join(f"{by_mode[m]:>9.4f}" for m in MODES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
