"""The PNRR evaluation set: officials' questions over the real open-data slice that `make index` imports.

Run with `.venv/bin/python -m evaluation.pnrr_set build-corpus|pool|split|metrics`. The layout, the judging files
and the split are the domain set's (`evaluation/domain/`); only the corpus differs: imported records, indexed by
`evaluation.open_data` as `kb import` indexes them. Only `pool` loads the model.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluation.beir import reference_date
from evaluation.domain.files import REPO_ROOT, load_queries, read_jsonl
from evaluation.domain.pooling import MODES, POOL_DEPTH, git_commit, pool_rows
from evaluation.open_data import ImportSpec, corpus_rows, index_imports, load_import_specs
from evaluation.set_cli import COMMANDS, run_command

DATASET_DIR = REPO_ROOT / "evaluation" / "datasets" / "pnrr"


def specs_of(dataset_dir: Path) -> list[ImportSpec]:
    specs = load_import_specs(dataset_dir)
    if specs is None:
        raise FileNotFoundError(f"{dataset_dir}: manca imports.yaml")
    return specs


def pool(queries: Sequence[dict[str, Any]], dataset_dir: Path = DATASET_DIR, depth: int = POOL_DEPTH,
         today: dt.date | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Import the slice into a temporary Edge index and pool the top `depth` documents of every mode, through
    `evaluation.run.product_ranking` (the call `kb eval` measures), with the settings of `kb.settings.Settings`."""
    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from evaluation.run import product_ranking
    from kb.models.factory import embedder_from_settings
    from kb.search import Mode, engine_from_settings
    from kb.settings import Settings

    settings = Settings()
    embedder = embedder_from_settings(settings)
    expected = {r["_id"] for r in read_jsonl(dataset_dir / "corpus.jsonl")}
    with tempfile.TemporaryDirectory(prefix="pnrr-pool-") as tmp:
        indexed = index_imports(specs_of(dataset_dir), embedder, settings, Path(tmp), expected)
        try:
            engine = engine_from_settings(settings, indexed.backend, embedder)
            texts = {q["_id"]: q["text"] for q in queries}
            rankings = {mode: product_ranking(engine, texts, Mode(mode), limit=depth, quiet=True, today=today)
                        for mode in MODES}
            chunks = indexed.backend.count()
        finally:
            indexed.backend.close()
    meta = {"model": embedder.name, "dimension": embedder.dimension, "query_prefix": settings.query_prefix,
            "passage_prefix": settings.passage_prefix, "chunk_max_tokens": settings.chunk_max_tokens,
            "lexical_weight": settings.lexical_weight, "candidates": settings.candidates, "depth": depth,
            "modes": list(MODES), "backend": "edge", "documents": len(expected), "chunks": chunks,
            "queries": len(queries), "today": today.isoformat() if today else None, "git_commit": git_commit()}
    return pool_rows(queries, rankings), meta


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.pnrr_set",
                                     description="Build, pool, split and score the PNRR evaluation set.")
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("--out", type=Path, default=DATASET_DIR, help="dataset folder")
    parser.add_argument("--depth", type=int, default=POOL_DEPTH, help="pool depth per mode (pool)")
    args = parser.parse_args(argv)

    from kb.settings import Settings

    return run_command(
        args.command, args.out, build_corpus=lambda: corpus_rows(specs_of(args.out), Settings()),
        run_pool=lambda: pool(load_queries(args.out / "queries.jsonl"), args.out, args.depth,
                              today=reference_date(args.out)))

if __name__ == "__main__":
    sys.exit(main())
