"""Report of one or more evaluations: a Markdown table per data set and PNG plots, from the saved results.

Everything is recomputed from what `kb eval` left on disk (results JSON, run files, qrels): the report never
re-runs retrieval, so it is cheap to regenerate and always matches the runs it describes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.metrics import METRICS, RECALL_KS, read_trec, recall_curve
from evaluation.qrels import read_qrels
from evaluation.run import load_manifest

REPORT_FILE = "report.md"
SCORES_PNG = "scores.png"
RECALL_PNG = "recall.png"


@dataclass
class Evaluation:
    """One results JSON, with its recall@k curves per system (empty when its run files are missing)."""

    path: Path
    data: dict[str, Any]
    curves: dict[str, dict[int, float]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.data['dataset']} ({self.data['split']})"

    def systems(self) -> dict[str, dict[str, float]]:
        rows = dict(self.data.get("modes", {}))
        rows.update({f"{name} (baseline)": m for name, m in self.data.get("baselines", {}).items()})
        return rows


def results_files(paths: Sequence[Path]) -> list[Path]:
    """Results JSONs among the given files and folders (a folder's *.json, not its runs/)."""
    found: list[Path] = []
    for path in paths:
        candidates = sorted(path.glob("*.json")) if path.is_dir() else [path]
        for candidate in candidates:
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            if isinstance(data, dict) and "modes" in data and "dataset" in data:
                found.append(candidate)
    return found


def load_evaluation(path: Path, ks: Sequence[int] = RECALL_KS) -> Evaluation:
    evaluation = Evaluation(path, json.loads(path.read_text(encoding="utf-8")))
    try:
        manifest = load_manifest(path)
    except FileNotFoundError as exc:
        print(f"avviso: {exc}; niente curve di recall per {path.name}", file=sys.stderr)
        return evaluation
    folder = Path(manifest["dir"])
    qrels = read_qrels(folder / manifest["qrels"])
    for system, name in manifest["runs"].items():
        label = f"{system} (baseline)" if system in manifest.get("baselines", []) else system
        evaluation.curves[label] = recall_curve(qrels, read_trec(folder / name), ks)
    return evaluation


def markdown(evaluations: Sequence[Evaluation]) -> str:
    metrics = list(METRICS)
    lines = ["# Valutazione del recupero", ""]
    for ev in evaluations:
        d = ev.data
        lines += [f"## {ev.label}", "",
                  f"Modello `{d.get('model')}`, lexical_weight {d.get('lexical_weight')}, {d.get('queries')} query.",
                  "", "| sistema | " + " | ".join(metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
        systems = ev.systems()
        best = {m: max((row.get(m, 0.0) for row in systems.values()), default=0.0) for m in metrics}
        for name, row in systems.items():
            cells = [f"**{row[m]:.3f}**" if m in row and row[m] == best[m] else
                     (f"{row[m]:.3f}" if m in row else "–") for m in metrics]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        if ev.curves:
            ks = sorted({k for curve in ev.curves.values() for k in curve})
            lines += ["", "| recall@k | " + " | ".join(str(k) for k in ks) + " |", "|---" * (len(ks) + 1) + "|"]
            lines += [f"| {name} | " + " | ".join(f"{curve.get(k, 0.0):.3f}" for k in ks) + " |"
                      for name, curve in ev.curves.items()]
        lines.append("")
    lines += [f"![nDCG@10 e MRR@10]({SCORES_PNG})", "", f"![recall@k]({RECALL_PNG})", ""]
    return "\n".join(lines)


def _plots(evaluations: Sequence[Evaluation], out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(evaluations)
    fig, axes = plt.subplots(1, n, figsize=(5.5 * n, 4.2), squeeze=False)
    for ax, ev in zip(axes[0], evaluations, strict=True):
        systems = ev.systems()
        names = list(systems)
        xs = range(len(names))
        width = 0.38
        for offset, metric in ((-width / 2, "ndcg@10"), (width / 2, "mrr@10")):
            bars = ax.bar([x + offset for x in xs], [systems[s].get(metric, 0.0) for s in names], width, label=metric)
            ax.bar_label(bars, fmt="%.2f", fontsize=7)
        ax.set_xticks(list(xs), [s.replace(" (baseline)", "\n(baseline)") for s in names], fontsize=8)
        ax.set_ylim(0, 1.1)
        ax.set_title(ev.label)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    scores = out_dir / SCORES_PNG
    fig.savefig(scores, dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, n, figsize=(5.5 * n, 4.2), squeeze=False)
    for ax, ev in zip(axes[0], evaluations, strict=True):
        for name, curve in ev.curves.items():
            ks = sorted(curve)
            ax.plot(ks, [curve[k] for k in ks], marker="o", label=name)
        ax.set_xscale("log")
        ax.set_xticks(list(RECALL_KS), [str(k) for k in RECALL_KS])
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("k")
        ax.set_ylabel("recall@k")
        ax.set_title(ev.label)
        ax.grid(alpha=0.3)
        if ev.curves:
            ax.legend(fontsize=8)
    fig.tight_layout()
    recall = out_dir / RECALL_PNG
    fig.savefig(recall, dpi=110)
    plt.close(fig)
    return [scores, recall]


def write_report(paths: Sequence[Path], out_dir: Path) -> list[Path]:
    """Write report.md, scores.png and recall.png under `out_dir`; returns the files written."""
    files = results_files(paths)
    if not files:
        raise FileNotFoundError(f"nessun file di risultati in {', '.join(map(str, paths))}")
    evaluations = [load_evaluation(f) for f in files]
    out_dir.mkdir(parents=True, exist_ok=True)
    report = out_dir / REPORT_FILE
    report.write_text(markdown(evaluations), encoding="utf-8")
    return [report, *_plots(evaluations, out_dir)]
