"""The real-scale benchmark's helpers: --limit takes whole projects (every row of a CUP) and only their locations;
progress counts stored originals, not the partial files written before the atomic rename."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_real_scale import stored_count, subset


def test_limit_keeps_whole_projects_in_file_order_and_their_locations(tmp_path: Path) -> None:
    projects = pd.DataFrame({"CUP": ["J11B2100", "b22c2200", "J11B2100", "C33D2300", "D44E2400"],
                             "Titolo progetto": ["scuola", "piazza", "scuola (seconda misura)", "ponte", "asilo"]})
    locations = pd.DataFrame({"CUP": ["D44E2400", "J11B2100", "B22C2200", "X99Z9900"],
                              "COD_ISTAT_COMUNE": ["001001", "015146", "097001", "058091"]})
    projects.to_parquet(tmp_path / "progetti.parquet", engine="fastparquet", index=False)
    locations.to_parquet(tmp_path / "localizzazioni.parquet", engine="fastparquet", index=False)

    chosen, located = subset(tmp_path / "progetti.parquet", tmp_path / "localizzazioni.parquet", 2, tmp_path / "cut")

    assert chosen.parent == tmp_path / "cut" and located is not None
    rows = pd.read_parquet(chosen, engine="fastparquet")
    assert rows["Titolo progetto"].tolist() == ["scuola", "piazza", "scuola (seconda misura)"]
    assert sorted(pd.read_parquet(located, engine="fastparquet")["COD_ISTAT_COMUNE"]) == ["015146", "097001"]


def test_without_locations_only_the_projects_are_cut(tmp_path: Path) -> None:
    pd.DataFrame({"CUP": ["A1", "B2", "C3"]}).to_parquet(tmp_path / "p.parquet", engine="fastparquet", index=False)
    chosen, located = subset(tmp_path / "p.parquet", None, 5, tmp_path / "cut")
    assert located is None
    assert pd.read_parquet(chosen, engine="fastparquet")["CUP"].tolist() == ["A1", "B2", "C3"]


def test_progress_counts_stored_originals_not_partial_writes(tmp_path: Path) -> None:
    assert stored_count(tmp_path / "files") == 0  # nothing stored yet: no folder
    files = tmp_path / "files"
    files.mkdir()
    for name in ("pnrr-j11b2100.md", "pnrr-b22c2200.md", ".pnrr-c33d2300.md.partial"):
        (files / name).write_text("# progetto\n", encoding="utf-8")
    assert stored_count(files) == 2
