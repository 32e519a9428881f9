"""The commands a judged evaluation set shares (build-corpus, pool, split, metrics), whatever builds its corpus and
index: the domain set (evaluation.domain_set) and the PNRR set (evaluation.pnrr_set)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evaluation.domain.files import write_jsonl
from evaluation.domain.pooling import MODES, POOL_METRIC, pool_metrics
from evaluation.domain.split import write_split_qrels

COMMANDS = ("build-corpus", "pool", "split", "metrics")


def run_command(command: str, out: Path, *, build_corpus: Callable[[], list[dict[str, Any]]],
                run_pool: Callable[[], tuple[list[dict[str, Any]], dict[str, Any]]]) -> int:
    if command == "build-corpus":
        corpus = build_corpus()
        write_jsonl(out / "corpus.jsonl", corpus)
        print(f"corpus.jsonl: {len(corpus)} documents")
    elif command == "pool":
        rows, meta = run_pool()
        write_jsonl(out / "pool.jsonl", rows)
        (out / "pool_meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"pool.jsonl: {len(rows)} queries, {sum(len(r['docs']) for r in rows)} pooled pairs "
              f"({meta['documents']} documents indexed)")
    elif command == "split":
        sizes = write_split_qrels(out)
        print(f"qrels written: dev {sizes['dev']} queries, test {sizes['test']} queries")
    else:
        metrics = pool_metrics(out)
        print(f"{POOL_METRIC} (pool-time numbers; definition: evaluation.metrics.NDCG)")
        print(f"{'split':<6} " + " ".join(f"{m:>9}" for m in MODES))
        for split, by_mode in metrics.items():
            print(f"{split:<6} " + " ".join(f"{by_mode[m]:>9.4f}" for m in MODES))
    return 0
