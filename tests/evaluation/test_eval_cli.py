"""`kb eval`, `kb eval report` and `kb eval failures` end to end on the small BEIR fixture, with the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from kb.models.base import DenseEmbedder
from tests.evaluation.test_beir import MINI

runner = CliRunner()
METRIC_NAMES = ["ndcg@10", "mrr@10", "recall@1", "recall@10", "recall@100", "success@1"]


@pytest.mark.slow
def test_eval_then_report_then_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        real_embedder: DenseEmbedder) -> None:
    # The CLI builds its embedder from the settings; hand it the session's already loaded model instead.
    monkeypatch.setattr("kb.models.factory.embedder_from_settings", lambda settings: real_embedder)
    out = tmp_path / "eval" / "mini.json"
    result = runner.invoke(app, ["eval", "--dataset", str(MINI), "--out", str(out)])
    assert result.exit_code == 0, result.output

    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data) == ["dataset", "split", "model", "lexical_weight", "modes", "baselines", "queries", "today",
                          "timings"]
    assert (data["dataset"], data["split"], data["queries"]) == ("beir-mini", "test", 8)
    assert list(data["modes"]) == ["lexical", "semantic", "hybrid"] and list(data["baselines"]) == ["bm25s"]
    for metrics in [*data["modes"].values(), *data["baselines"].values()]:
        assert list(metrics) == METRIC_NAMES and all(0.0 <= v <= 1.0 for v in metrics.values())
    for system in (data["modes"]["lexical"], data["modes"]["hybrid"], data["baselines"]["bm25s"]):
        assert system["mrr@10"] >= 0.7, system
    assert data["timings"]["index_s"] > 0

    runs = out.parent / "runs" / "mini"
    for name in ("lexical", "semantic", "hybrid", "bm25s"):
        lines = (runs / f"{name}.trec").read_text(encoding="utf-8").splitlines()
        assert lines, name
        rows = [line.split() for line in lines]
        assert all(len(r) == 6 and r[1] == "Q0" for r in rows)
        assert {r[0] for r in rows} <= {f"q{i}" for i in range(1, 9)}
        q3 = [r for r in rows if r[0] == "q3"]
        assert [int(r[3]) for r in q3] == list(range(1, len(q3) + 1)), "ranks from 1, in order"
    # Run files speak BEIR ids, even where the index needed another doc id.
    assert any(r.split()[2] == "CER:03" for r in (runs / "hybrid.trec").read_text().splitlines())

    report_dir = tmp_path / "report"
    result = runner.invoke(app, ["eval", "report", "--results", str(out.parent), "--out", str(report_dir)])
    assert result.exit_code == 0, result.output
    table = (report_dir / "report.md").read_text(encoding="utf-8")
    assert "## beir-mini (test)" in table and "| bm25s (baseline) |" in table and "| hybrid |" in table
    for png in ("scores.png", "recall.png"):
        assert (report_dir / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    result = runner.invoke(app, ["eval", "failures", "--results", str(out), "--n", "3"])
    assert result.exit_code == 0, result.output
    written = out.with_name("mini-failures-hybrid.md")
    text = written.read_text(encoding="utf-8")
    assert text.count("### ") == 3 and "## hybrid" in text and "Rilevanti:" in text
    assert "# Query peggiori" in result.output


def test_eval_refuses_bad_options(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "--dataset", str(MINI), "--modes", "lexical,magic"])
    assert result.exit_code == 2 and "magic" in result.output
    result = runner.invoke(app, ["eval", "--dataset", str(MINI), "--doc-type", "ricetta"])
    assert result.exit_code == 2 and "ricetta" in result.output
    result = runner.invoke(app, ["eval"])
    assert result.exit_code == 2 and "--dataset" in result.output
    result = runner.invoke(app, ["eval", "failures", "--results", str(tmp_path / "none.json")])
    assert result.exit_code == 2
