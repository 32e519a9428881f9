"""`kb eval`: evaluate retrieval on a BEIR data set, then `kb eval report` and `kb eval failures` on the results.

A sub-app of the `kb` command line so that evaluation runs with the same settings (`KB_*`) as the product.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from evaluation.metrics import METRICS

eval_app = typer.Typer(help="Valutazione della qualità del recupero su dati in formato BEIR.",
                       add_completion=False, pretty_exceptions_enable=False)


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.secho(f"Errore: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _table(results: dict[str, Any]) -> str:
    rows = {**results["modes"], **{f"{k} (baseline)": v for k, v in results["baselines"].items()}}
    lines = ["sistema".ljust(18) + "".join(m.rjust(11) for m in METRICS)]
    lines += [name.ljust(18) + "".join(f"{row[m]:11.3f}" for m in METRICS) for name, row in rows.items()]
    return "\n".join(lines)


@eval_app.callback(invoke_without_command=True)
def evaluate(
    ctx: typer.Context,
    dataset: Annotated[Path | None, typer.Option(help="Cartella in formato BEIR (corpus.jsonl, queries.jsonl, "
                                                      "qrels/)")] = None,
    split: Annotated[str, typer.Option(help="File qrels/<split>.tsv da usare")] = "test",
    modes: Annotated[str, typer.Option(help="Modalità separate da virgole")] = "lexical,semantic,hybrid",
    doc_type: Annotated[str, typer.Option(help="Tipo per i documenti senza doc_type nei metadati")] = "buona_pratica",
    max_queries: Annotated[int | None, typer.Option(min=1, help="Solo le prime N query (prova veloce)")] = None,
    out: Annotated[Path | None, typer.Option(help="JSON dei risultati (default results/eval/<dataset>-<split>"
                                                  ".json)")] = None,
    today: Annotated[str | None, typer.Option(help="Giorno a cui leggere lo stato dei bandi nelle domande (AAAA-MM-GG; "
                                                   "predefinito: reference_date.txt del data set, altrimenti oggi)")]
    = None,
) -> None:
    """Indicizza il corpus in un indice temporaneo, esegue le query in ogni modalità e calcola le metriche."""
    if ctx.invoked_subcommand is not None:
        return
    if dataset is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    from pydantic import ValidationError

    from evaluation.run import evaluate_dataset
    from kb.search import Mode
    from kb.settings import get_settings
    from kb.storage.schema import DocumentMetadata

    chosen = _split_list(modes)
    wrong = [m for m in chosen if m not in Mode.__members__]
    if wrong or not chosen:
        _fail(f"modalità non valide {wrong}: scegliere tra {', '.join(Mode.__members__)}")
    try:
        DocumentMetadata.model_validate({"doc_type": doc_type})
    except ValidationError:
        _fail(f"--doc-type {doc_type!r} non valido")
    if not dataset.is_dir():
        _fail(f"{dataset} non è una cartella")
    try:
        day = dt.date.fromisoformat(today) if today else None
    except ValueError:
        _fail(f"--today {today!r} non è una data AAAA-MM-GG")
    target = out or Path("results/eval") / f"{dataset.resolve().name}-{split}.json"
    try:
        results = evaluate_dataset(dataset, target, get_settings(), split=split, modes=chosen, doc_type=doc_type,
                                   max_queries=max_queries, today=day)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(_table(results))
    typer.echo(f"Risultati: {target}")


@eval_app.command()
def report(
    results: Annotated[list[Path], typer.Option(help="File JSON dei risultati o cartelle che li contengono "
                                                     "(ripetibile)")],
    out: Annotated[Path, typer.Option(help="Cartella del rapporto")] = Path("results/eval"),
) -> None:
    """Tabella Markdown e grafici PNG (nDCG@10, MRR@10, recall@k) dai risultati salvati."""
    from evaluation.report import write_report

    try:
        written = write_report(results, out)
    except FileNotFoundError as exc:
        _fail(str(exc))
    for path in written:
        typer.echo(f"Scritto {path}")


@eval_app.command()
def failures(
    results: Annotated[Path, typer.Option(help="File JSON dei risultati")],
    mode: Annotated[str, typer.Option(help="Modalità o baseline, separate da virgole, oppure 'all'")] = "hybrid",
    n: Annotated[int, typer.Option(min=1, help="Quante query per modalità")] = 20,
    dataset: Annotated[Path | None, typer.Option(help="Cartella del dataset, se spostata")] = None,
) -> None:
    """Le query peggiori (nDCG@10 e RR più bassi) con i documenti rilevanti e i primi 5 trovati."""
    from evaluation.failures import write_failures

    try:
        data = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        _fail(f"{results}: risultati non leggibili ({exc})")
    if "modes" not in data:
        _fail(f"{results} non è un file di risultati di `kb eval`")
    try:
        path, text = write_failures(results, None if mode == "all" else _split_list(mode), n, dataset)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(text)
    typer.echo(f"Scritto {path}")


@eval_app.command()
def enrichment(
    corpus: Annotated[list[Path], typer.Option(help="Cartelle dei documenti con metadati dichiarati (ripetibile)")]
    = [Path("corpus/buone_pratiche"), Path("corpus/progetti"), Path("corpus/normativa"), Path("corpus/bandi")],  # noqa: B006
    out: Annotated[Path, typer.Option(help="Cartella dei risultati")] = Path("results/eval"),
    calibrate: Annotated[bool, typer.Option(help="Ricalibra i tag SDG e temi su metà del corpus e riscrive "
                                                 "kb/data/tagging_calibration.yaml (per il modello in uso)")] = False,
) -> None:
    """Confronta SDG, temi, luoghi, date e importi estratti con i metadati dichiarati del corpus."""
    import yaml

    from evaluation.enrichment import collect, evaluate, to_markdown
    from evaluation.tag_calibration import calibration_file
    from ingest.enrich.gazetteer import load_gazetteer
    from ingest.enrich.tag_rules import Calibration, calibrated_model, load_calibration
    from ingest.enrich.tagging import Tagger, load_short_rule
    from kb.models.factory import embedder_from_settings
    from kb.settings import get_settings

    settings = get_settings()
    embedder = embedder_from_settings(settings)
    tagger = Tagger(embedder)
    tagger.warm_up()
    if not calibrate and calibrated_model() != embedder.name:
        _fail(f"i tag sono calibrati per il modello {calibrated_model()!r}, non per {embedder.name!r}: "
              "eseguire `kb eval enrichment --calibrate`")
    samples = collect(corpus, embedder, tagger, load_gazetteer(settings.gazetteer_path), settings)
    results = evaluate(samples, tagger.links, None if calibrate else load_calibration(embedder.name),
                       load_short_rule(embedder.name) if tagger.prototypes is not None else None)
    results["model"] = embedder.name
    out.mkdir(parents=True, exist_ok=True)
    (out / "enrichment.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "enrichment.md").write_text(to_markdown(results), encoding="utf-8")
    if calibrate:
        target = Path(__file__).resolve().parents[1] / "kb" / "data" / "tagging_calibration.yaml"
        header = ("# Written by `kb eval enrichment --calibrate`: SDG and theme tagging parameters fitted on half of "
                  "the sample corpus\n# for the model named below (held-out results: results/eval/enrichment.md); "
                  "another model gets keywords_only.\n")
        data = calibration_file(embedder.name, {f: Calibration.from_dict(c) for f, c in results["calibration"].items()},
                                {f: Calibration.from_dict(c)
                                 for f, c in results["keywords_only_calibration"].items()})
        target.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        load_calibration.cache_clear()
    typer.echo(to_markdown(results))


@eval_app.command()
def doctype(
    corpus: Annotated[list[Path], typer.Option(help="Cartelle dei documenti con tipo dichiarato (ripetibile)")]
    = [Path("corpus/buone_pratiche"), Path("corpus/progetti"), Path("corpus/normativa"), Path("corpus/bandi")],  # noqa: B006
    outside: Annotated[Path, typer.Option(help="Cartella di testi che non sono di nessuno dei quattro tipi")]
    = Path("evaluation/datasets/doctype/fuori_tipo"),
    out: Annotated[Path, typer.Option(help="Cartella dei risultati")] = Path("results/eval"),
    calibrate: Annotated[bool, typer.Option(help="Riscrive kb/data/doctype_calibration.yaml")] = False,
) -> None:
    """Tipo di documento inferito dal testo con i metadati nascosti: accuratezza e matrice di confusione."""
    import yaml

    from evaluation.doctype import calibration_data, collect, evaluate, to_markdown
    from ingest.enrich.doctype import calibration_id, load_calibration
    from kb.models.factory import embedder_from_settings
    from kb.settings import get_settings

    settings = get_settings()
    embedder = embedder_from_settings(settings)
    embedder.warm_up()
    samples, outside_samples = collect(corpus, embedder, settings), collect([outside], embedder, settings)
    calibration, results = evaluate(samples, outside_samples, embedder.name, None if calibrate else load_calibration())
    if calibrate:
        target = Path(__file__).resolve().parents[1] / "kb" / "data" / "doctype_calibration.yaml"
        header = ("# Written by `kb eval doctype --calibrate`: the document type classifier fitted on half of the "
                  "sample corpus\n# (ingest/enrich/doctype.py; measured in results/eval/doctype.md).\n")
        target.write_text(header + yaml.safe_dump(calibration_data(calibration), sort_keys=False, width=120,
                                                         default_flow_style=None),
                          encoding="utf-8")
        load_calibration.cache_clear()
        calibration_id.cache_clear()
    results["calibration_id"] = calibration_id()
    out.mkdir(parents=True, exist_ok=True)
    (out / "doctype.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "doctype.md").write_text(to_markdown(results), encoding="utf-8")
    typer.echo(to_markdown(results))
