"""`kb`: the command line of the knowledge base (ingest, reembed, delete, stats, search, serve, migrate, eval)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from cli.imports import import_app
from evaluation.cli import eval_app
from kb.settings import Settings, get_settings

if TYPE_CHECKING:
    from runtime import Runtime

app = typer.Typer(help="Base di conoscenza dei comuni sostenibili: indicizzazione e ricerca.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
app.add_typer(eval_app, name="eval")
app.add_typer(import_app, name="import")


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.secho(f"Errore: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _open(settings: Settings, load_model: bool) -> Runtime:
    """Model, index and engine as the settings describe them; the model is loaded only to create, embed or search
    semantically."""
    from kb.storage.backends.base import IndexUnavailableError
    from runtime import build_runtime

    try:
        return build_runtime(settings, load_model=load_model)
    except IndexUnavailableError as exc:
        _fail(str(exc), 3)


def _parse_meta(pairs: list[str]) -> dict[str, Any]:
    import yaml

    meta: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            _fail(f"--meta vuole chiave=valore, non {pair!r}")
        key, value = pair.split("=", 1)
        meta[key.strip()] = yaml.safe_load(value)
    return meta


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="File o cartelle da indicizzare")],
    doc_type: Annotated[str | None, typer.Option(help="Tipo per i file che non lo dichiarano (altrimenti è dedotto "
                                                      "dal testo)")] = None,
    meta: Annotated[list[str] | None, typer.Option(help="Metadati chiave=valore per tutti i file (ripetibile)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Riepilogo in JSON")] = False,
) -> None:
    """Indicizza file (PDF, DOCX, ODT, HTML, Markdown, testo) e cartelle."""
    from tqdm import tqdm

    runtime = _open(get_settings(), load_model=True)
    overrides = _parse_meta(meta or [])
    report = runtime.ingest_service().ingest_paths(
        paths, overrides or None,
        progress=lambda it: tqdm(list(it), desc="Indicizzazione", unit="file", disable=as_json, file=sys.stderr),
        defaults={"doc_type": doc_type} if doc_type else None)
    runtime.backend.optimize()
    runtime.close()
    if as_json:
        typer.echo(json.dumps({"summary": report.summary(), "files": [o.__dict__ for o in report.outcomes]},
                              ensure_ascii=False, indent=2))
    else:
        s = report.summary()
        typer.echo(f"Indicizzati: {s['indexed']}  invariati: {s['unchanged']}  duplicati: {s['duplicate']}  "
                   f"scartati: {s['skipped']}")
        for o in report.outcomes:
            if o.status in ("duplicate", "skipped"):
                typer.echo(f"  [{o.status}] {o.source}: {o.message} ({o.code})")
            for warning in o.warnings:
                typer.echo(f"  [avviso] {o.source}: {warning}")
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def reembed(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Frammenti per lotto")] = 256,
    if_needed: Annotated[bool, typer.Option("--if-needed", help="Nessun errore se l'indice non esiste")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Riepilogo in JSON")] = False,
) -> None:
    """Ricalcola i vettori dell'indice con il modello configurato (KB_MODEL) e l'analizzatore del testo di questa
    versione, dai testi già indicizzati.

    Serve dopo un cambio di modello o di analizzatore: non rilegge i file né ripete l'OCR. Se interrotto, riprende
    da dove si era fermato."""
    from tqdm import tqdm

    from ingest.reembed import reembed as reembed_index
    from kb.models.factory import embedder_from_settings
    from kb.storage.backends.base import IndexMissingError, IndexUnavailableError
    from kb.storage.factory import open_backend

    settings = get_settings()
    try:
        backend = open_backend(settings, None, any_model=True)
    except IndexMissingError as exc:
        if if_needed:  # no index yet: nothing to re-embed
            return
        _fail(str(exc), 3)
    except IndexUnavailableError as exc:
        _fail(str(exc), 3)
    bar = tqdm(desc=f"Ricalcolo vettori ({settings.model})", unit="frammenti", disable=as_json, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        report = reembed_index(backend, embedder_from_settings(settings), batch_size=batch_size, progress=progress)
    except IndexUnavailableError as exc:
        _fail(str(exc), 3)
    finally:
        bar.close()
        backend.close()
    if as_json:
        typer.echo(json.dumps(report.__dict__, ensure_ascii=False, indent=2))
    elif report.up_to_date:
        typer.echo(f"L'indice usa già il modello {report.target!r}: niente da ricalcolare.")
    else:
        resumed = " (ripreso da un'esecuzione interrotta)" if report.resumed else ""
        what = " e ".join(w for w, on in (("semantici", report.dense), ("lessicali", report.sparse)) if on)
        typer.echo(f"Ricalcolati {report.chunks} frammenti (vettori {what}): da {report.source!r} a "
                   f"{report.target!r}{resumed}.")


@app.command()
def delete(doc_id: Annotated[str, typer.Argument(help="Identificativo del documento")]) -> None:
    """Elimina un documento e tutti i suoi frammenti."""
    from ingest.service import IngestService

    settings = get_settings()
    runtime = _open(settings, load_model=False)
    removed = IngestService(runtime.backend, runtime.embedder, files_path=settings.files_path).delete(doc_id)
    runtime.close()
    if not removed:
        _fail(f"nessun documento con id {doc_id!r}", 1)
    typer.echo(f"Eliminato {doc_id}: {removed} frammenti.")


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Numero di documenti e frammenti, per tipo, e il modello con cui l'indice è stato costruito."""
    from qdrant_client import models

    runtime = _open(get_settings(), load_model=False)
    backend = runtime.backend
    chunks = backend.count()
    per_type: dict[str, int] = {}
    for value, _count in backend.facet("doc_type", None, 10):
        flt = models.Filter(must=[models.FieldCondition(key="doc_type", match=models.MatchValue(value=value))])
        per_type[str(value)] = len(backend.facet("doc_id", flt, 10_000_000))
    per_dataset: dict[str, int] = {}  # imported open data (kb import), by dataset
    for value, _count in backend.facet("dataset", None, 50):
        flt = models.Filter(must=[models.FieldCondition(key="dataset", match=models.MatchValue(value=value))])
        per_dataset[str(value)] = len(backend.facet("doc_id", flt, 10_000_000))
    model = backend.model_record().get("model")
    runtime.close()
    data = {"documents": sum(per_type.values()), "chunks": chunks, "documents_per_type": per_type,
            "documents_per_dataset": per_dataset, "model": model}
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        typer.echo(f"Documenti: {data['documents']}  frammenti: {chunks}  modello: {model or 'non registrato'}")
        for name, count in sorted(per_type.items()):
            typer.echo(f"  {name}: {count}")
        if per_dataset:
            typer.echo("Di cui importati da dati aperti (kb import):")
            for name, count in sorted(per_dataset.items()):
                typer.echo(f"  {name}: {count}")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Domanda o parole chiave, in italiano")],
    mode: Annotated[str, typer.Option(help="hybrid | lexical | semantic")] = "hybrid",
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    doc_type: Annotated[list[str] | None, typer.Option(help="buona_pratica, progetto, normativa, bando")] = None,
    regione: Annotated[list[str] | None, typer.Option()] = None,
    sdg: Annotated[list[int] | None, typer.Option(min=1, max=17)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Risultati in JSON")] = False,
) -> None:
    """Cerca nella base di conoscenza; un risultato per documento, con le pagine citate."""
    from pydantic import ValidationError

    from kb.search import Mode, SearchFilters, SearchRequest

    try:
        chosen = Mode(mode)
        filters = SearchFilters.model_validate({"doc_type": doc_type or [], "regione": regione or [],
                                                "sdg": sdg or []})
    except (ValueError, ValidationError) as exc:
        _fail(f"parametri non validi: {exc}")
    runtime = _open(get_settings(), load_model=chosen is not Mode.lexical)
    try:
        page = runtime.engine.search(SearchRequest(query, chosen, filters, limit=limit, facets=False))  # none shown
    finally:
        runtime.close()
    rows = [{"doc_id": d.doc_id, "title": d.payload.get("title"), "doc_type": d.payload.get("doc_type"),
             "score": round(d.score, 4), "source": d.payload.get("source"), "pages": d.pages,
             "section": d.passages[0].payload.get("section") if d.passages else None,
             "text": d.passages[0].payload.get("text") if d.passages else None} for d in page.documents]
    if as_json:
        typer.echo(json.dumps({"query": query, "mode": chosen.value, "total": page.total,
                               "interpreted": page.interpreted, "hits": rows}, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("Nessun risultato.")
    for rank, (row, doc) in enumerate(zip(rows, page.documents, strict=True), 1):
        pages = f", p. {'-'.join(map(str, doc.pages))}" if doc.pages else ""
        typer.echo(f"{rank}. {row['title']} [{row['doc_type']}] ({row['source']}{pages})  {row['score']:.3f}")
        typer.echo(f"   {str(row['text'])[:200]}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Indirizzo (predefinito KB_HOST)")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Porta (predefinita KB_PORT)")] = None,
) -> None:
    """Avvia l'API di ricerca e l'interfaccia web (modello e indice caricati una volta sola)."""
    import uvicorn

    from search_api.app import create_app
    from search_api.observability import configure_logging
    from search_api.server import server_config

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    uvicorn.Server(server_config(create_app(settings), settings, host, port)).run()


@app.command()
def migrate(
    to: Annotated[str, typer.Option("--to", help="Server Qdrant di destinazione, es. http://localhost:6333")],
    source: Annotated[Path | None, typer.Option("--from", help="Indice Edge da copiare (predefinito KB_INDEX_PATH)")]
    = None,
    collection: Annotated[str | None, typer.Option(help="Collezione di destinazione (predefinita KB_COLLECTION)")]
    = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Frammenti per lotto")] = 256,
    sample: Annotated[int, typer.Option(min=0, max=1000, help="Ricerche di controllo dopo la copia")] = 20,
    restart: Annotated[bool, typer.Option(help="Ignora il punto di ripresa e copia dall'inizio")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Esito in JSON")] = False,
) -> None:
    """Copia l'indice incorporato (Edge) in un server o cluster Qdrant; riprende da dove si era interrotta."""
    from dataclasses import asdict

    from tqdm import tqdm

    from kb.storage.backends.base import IndexUnavailableError
    from kb.storage.backends.edge import EdgeBackend
    from kb.storage.backends.server import ServerBackend
    from kb.storage.migrate import copy_index, verify_copy
    from kb.storage.model_record import ModelMismatchError

    settings = get_settings()
    edge = EdgeBackend(source or settings.index_path, "")  # vectors travel as they are, with their model's name
    try:
        edge.ensure_collection(None)
    except IndexUnavailableError as exc:
        _fail(str(exc), 3)
    target = ServerBackend(to, collection or settings.collection, settings.qdrant_api_key, settings.shard_number,
                           settings.replication_factor, model_name=str(edge.model_record().get("model") or ""))
    try:
        total = edge.count()
        if not as_json:
            typer.echo(f"Copia di {total} frammenti da {edge.path} a {to} (collezione {target.collection}, "
                       f"{settings.shard_number} shard, {settings.replication_factor} copie per shard)")
        with tqdm(total=total, desc="Copia", unit="frammenti", disable=as_json, file=sys.stderr) as bar:
            copied = copy_index(edge, target, batch_size=batch_size, restart=restart, progress=bar.update)
        checked = verify_copy(edge, target, sample=sample)
    except ModelMismatchError as exc:  # to be fixed at the source, not by running the copy again
        _fail(str(exc), 3)
    except IndexUnavailableError as exc:
        _fail(f"{str(exc).rstrip('.')}. Rieseguire lo stesso comando per riprendere la copia.", 3)
    except KeyboardInterrupt:
        _fail("copia interrotta: rieseguire lo stesso comando per riprendere da dove si era fermata.", 130)
    finally:
        edge.close()
        target.close()
    if as_json:
        typer.echo(json.dumps({"copy": asdict(copied), "verify": {**asdict(checked), "ok": checked.ok}},
                              ensure_ascii=False, indent=2))
    else:
        if copied.note:
            typer.echo(f"Nota: {copied.note}.")
        if copied.resumed_at:
            typer.echo(f"Ripresa dopo {copied.resumed_at} frammenti già copiati.")
        typer.echo(f"Copiati {copied.copied} frammenti in {copied.batches} lotti.")
        typer.echo(f"Verifica: {checked.source_count} frammenti nell'origine, {checked.target_count} nella "
                   f"destinazione; {checked.queries - len(checked.mismatches)}/{checked.queries} ricerche di "
                   "controllo con gli stessi risultati.")
        if not checked.sparse_checked:
            typer.echo("Ricerche lessicali non confrontate: con più shard Qdrant calcola l'IDF shard per shard.")
        for mismatch in checked.mismatches:
            typer.echo(f"  [diverso] {mismatch}")
    if not checked.ok:
        _fail("la copia non corrisponde all'origine (vedi sopra).", 1)
    if not as_json:
        typer.echo("Migrazione completata: impostare KB_QDRANT_URL (e KB_BACKEND=server) per usare il server.")
