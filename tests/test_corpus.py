"""The sample knowledge base: counts per type, valid metadata, SDG coverage, coherent calls, shipped formats."""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from kb.storage.filters import BandoStatus, bando_status
from kb.storage.schema import DocumentMetadata
from tests.conftest import REPO

REFERENCE_DATE = dt.date(2026, 11, 24)  # written in corpus/README.md
TYPE_FOLDERS = {"buone_pratiche": "buona_pratica", "progetti": "progetto", "normativa": "normativa",
                "bandi": "bando"}
ENGLISH_PRACTICES = ("energy-community-school-roofs-kirchfeld-an-der-aist", "pay-as-you-throw-door-to-door-lindebeke",
                     "school-streets-dunmarnock")


def _build_module() -> Any:
    spec = importlib.util.spec_from_file_location("corpus_build", REPO / "corpus" / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = _build_module()
SOURCES = BUILD.load_sources()
METAS = {s.slug: DocumentMetadata.model_validate(s.meta) for s in SOURCES}


def test_counts_per_type() -> None:
    counts = Counter(m.doc_type.value for m in METAS.values())
    assert len(METAS) >= 80
    assert counts["buona_pratica"] >= 30
    assert counts["progetto"] >= 15 and counts["normativa"] >= 15 and counts["bando"] >= 15


def test_every_source_sits_in_the_folder_of_its_type() -> None:
    for source in SOURCES:
        assert TYPE_FOLDERS[source.folder] == METAS[source.slug].doc_type.value, source.slug


@pytest.mark.parametrize("slug", sorted(METAS))
def test_required_metadata(slug: str) -> None:
    meta = METAS[slug]
    assert meta.title and meta.summary and meta.sdg and meta.themes and meta.year and meta.date, slug
    if meta.doc_type.value in ("buona_pratica", "progetto"):
        assert meta.comune and meta.popolazione, slug
        # provincia and regione are Italian: a practice from a town abroad (in English) has neither
        assert bool(meta.provincia and meta.regione) == (meta.language == "it"), slug
        assert meta.illustrativo is True, "experiences and projects are composites about fictional comuni"
    if meta.doc_type.value == "normativa":
        assert meta.level and meta.reference and meta.act_date and meta.in_force is not None, slug
        assert meta.illustrativo is False, "regulations are real acts"
        assert (meta.level.value == "regionale") == bool(meta.regione), slug
    if meta.doc_type.value == "bando":
        assert meta.issuer and meta.opening_date and meta.deadline and meta.budget and meta.beneficiaries, slug
        assert meta.date is not None and meta.date <= meta.opening_date < meta.deadline, slug
        assert meta.year == meta.deadline.year, slug


def test_three_english_practices_for_cross_lingual_search() -> None:
    """tests/search/test_cross_lingual.py looks for these with Italian questions; each says it is illustrative."""
    english = {slug for slug, m in METAS.items() if m.language != "it"}
    assert english == set(ENGLISH_PRACTICES)
    for slug in english:
        assert METAS[slug].language == "en" and METAS[slug].doc_type.value == "buona_pratica", slug
        body = next(s.body for s in SOURCES if s.slug == slug)
        assert "Illustrative document" in body and "fictional" in body, slug


def test_all_seventeen_sdgs_are_covered() -> None:
    assert set().union(*(m.sdg for m in METAS.values())) == set(range(1, 18))


def test_calls_are_open_forthcoming_and_closed_on_the_reference_date() -> None:
    statuses = Counter(bando_status(m.opening_date, m.deadline, REFERENCE_DATE)
                       for m in METAS.values() if m.doc_type.value == "bando")
    assert statuses[BandoStatus.aperto] >= 3
    assert statuses[BandoStatus.in_arrivo] >= 3
    assert statuses[BandoStatus.scaduto] >= 3


def test_comuni_of_every_size_and_lombardy_and_elsewhere() -> None:
    practices = [m for m in METAS.values() if m.doc_type.value == "buona_pratica"]
    populations = [m.popolazione or 0 for m in practices]
    assert min(populations) < 1000 and max(populations) > 200_000
    regions = Counter(m.regione for m in practices)
    assert regions["Lombardia"] >= 10 and len(regions) >= 5
    assert len({m.comune for m in METAS.values() if m.comune}) == len([m for m in METAS.values() if m.comune])


def test_repealed_acts_are_marked() -> None:
    repealed = {m.reference for m in METAS.values() if m.doc_type.value == "normativa" and m.in_force is False}
    assert {"Direttiva 2009/28/CE", "D.Lgs. 50/2016"} <= repealed


def test_shipped_files_match_sources_and_formats() -> None:
    formats = BUILD.load_formats()
    seen = Counter()
    for source in SOURCES:
        fmt = BUILD.choose_format(source.slug, formats)
        seen[fmt] += 1
        out = REPO / "corpus" / source.folder / BUILD.output_name(source.slug, fmt)
        assert out.exists(), f"{out} missing: run `make corpus`"
        if fmt == "md":
            assert out.read_bytes() == source.raw
        else:
            sidecar = out.with_name(out.name + ".meta.yaml")
            assert yaml.safe_load(sidecar.read_text(encoding="utf-8")) == source.meta
    assert {"md", "pdf", "pdf-scan", "docx", "odt", "html"} <= set(seen)
    assert seen["pdf-scan"] >= 1


def test_no_stray_files_in_type_folders() -> None:
    formats = BUILD.load_formats()
    expected = {REPO / "corpus" / s.folder / BUILD.output_name(s.slug, BUILD.choose_format(s.slug, formats))
                for s in SOURCES}
    shipped = {p for folder in TYPE_FOLDERS for p in (REPO / "corpus" / folder).iterdir()
               if not p.name.endswith(".meta.yaml")}
    assert shipped == expected


def test_sources_folder_is_not_ingested() -> None:
    from ingest.formats import discover

    files, _ = discover([REPO / "corpus" / folder for folder in TYPE_FOLDERS])  # what `make index` ingests
    assert files and not any("_sources" in p.parts for p in files)
    assert len(files) == len(SOURCES)
    assert all(isinstance(p, Path) for p in files)
