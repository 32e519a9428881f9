"""`kb import`: public open data as documents (PNRR projects and calls, PA digitale 2026 calls)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from kb.settings import get_settings

if TYPE_CHECKING:
    from ingest.importers.records import ImportSummary, Record, RowProblem

import_app = typer.Typer(help="Importa dati aperti pubblici come documenti della base (progetti e bandi PNRR, avvisi "
                              "PA digitale 2026).", no_args_is_help=True)

Prune = Annotated[bool, typer.Option("--prune", help="Rimuovere i documenti che il rilascio non elenca più "
                                                     "(altrimenti sono solo segnalati)")]
AsJson = Annotated[bool, typer.Option("--json", help="Riepilogo in JSON")]
Download = Annotated[bool, typer.Option("--download", help="Scaricare il rilascio corrente dal portale (serve la "
                                                           "rete; riprende un download interrotto)")]
Release = Annotated[str | None, typer.Option("--rilascio", help="Data del rilascio (AAAA-MM-GG), se il file non la "
                                                                "indica")]
Mapping = Annotated[Path | None, typer.Option("--mappatura", help="Mappatura PNRR -> Agenda 2030 di Italia Domani "
                                                                  "(predefinita: quella inclusa)")]


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.secho(f"Errore: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _release(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        _fail(f"--rilascio vuole una data AAAA-MM-GG, non {value!r}")


def _downloaded(kind: str, as_json: bool) -> list[Path]:
    from ingest.importers.download import DownloadError, fetch_release

    try:
        results = fetch_release(kind, get_settings())
    except DownloadError as exc:
        _fail(f"{exc.message} ({exc.url})", 4)
    for result in results:
        if not as_json:
            state = "invariato" if result.unchanged else ("ripreso e completato" if result.resumed else "scaricato")
            typer.echo(f"{result.path.name}: {state}, {result.size:,} byte, sha256 {result.sha256[:16]}…",
                       err=True)
    return [r.path for r in results]


def _mapping(path: Path | None) -> Any:
    from ingest.errors import IngestError
    from ingest.importers.releases import shipped_mapping
    from ingest.importers.sdg_mapping import load_mapping

    try:
        return load_mapping(path) if path is not None else shipped_mapping()
    except IngestError as exc:
        _fail(f"{exc.source}: {exc.message}")


def _run(dataset: str, source: Path, read: Callable[[], tuple[list[Record | RowProblem], dt.date | None]],
         prune: bool, as_json: bool) -> None:
    from tqdm import tqdm

    from ingest.errors import IngestError
    from ingest.importers.runner import run_import
    from kb.storage.backends.base import IndexUnavailableError
    from runtime import build_runtime

    try:
        items, release = read()
    except IngestError as exc:
        _fail(f"{exc.source}: {exc.message}")
    try:
        runtime = build_runtime(get_settings(), load_model=True)
    except IndexUnavailableError as exc:
        _fail(str(exc), 3)

    def progress(records: Iterator[Record]) -> Iterator[Record]:
        listed = list(records)
        return iter(tqdm(listed, desc=f"Importazione {dataset}", unit="record", disable=as_json, file=sys.stderr))

    try:
        summary = run_import(runtime.ingest_service(), dataset, source, items, release=release, prune=prune,
                             progress=progress)
        runtime.backend.optimize()
    finally:
        runtime.close()
    _report(summary, as_json)


def _report(summary: ImportSummary, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
        return
    c = summary.counts()
    release = f", rilascio del {summary.release:%d/%m/%Y}" if summary.release else ""
    typer.echo(f"{summary.dataset}{release} (sha256 {summary.sha256[:16]}…, {summary.seconds:.0f} s)")
    typer.echo(f"Nuovi: {c['nuovi']}  modificati: {c['modificati']}  invariati: {c['invariati']}  "
               f"assenti dal rilascio: {c['assenti_dal_rilascio']}  rimossi: {c['rimossi']}  "
               f"righe scartate: {c['righe_scartate']}")
    if summary.missing and not summary.pruned:
        typer.echo(f"  {len(summary.missing)} documenti non sono più nel rilascio: restano indicizzati; "
                   "--prune per rimuoverli")
    for problem in summary.problems[:50]:
        typer.echo(f"  [scartata] riga {problem['line']}: {problem['message']}")
    if len(summary.problems) > 50:
        typer.echo(f"  … e altre {len(summary.problems) - 50} righe (--json per l'elenco completo)")


@import_app.command("pnrr-progetti")
def pnrr_progetti(
    progetti: Annotated[Path | None, typer.Argument(help="Progetti PNRR (CSV del portale o Parquet)")] = None,
    localizzazioni: Annotated[Path | None, typer.Option(help="Localizzazioni dei progetti (CSV o Parquet)")] = None,
    mappatura: Mapping = None, rilascio: Release = None, download: Download = False, prune: Prune = False,
    as_json: AsJson = False,
) -> None:
    """Progetti PNRR di Italia Domani: un documento per CUP, con comune, importi e SDG della misura."""
    from ingest.importers.releases import PROJECTS, read_release

    if download:
        progetti, localizzazioni = _downloaded(PROJECTS, as_json)
    if progetti is None:
        _fail("indicare il file dei progetti, oppure --download")
    mapping, source = _mapping(mappatura), progetti
    _run(PROJECTS, source, lambda: read_release(PROJECTS, source, get_settings(), locations=localizzazioni,
                                                mapping=mapping, release=_release(rilascio)), prune, as_json)


def _calls(kind: str, file: Path | None, mappatura: Path | None, rilascio: str | None, download: bool, prune: bool,
           as_json: bool) -> None:
    from ingest.importers.releases import read_release

    if download:
        file = _downloaded(kind, as_json)[0]
    if file is None:
        _fail("indicare il file dei bandi, oppure --download")
    mapping, source = _mapping(mappatura), file
    _run(kind, source, lambda: read_release(kind, source, get_settings(), mapping=mapping,
                                            release=_release(rilascio)), prune, as_json)


@import_app.command("pnrr-bandi")
def pnrr_bandi(
    bandi: Annotated[Path | None, typer.Argument(help="Bandi e avvisi PNRR di Italia Domani (CSV)")] = None,
    mappatura: Mapping = None, rilascio: Release = None, download: Download = False, prune: Prune = False,
    as_json: AsJson = False,
) -> None:
    """Bandi e avvisi PNRR: date, destinatari, dotazione, link; lo stato è calcolato dalle date."""
    _calls("pnrr-bandi", bandi, mappatura, rilascio, download, prune, as_json)


@import_app.command("padigitale-avvisi")
def padigitale_avvisi(
    avvisi: Annotated[Path | None, typer.Argument(help="Avvisi PA digitale 2026 (JSON o CSV)")] = None,
    mappatura: Mapping = None, rilascio: Release = None, download: Download = False, prune: Prune = False,
    as_json: AsJson = False,
) -> None:
    """Avvisi PA digitale 2026 per gli enti pubblici (dati CC BY 4.0)."""
    _calls("padigitale-avvisi", avvisi, mappatura, rilascio, download, prune, as_json)
