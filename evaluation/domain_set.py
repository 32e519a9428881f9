"""Command line of the domain evaluation set (the code is in `evaluation/domain/`).

Run with `.venv/bin/python -m evaluation.domain_set build-corpus|pool|split|metrics`. Only `pool` loads the model
and builds an index; the rest is plain file work (and what the tests use).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from evaluation.beir import reference_date
from evaluation.domain.corpus import build_corpus
from evaluation.domain.files import DATASET_DIR, SOURCES, load_queries
from evaluation.domain.pooling import POOL_DEPTH, pool
from evaluation.set_cli import COMMANDS, run_command


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.domain_set",
                                     description="Build, pool, split and score the domain evaluation set.")
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("--sources", type=Path, default=SOURCES, help="corpus/_sources")
    parser.add_argument("--out", type=Path, default=DATASET_DIR, help="dataset folder")
    parser.add_argument("--depth", type=int, default=POOL_DEPTH, help="pool depth per mode (pool)")
    args = parser.parse_args(argv)

    return run_command(
        args.command, args.out, build_corpus=lambda: build_corpus(args.sources),
        run_pool=lambda: pool(load_queries(args.out / "queries.jsonl"), args.sources, args.depth,
                              today=reference_date(args.out)))

if __name__ == "__main__":
    sys.exit(main())
