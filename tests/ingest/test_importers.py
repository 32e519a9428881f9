"""`kb import` on excerpts of the real open data (tests/fixtures/open_data, cut by its make_excerpts.py).

The three layouts of Italia Domani's projects, the ISTAT join, the declared SDGs, legible titles, malformed rows
reported by line, re-import as a no-op, a changed record, missing records kept or pruned; the two call sources.
Plumbing: the deterministic fake embedder on a real Edge shard (the `service` fixture).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from qdrant_client import models

from ingest.enrich.gazetteer import load_gazetteer
from ingest.importers.calls import PADIGITALE_CALLS, PNRR_CALLS, beneficiaries, read_calls
from ingest.importers.pnrr_projects import read_locations, read_projects
from ingest.importers.records import Record, RowProblem
from ingest.importers.runner import run_import
from ingest.importers.sdg_mapping import load_mapping
from ingest.importers.tables import column_key, parse_amount
from ingest.service import IngestService
from kb.search.facets import status_of
from tests.conftest import REPO

DATA = REPO / "tests" / "fixtures" / "open_data"
MAPPING = load_mapping(REPO / "kb" / "data" / "pnrr_sdg_mapping.csv")
URL = "https://www.opencup.gov.it/portale/progetto/-/cup/{cup}"


def projects(name: str, locations: str | None = "localizzazioni_validate.parquet",
             folder: Path = DATA) -> tuple[list[Record | RowProblem], dt.date | None]:
    gazetteer = load_gazetteer()
    located = read_locations(DATA / locations, gazetteer) if locations else None
    return read_projects(folder / name, MAPPING, gazetteer, locations=located, project_url=URL)


def records(items: list[Record | RowProblem]) -> dict[str, Record]:
    return {r.key: r for r in items if isinstance(r, Record)}


def count(service: IngestService, doc_id: str) -> int:
    return int(service.backend.count(models.Filter(must=[
        models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))])))


def test_column_names_and_amounts_as_the_portals_write_them() -> None:
    assert column_key("CUP ") == "cup" and column_key("FINANZIAMENTO _UE") == "finanziamento ue"
    assert column_key("Destinatari del Bando o dell’Avviso") == column_key("destinatari del bando o dell'avviso")
    assert parse_amount("114.000.000") == 114_000_000 and parse_amount("1.234,56") == 1234.56
    assert parse_amount("42576.0") == 42576.0 and parse_amount(None) is None
    with pytest.raises(ValueError):
        parse_amount("circa mille")


def test_the_parquet_release_and_the_current_csv_layout_give_the_same_projects() -> None:
    parquet, release = projects("progetti_validati.parquet")
    current, _ = projects("progetti_2026.csv")
    assert release == dt.date(2023, 2, 28)
    a, b = records(parquet), records(current)
    assert len(a) == 8 and a.keys() == b.keys()
    for cup in a:
        for field in ("title", "comune", "regione", "popolazione", "sdg", "misura", "soggetto_attuatore"):
            assert a[cup].metadata[field] == b[cup].metadata[field], (cup, field)
        assert a[cup].metadata["importo_pnrr"] == pytest.approx(b[cup].metadata["importo_pnrr"], abs=0.01)


def test_the_first_csv_release_with_its_own_conventions() -> None:
    items, release = projects("PNRR_Progetti.csv", "PNRR_Localizzazione.csv")
    found = records(items)
    assert release is None and len(found) == 6
    hub = found["J51B21002940006"]  # "SEGRETARIATO GENERALE*VIA DI VILLA ADA 55 ROMA*HUB TURISMO DIGITALE"
    assert hub.metadata["title"] == "Segretariato generale – Hub turismo digitale"
    assert hub.metadata["titolo_originale"].startswith("SEGRETARIATO GENERALE*")
    assert hub.metadata["importo_pnrr"] == 114_000_000  # "114.000.000"
    assert "comune" not in hub.metadata or hub.metadata.get("comune") is None  # national scope ("000")
    assert found["E91B21008390006"].metadata["comune"] == "Romano d'Ezzelino"  # codes 024 + 086 -> ISTAT 024086


def test_the_istat_join_gives_comune_province_region_and_legal_population() -> None:
    found = records(projects("progetti_validati.parquet")[0])
    genova = found["B31E20000230001"].metadata
    assert (genova["comune"], genova["provincia"], genova["regione"], genova["popolazione"]) == \
        ("Genova", "Genova", "Liguria", 586_180)  # ISTAT, legal population 2011
    several = found["J21B22001280006"].metadata  # located in several comuni: the implementing one is "its" comune
    assert len(several["localizzazioni"]) > 1 and several["comune"] == "Sant'Agata di Militello"
    assert "Genova" in found["B31E20000230001"].text and "173.728.288 €" in found["B31E20000230001"].text


def test_without_locations_an_implementing_comune_is_found_by_name() -> None:
    found = records(projects("progetti_validati.parquet", locations=None)[0])
    assert found["H35H22001200006"].metadata["comune"] == "Paterno Calabro"  # "COMUNE DI PATERNO CALABRO"


def test_sdgs_are_the_portal_mapping_of_the_submeasure() -> None:
    for record in records(projects("progetti_validati.parquet")[0]).values():
        goals = MAPPING.for_code(record.metadata["submisure"][0])
        assert goals is not None
        assert record.metadata["sdg"] == goals.declared()
        assert record.metadata["sdg_prevalente"] == int(goals.main)
    official = load_mapping(REPO / "tests" / "fixtures" / "pnrr" / "Mappatura_PNRR_SNSvS_Agenda2030_v2.csv")
    for code, goals in official.by_code.items():  # the shipped compact copy says what the published file says
        assert MAPPING.for_code(code) == goals


def test_a_malformed_row_is_reported_with_its_line_and_the_rest_is_imported(tmp_path: Path,
                                                                           service: IngestService) -> None:
    lines = (DATA / "PNRR_Progetti.csv").read_text(encoding="utf-8-sig").splitlines()
    broken = lines[3].split(";")
    broken[25] = "centoventi euro"  # FINANZIAMENTO_PNRR
    lines[3] = ";".join(broken)
    lines.insert(5, "PNRR;M1;riga;troncata")
    (tmp_path / "progetti.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    items, release = projects("progetti.csv", None, folder=tmp_path)
    problems = [i for i in items if isinstance(i, RowProblem)]
    assert [(p.line, p.key) for p in problems] == [(4, "E61B21008510006"), (6, None)]
    assert "centoventi euro" in problems[0].message and "campi" in problems[1].message
    summary = run_import(service, "pnrr-progetti", tmp_path / "progetti.csv", items, release=release)
    assert len(summary.new) == 5 and [p["line"] for p in summary.problems] == [4, 6]


def test_reimport_is_a_noop_a_change_updates_one_record_and_missing_ones_are_pruned_on_request(
        tmp_path: Path, service: IngestService) -> None:
    source = tmp_path / "progetti_2026.csv"
    shutil.copyfile(DATA / "progetti_2026.csv", source)
    first = run_import(service, "pnrr-progetti", source, projects("progetti_2026.csv", folder=DATA)[0],
                       release=dt.date(2023, 2, 28))
    assert len(first.new) == 8 and first.chunks_written > 0
    again = run_import(service, "pnrr-progetti", source, projects("progetti_2026.csv")[0],
                       release=dt.date(2026, 6, 13))  # a newer release with the same records
    assert (len(again.unchanged), again.new, again.changed, again.chunks_written) == (8, [], [], 0)

    text = source.read_text(encoding="utf-8-sig")
    source.write_text(text.replace("ASSI DI FORZA TRASPORTO PUBBLICO", "ASSI DI FORZA DEL TRASPORTO PUBBLICO"),
                      encoding="utf-8-sig")
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    without = [line for line in lines if "E66C22000260006" not in line]  # Canischio left out of the release
    source.write_text("\n".join(without) + "\n", encoding="utf-8-sig")
    newer = run_import(service, "pnrr-progetti", source, projects("progetti_2026.csv", folder=tmp_path)[0],
                       release=dt.date(2026, 6, 13))
    assert newer.changed == ["B31E20000230001"] and len(newer.unchanged) == 6
    assert newer.missing == ["pnrr-e66c22000260006"] and newer.pruned == []
    assert count(service, "pnrr-e66c22000260006") > 0, "never deleted silently"
    hit = service.backend.scroll(models.Filter(must=[models.FieldCondition(
        key="doc_id", match=models.MatchValue(value="pnrr-b31e20000230001"))]), limit=1)[0][0].payload
    assert hit["fonte_rilascio"] == "2026-06-13" and hit["dataset"] == "pnrr-progetti"
    assert hit["url_fonte"] == URL.format(cup="B31E20000230001") and hit["source"].startswith("progetti_2026.csv")

    pruned = run_import(service, "pnrr-progetti", source, projects("progetti_2026.csv", folder=tmp_path)[0],
                        release=dt.date(2026, 6, 13), prune=True)
    assert pruned.pruned == ["pnrr-e66c22000260006"] and count(service, "pnrr-e66c22000260006") == 0
    assert len(pruned.unchanged) == 7


def test_pnrr_calls_one_document_per_call_status_from_the_clock() -> None:
    items, release = read_calls(DATA / "bandi.csv", PNRR_CALLS, MAPPING)
    calls = [i for i in items if isinstance(i, Record)]
    assert release is not None and not [i for i in items if isinstance(i, RowProblem)]
    hydrogen = [c for c in calls if "IDROGENO" in c.key]
    assert len(hydrogen) == 1, "one call listed under two submeasures is one document"
    assert len(hydrogen[0].metadata["submisure"]) == 2 and hydrogen[0].metadata["budget"] == 700_000_000
    lot2 = [c for c in calls if "Lotto 2. Liguria" in c.key]
    assert len(lot2) == 2 and len({c.doc_id for c in lot2}) == 2, "a reissued call is another call"
    for call in calls:
        payload = {"doc_type": "bando", "opening_date": str(call.metadata["opening_date"]),
                   "deadline": str(call.metadata["deadline"]) if call.metadata["deadline"] else None}
        assert status_of(payload, dt.date(2026, 12, 3)) == ("scaduto" if call.metadata["deadline"] else "aperto")
        assert call.metadata["stato_fonte"] and "rilevato il" in call.metadata["stato_fonte"]
    mense = next(c for c in calls if "mense" in c.key)
    assert "comuni" in mense.metadata["beneficiaries"]  # "Enti locali"
    assert mense.metadata["url_fonte"] == "https://pnrr.istruzione.it/avviso/mense/"


def test_padigitale_calls_and_their_goals(service: IngestService) -> None:
    items, _ = read_calls(DATA / "avvisi.json", PADIGITALE_CALLS, MAPPING)
    calls = records(items)
    assert len(calls) == 5
    cloud = next(c for c in calls.values() if c.metadata["title"].startswith("1.2 Abilitazione al Cloud - Comuni"))
    assert cloud.metadata["beneficiaries"] == ["comuni"] and cloud.metadata["sdg"] == [16]
    assert beneficiaries("Province;Citta Metropolitane") == ["citta_metropolitane", "province"]
    summary = run_import(service, "padigitale-avvisi", DATA / "avvisi.json", items, release=None)
    assert len(summary.new) == 5 and summary.sha256 and json.dumps(summary.as_dict())


def test_an_unknown_table_is_refused_with_the_missing_columns(tmp_path: Path) -> None:
    from ingest.errors import IngestError

    (tmp_path / "altro.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(IngestError, match="mancano le colonne CUP"):
        projects("altro.csv", None, folder=tmp_path)
