"""The results of `make bench` as JSON, a Markdown summary and a plot (re-run alone: `python bench_report.py FILE`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

MODES = ("lexical", "semantic", "hybrid")


def _sizes(result: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    return sorted((int(k), v) for k, v in result["sizes"].items() if key in v)


def _value(entry: dict[str, Any], key: str, quantile: str) -> float:
    """A size's HTTP or floor quantile; the floor as the ratio uses it, the mean of before and after the HTTP run."""
    after = entry.get("floor_after_http") if key == "floor" else None
    value = float(entry[key][quantile])
    return (value + float(after[quantile])) / 2 if after else value


def markdown(result: dict[str, Any]) -> str:
    lines = [f"# make bench, {result['date']}", "",
             f"Model `{result['model']}`, encoder `{result['encoder']}`, {result['machine']['cpus']} CPUs, "
             f"candidates {result['candidates']}. Source: {result.get('source', {}).get('chunks')} real chunks of "
             "the sample corpus; larger bases generated from them (benchmarks/synthetic.py).", ""]
    lines += ["## Engine latency p50 / p95 (ms), `candidates` hits", "",
              "| chunks | " + " | ".join(f"{m} | {m} filtered" for m in MODES) + " |",
              "|---:|" + "---:|" * (2 * len(MODES))]
    for size, entry in _sizes(result, "engine"):
        cells = [f"{e[c]['p50_ms']} / {e[c]['p95_ms']}" for m in MODES for e in [entry["engine"][m]]
                 for c in ("unfiltered", "filtered")]
        lines.append(f"| {size:,} | " + " | ".join(cells) + " |")
    if "engine_growth" in result:
        lines += ["", "Growth of p50 from the smallest to the largest size: " + ", ".join(
            f"{m} {g['unfiltered']}x / filtered {g['filtered']}x" for m, g in result["engine_growth"].items())]
    for size, entry in _sizes(result, "qdrant_client_local"):
        lines += ["", f"## Edge vs qdrant-client local mode at {size:,} chunks, p50 ms (filtered in brackets)", "",
                  "| mode | Qdrant Edge | qdrant-client local | ratio |", "|---|---:|---:|---:|"]
        for m in MODES:
            edge, naive = entry["engine"][m], entry["qdrant_client_local"]["engine"][m]
            lines.append(f"| {m} | {edge['unfiltered']['p50_ms']} ({edge['filtered']['p50_ms']}) | "
                         f"{naive['unfiltered']['p50_ms']} ({naive['filtered']['p50_ms']}) | "
                         f"{naive['unfiltered']['p50_ms'] / edge['unfiltered']['p50_ms']:.0f}x "
                         f"({naive['filtered']['p50_ms'] / edge['filtered']['p50_ms']:.0f}x) |")
    lines += ["", "## GET /search over HTTP vs the floor (query encoding + engine), ms", "",
              "The floor is measured before and after the HTTP run; the ratio divides by their mean.", "",
              "| chunks | floor p50 | floor p95 | HTTP p50 | HTTP p95 | p50 ratio | server RSS MB | disk MB |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for size, entry in _sizes(result, "http"):
        after = entry.get("floor_after_http")  # the floor measured again after the HTTP run
        floor_p50 = f"{entry['floor']['p50']} / {after['p50']}" if after else entry["floor"]["p50"]
        lines.append(f"| {size:,} | {floor_p50} | {entry['floor']['p95']} | {entry['http']['p50']} | "
                     f"{entry['http']['p95']} | {entry['http_p50_ratio_to_floor']} | "
                     f"{entry['http']['server_memory']['rss_mb']:.0f} | {entry['disk_bytes'] / 2**20:.0f} |")
        if "other_encoder" in entry:
            other = entry["other_encoder"]
            lines.append(f"| {size:,} with `{other['encoder']}` | {other['floor']['p50']} | {other['floor']['p95']} | "
                         f"{other['http']['p50']} | {other['http']['p95']} | {other['http_p50_ratio_to_floor']} | "
                         f"{other['http']['server_memory']['rss_mb']:.0f} | |")
    if "per_100k_chunks" in result:
        per = result["per_100k_chunks"]
        lines += ["", f"Per 100k chunks (between {per['between'][0]:,} and {per['between'][1]:,}): "
                      f"disk {per['disk_mb']} MB, server RSS {per['server_rss_mb']} MB."]
    if "ingest" in result:
        ours, plain = result["ingest"]["pipeline_vs_encoder"], result["ingest"]["vs_plain_haystack"]
        lines += ["", "## Ingestion, chunks/s", "",
                  f"- Sample corpus ({ours['chunks']} chunks): pipeline {ours['pipeline_chunks_per_s']}, bare "
                  f"encoder {ours['encoder_chunks_per_s']} on the same chunks: ratio {ours['ratio']}.",
                  f"- The corpus's PDFs: ours {plain['ours']['chunks_per_s']}, plain Haystack pipeline "
                  f"{plain['haystack']['chunks_per_s']}: ratio {plain['ratio_ours_to_haystack_chunks_per_s']} "
                  f"(documents/s ratio {plain['ratio_ours_to_haystack_documents_per_s']})."]
    for size, entry in _sizes(result, "load"):
        lines += ["", f"## Load at {size:,} chunks: {entry['load']['saturation']['setup']['clients']} clients, "
                      f"{entry['load']['saturation']['setup']['duration_s']:.0f} s", "",
                  "| phase | requests | errors | req/s | p50 ms | p95 ms | p99 ms |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for phase, report in entry["load"].items():
            lat = report.get("latency", {})
            lines.append(f"| {phase} (think {report['setup']['think_s']} s) | {report['requests']} | "
                         f"{report['errors']} | {report['throughput_rps']} | {lat.get('p50_ms')} | "
                         f"{lat.get('p95_ms')} | {lat.get('p99_ms')} |")
    if "goals_met" in result:
        lines += ["", "## Goals", ""] + [f"- {k}: {'met' if v else 'MISSED'}" for k, v in result["goals_met"].items()]
    return "\n".join(lines) + "\n"


def plot(result: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    engine = _sizes(result, "engine")
    ax = axes[0][0]
    for m, colour in zip(MODES, ("tab:blue", "tab:orange", "tab:green"), strict=True):
        for case, style in (("unfiltered", "-"), ("filtered", "--")):
            ax.plot([s for s, _ in engine], [e["engine"][m][case]["p50_ms"] for _, e in engine], style,
                    marker="o", color=colour, label=f"{m} {case}")
    ax.set(xscale="log", xlabel="chunks", ylabel="p50 ms", title="Engine latency (Qdrant Edge)")
    ax.legend(fontsize=7)
    ax = axes[0][1]
    http = _sizes(result, "http")
    for key, label, style in (("floor", "floor (mean before/after)", "--"), ("http", "GET /search", "-")):
        for q, colour in (("p50", "tab:blue"), ("p95", "tab:red")):
            ax.plot([s for s, _ in http], [_value(e, key, q) for _, e in http], style, marker="o", color=colour,
                    label=f"{label} {q}")
    ax.axhline(30, color="grey", lw=0.8, ls=":", label="goal p95 30 ms")
    ax.set(xscale="log", xlabel="chunks", ylabel="ms", title="End to end vs floor")
    ax.legend(fontsize=7)
    ax = axes[1][0]
    if "ingest" in result:
        ours, plain = result["ingest"]["pipeline_vs_encoder"], result["ingest"]["vs_plain_haystack"]
        bars = {"our pipeline\n(corpus)": ours["pipeline_chunks_per_s"], "bare encoder\n(corpus)":
                ours["encoder_chunks_per_s"], "our pipeline\n(PDFs)": plain["ours"]["chunks_per_s"],
                "plain Haystack\n(PDFs)": plain["haystack"]["chunks_per_s"]}
        ax.bar(list(bars), list(bars.values()), color=["tab:green", "tab:grey", "tab:green", "tab:purple"])
    ax.set(ylabel="chunks/s", title="Ingestion throughput")
    ax = axes[1][1]
    local = _sizes(result, "qdrant_client_local")
    if local:
        size, entry = local[0]
        x = range(len(MODES))
        engines = (("Qdrant Edge", entry["engine"]), ("qdrant-client local", entry["qdrant_client_local"]["engine"]))
        for offset, (label, source) in zip((-0.2, 0.2), engines, strict=True):
            ax.bar([i + offset for i in x], [source[m]["filtered"]["p50_ms"] for m in MODES], width=0.4,
                   label=label)
        ax.set(yscale="log", xticks=list(x), xticklabels=list(MODES), ylabel="p50 ms (filtered)",
               title=f"Embedded engines at {size:,} chunks")
        ax.legend(fontsize=7)
    fig.suptitle(f"make bench, {result['date'][:10]}, {result['machine']['cpus']} CPUs, encoder {result['encoder']}")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


def write_report(result: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    plot(result, out.with_suffix(".png"))


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "results/bench/bench.json")
    write_report(json.loads(path.read_text(encoding="utf-8")), path)
