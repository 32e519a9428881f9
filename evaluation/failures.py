"""The worst queries of an evaluation, to read what retrieval gets wrong (not just how much).

Per mode, the queries with the lowest nDCG@10 (then reciprocal rank) are listed with their text, the relevant
documents and what the product put in the top 5 instead. Built from the saved run files and the data set folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from evaluation.beir import load_corpus, load_queries
from evaluation.metrics import METRICS, per_query, read_trec
from evaluation.qrels import read_qrels
from evaluation.run import load_manifest

TOP = 5


def _cell(text: str, width: int = 90) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= width else text[: width - 1] + "…"


def failures_markdown(results_file: Path, modes: Sequence[str] | None = None, n: int = 20,
                      dataset_dir: Path | None = None) -> str:
    """Markdown of the `n` worst queries of each mode (all run modes and baselines when `modes` is None)."""
    manifest = load_manifest(results_file)
    folder = Path(manifest["dir"])
    data_dir = Path(dataset_dir or manifest["dataset_path"])
    corpus = load_corpus(data_dir / "corpus.jsonl")
    queries = load_queries(data_dir / "queries.jsonl")
    qrels = read_qrels(folder / manifest["qrels"])
    chosen = list(modes or manifest["runs"])
    unknown = [m for m in chosen if m not in manifest["runs"]]
    if unknown:
        raise ValueError(f"modalità senza run: {unknown}; disponibili: {', '.join(manifest['runs'])}")

    def title(doc_id: str) -> str:
        doc = corpus.get(doc_id)
        return _cell(doc.title) if doc and doc.title else "(senza titolo)"

    lines = [f"# Query peggiori: {manifest['dataset']} ({manifest['split']})", ""]
    for mode in chosen:
        ranking = read_trec(folder / manifest["runs"][mode])
        ndcg = per_query(qrels, ranking, METRICS["ndcg@10"])
        rr = per_query(qrels, ranking, METRICS["mrr@10"])
        worst = sorted(qrels, key=lambda q: (ndcg[q], rr[q], q))[:n]
        lines += [f"## {mode}", "", f"{len(worst)} query su {len(qrels)}, per nDCG@10 e poi RR crescenti.", ""]
        for position, qid in enumerate(worst, 1):
            relevant = {d: g for d, g in qrels[qid].items() if g > 0}
            lines += [f"### {position}. `{qid}` — nDCG@10 {ndcg[qid]:.3f}, RR@10 {rr[qid]:.3f}", "",
                      f"> {_cell(queries.get(qid, ''), 400)}", "", "Rilevanti:"]
            lines += [f"- `{d}` (grado {g}): {title(d)}"
                      for d, g in sorted(relevant.items(), key=lambda kv: (-kv[1], kv[0]))]
            lines += ["", "| # | doc | titolo | score | grado |", "|---|---|---|---|---|"]
            hits = ranking.get(qid, [])[:TOP]
            lines += [f"| {rank} | `{d}` | {title(d)} | {score:.4f} | {relevant.get(d, '')} |"
                      for rank, (d, score) in enumerate(hits, 1)]
            if not hits:
                lines.append("| – | nessun risultato | | | |")
            lines.append("")
    return "\n".join(lines)


def write_failures(results_file: Path, modes: Sequence[str] | None = None, n: int = 20,
                   dataset_dir: Path | None = None) -> tuple[Path, str]:
    """Write `<results>-failures[-mode].md` next to the results file; returns (file, Markdown)."""
    text = failures_markdown(results_file, modes, n, dataset_dir)
    suffix = "-".join(modes) if modes else "all"
    out = results_file.with_name(f"{results_file.stem}-failures-{suffix}.md")
    out.write_text(text, encoding="utf-8")
    return out, text
