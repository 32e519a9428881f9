"""Disk per chunk of an index, for the sizing advice in the README: `python deploy/measure_index_size.py`.

What is built: an Edge index (the same engine and segment format as a Qdrant server) of N synthetic chunks, for
each N in --sizes. Payloads are the real chunk payloads of a template index (default `data/index`, the sample
corpus: about 1.8 KB of JSON each, text included), copied round-robin with new ids and a per-copy `doc_id`.
Dense vectors come from the hashing embedder at 384 dimensions: stored as float32 like the default model's, so
they take the same room. Sparse vectors are the product's BM25 encoding of each chunk's text. Payload indexes are
the production ones. After the writes the index is flushed and optimised (HNSW built), then its files are summed.

The per-chunk figure is the slope between the two largest sizes, so fixed costs (config, empty WAL segments)
do not inflate it; one million chunks is an extrapolation of that slope, not a measurement.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from kb.models.embedders import HashingEmbedder
from kb.storage.backends.base import ChunkPoint, SparseVec
from kb.storage.backends.edge import EdgeBackend
from kb.text.analysis import Bm25SparseEncoder

MIB = 1024 * 1024


def template_payloads(index: Path, workdir: Path) -> list[dict[str, Any]]:
    """The payloads of every chunk of `index`, read from a copy (the original may be held by a running server)."""
    copy = workdir / "template"
    shutil.copytree(index, copy)
    backend = EdgeBackend(copy)
    backend.ensure_collection(None)
    payloads: list[dict[str, Any]] = []
    offset = None
    while True:
        hits, offset = backend.scroll(None, 1000, offset)
        payloads += [h.payload for h in hits]
        if offset is None:
            break
    backend.close()
    return payloads


def disk_usage(path: Path) -> dict[str, int]:
    """Allocated bytes (what the disk loses) per top-level part of the index, and in total."""
    parts: dict[str, int] = {}
    for file in path.rglob("*"):
        if file.is_file():
            part = file.relative_to(path).parts[0]
            parts[part] = parts.get(part, 0) + file.stat().st_blocks * 512
    parts["total"] = sum(parts.values())
    return parts


def build(size: int, payloads: list[dict[str, Any]], dim: int, path: Path, batch: int = 1000) -> dict[str, Any]:
    embedder, encoder = HashingEmbedder(dim), Bm25SparseEncoder()
    backend = EdgeBackend(path, f"hashing-{dim}")
    backend.ensure_collection(dim)
    started = time.perf_counter()
    for start in range(0, size, batch):
        points = []
        for i in range(start, min(size, start + batch)):
            copy, template = divmod(i, len(payloads))
            payload = {**payloads[template], "doc_id": f"{payloads[template].get('doc_id')}-{copy}"}
            text = str(payload.get("text", ""))
            indices, values = encoder.encode_document(text)
            points.append(ChunkPoint(str(uuid.uuid5(uuid.NAMESPACE_URL, f"size-{i}")), payload,
                                     embedder.embed_passages([f"{text} {i}"])[0], SparseVec(indices, values)))
        backend.upsert(points)
    backend.flush()
    backend.optimize()
    backend.close()
    usage = disk_usage(path)
    return {"chunks": size, "build_s": round(time.perf_counter() - started, 1), "bytes": usage}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--template", type=Path, default=Path("data/index"),
                        help="Edge index whose payloads are copied")
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 20_000])
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--out", type=Path, default=None, help="also write the results to this JSON file")
    args = parser.parse_args()
    if not (args.template / "kb_schema.json").exists():
        sys.exit(f"no index at {args.template}: run `make index` first, or pass --template")
    sizes = sorted(args.sizes)
    with tempfile.TemporaryDirectory(prefix="kb-size-") as tmp_name:
        tmp = Path(tmp_name)
        payloads = template_payloads(args.template, tmp)
        runs = [build(n, payloads, args.dim, tmp / f"index-{n}") for n in sizes]
    payload_json = sum(len(json.dumps(p, ensure_ascii=False).encode()) for p in payloads) / len(payloads)
    result: dict[str, Any] = {"dim": args.dim, "template_chunks": len(payloads),
                              "payload_json_bytes_mean": round(payload_json), "runs": runs}
    if len(runs) >= 2:
        small, large = runs[-2], runs[-1]
        per_chunk = {part: (large["bytes"].get(part, 0) - small["bytes"].get(part, 0))
                     / (large["chunks"] - small["chunks"]) for part in large["bytes"]}
        result["bytes_per_chunk"] = {part: round(v) for part, v in per_chunk.items()}
        result["extrapolated_1m_gib"] = {part: round(v * 1_000_000 / 1024 / MIB, 2) for part, v in per_chunk.items()}
        result["raw_dense_float32_bytes_per_chunk"] = args.dim * 4
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
