"""Similar experiences on a judged set: what `POST /similar` and `GET /documents/{id}/similar` return, scored.

The set (`evaluation/datasets/similar/`, procedure in its README) holds probes of two kinds: a project description an
official would paste into `POST /similar` (`kind: text`) and a practice or project of the corpus used as "more like
this" (`kind: document`), with graded judgments (2 comparable, 1 related, 0 not relevant) in BEIR qrels.

Each probe is ranked through the retrieval core with the request its route makes: `kb.search.similar` defines it
once for the routes and for this evaluation; `tests/evaluation/test_similar_set.py` holds the results to what the
routes answer. Depth: the first `TOP` (10) documents, which both routes allow (`limit` up to 20 and 50).

A text probe is answered by `POST /similar`'s list of experiences, which holds only buone pratiche and progetti: the
calls and acts judged for a text probe (grade 1 at most, "a rule or call directly relevant") stay in the qrels but
are left out of its scoring (`scoring_qrels`), so a perfect list scores 1. Unjudged documents count as not relevant.

Metrics are the project's (`evaluation.metrics`, ranx): nDCG@10 (linear gain), MRR@10 and P@5 (grade >= 1 relevant).

    python -m evaluation.similar          # indexes corpus/_sources into a temporary index, writes
                                          # results/eval/similar-<model>.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from evaluation.beir import BeirDataset, CorpusDoc
from evaluation.domain.corpus import build_corpus
from evaluation.domain.files import REPO_ROOT, SOURCES
from evaluation.metrics import Ranking, compute_metrics, per_query
from evaluation.qrels import Qrels, read_qrels
from kb.search import SearchEngine, SearchRequest
from kb.search.similar import EXPERIENCE_TYPES, experiences_request, more_like_this_request

DATASET_DIR = REPO_ROOT / "evaluation" / "datasets" / "similar"
PROBES_FILE = "probes.jsonl"
QRELS_FILE = Path("qrels") / "test.tsv"
TOP = 10
MAX_TEXT = 100_000  # what `POST /similar` reads of a text (its `MAX_TEXT`)
# our names -> ranx's (see evaluation.metrics for the definitions)
SIMILAR_METRICS: dict[str, str] = {"ndcg@10": "ndcg@10", "mrr@10": "mrr@10", "p@5": "precision@5"}
KINDS = ("text", "document")
# settings that change what is measured, recorded in the results
SETTINGS_RECORDED = ("model", "encoder", "query_prefix", "passage_prefix", "lexical_weight", "fusion", "chunk_bonus",
                     "exact_dense", "chunk_max_tokens", "candidates")

ProbeKind = Literal["text", "document"]


@dataclass(frozen=True)
class SimilarProbe:
    """One probe: a pasted project description (`text`) or a corpus document (`doc_id`)."""

    probe_id: str
    kind: ProbeKind
    text: str | None = None
    doc_id: str | None = None
    note: str = ""


@dataclass
class SimilarSet:
    probes: list[SimilarProbe]
    qrels: Qrels  # every judged pair, zeros included
    path: Path


# -- the set --------------------------------------------------------------------------------------------------
def load_probes(path: Path) -> list[SimilarProbe]:
    """The probes in file order; a malformed line is refused with its line number."""
    probes: list[SimilarProbe] = []
    seen: set[str] = set()
    with Path(path).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: JSON non valido ({exc.msg})") from exc
            probe_id, kind = str(row.get("_id") or ""), row.get("kind")
            if not probe_id or probe_id in seen:
                raise ValueError(f"{where}: _id mancante o ripetuto {probe_id!r}")
            seen.add(probe_id)
            if kind == "text":
                text = str(row.get("text") or "")
                if not text.strip():
                    raise ValueError(f"{where}: una sonda di tipo text vuole il campo text")
                probes.append(SimilarProbe(probe_id, "text", text=text, note=str(row.get("note") or "")))
            elif kind == "document":
                doc_id = str(row.get("doc_id") or "")
                if not doc_id:
                    raise ValueError(f"{where}: una sonda di tipo document vuole il campo doc_id")
                probes.append(SimilarProbe(probe_id, "document", doc_id=doc_id, note=str(row.get("note") or "")))
            else:
                raise ValueError(f"{where}: kind {kind!r} non valido, atteso text o document")
    return probes


def load_similar_set(path: Path = DATASET_DIR) -> SimilarSet:
    """Probes and judgments; every probe must be judged and no probe may judge its own document."""
    path = Path(path)
    probes = load_probes(path / PROBES_FILE)
    qrels = read_qrels(path / QRELS_FILE)
    ids = {p.probe_id for p in probes}
    unknown = sorted(set(qrels) - ids)
    if unknown:
        raise ValueError(f"{path / QRELS_FILE}: giudizi per sonde inesistenti {unknown[:5]}")
    unjudged = sorted(ids - set(qrels))
    if unjudged:
        raise ValueError(f"{path / QRELS_FILE}: sonde senza giudizi {unjudged[:5]}")
    own = [p.probe_id for p in probes if p.doc_id is not None and p.doc_id in qrels[p.probe_id]]
    if own:
        raise ValueError(f"{path / QRELS_FILE}: sonde che giudicano il proprio documento {own}")
    return SimilarSet(probes, qrels, path)


def scoring_qrels(probes: Iterable[SimilarProbe], qrels: Qrels, doc_types: Mapping[str, str]) -> Qrels:
    """The judgments each probe is scored on: all of them for a document probe (its route searches every type);
    for a text probe only buone pratiche and progetti, the types `POST /similar`'s experiences can hold."""
    experience = {t.value for t in EXPERIENCE_TYPES}
    scored: Qrels = {}
    for probe in probes:
        judged = qrels.get(probe.probe_id, {})
        if probe.kind == "text":
            judged = {d: g for d, g in judged.items() if doc_types.get(d) in experience}
        scored[probe.probe_id] = dict(judged)
    return scored


# -- the requests the routes make -----------------------------------------------------------------------------
def text_request(engine: SearchEngine, text: str, *, limit: int = TOP, today: dt.date | None = None
                 ) -> SearchRequest:
    """`POST /similar`'s request for similar experiences (`similar_to_project` in search_api/routes/similar.py)."""
    return experiences_request(engine.probe_text(text[:MAX_TEXT]), limit=limit, today=today)


def document_request(engine: SearchEngine, doc_id: str, *, limit: int = TOP, today: dt.date | None = None
                     ) -> SearchRequest | None:
    """`GET /documents/{id}/similar`'s request (`similar` in search_api/routes/documents.py); None when the
    document is not in the index (the route's 404)."""
    probe = engine.probe_document(doc_id)
    if probe is None:
        return None
    return more_like_this_request(probe, doc_id, limit=limit, today=today)


def probe_request(engine: SearchEngine, probe: SimilarProbe, *, limit: int = TOP, today: dt.date | None = None
                  ) -> SearchRequest | None:
    if probe.kind == "text":
        return text_request(engine, probe.text or "", limit=limit, today=today)
    return document_request(engine, probe.doc_id or "", limit=limit, today=today)


def similar_ranking(engine: SearchEngine, probes: Sequence[SimilarProbe], *, limit: int = TOP,
                    today: dt.date | None = None) -> Ranking:
    """Each probe's documents as its route ranks them, the first `limit`, never the probe's own document.

    A document probe missing from the index raises: its route would answer 404, and scoring it as an empty list
    would hide a broken index."""
    ranking: Ranking = {}
    for probe in probes:
        request = probe_request(engine, probe, limit=limit, today=today)
        if request is None:
            raise ValueError(f"sonda {probe.probe_id}: il documento {probe.doc_id} non è nell'indice")
        page = engine.search(request)
        ranking[probe.probe_id] = [(d.doc_id, float(d.score)) for d in page.documents
                                   if d.doc_id != probe.doc_id][:limit]
    return ranking


# -- scores ----------------------------------------------------------------------------------------------------
def score_ranking(probes: Sequence[SimilarProbe], qrels: Qrels, ranking: Ranking) -> dict[str, Any]:
    """Means over all probes and per kind, and every probe's own values (`qrels`: the scoring judgments)."""
    by_kind = {kind: [p.probe_id for p in probes if p.kind == kind] for kind in KINDS}
    aggregate = {"all": compute_metrics({p.probe_id: qrels[p.probe_id] for p in probes}, ranking, SIMILAR_METRICS)}
    for kind, ids in by_kind.items():
        aggregate[kind] = compute_metrics({i: qrels[i] for i in ids}, ranking, SIMILAR_METRICS)
    values = {ours: per_query({p.probe_id: qrels[p.probe_id] for p in probes}, ranking, theirs)
              for ours, theirs in SIMILAR_METRICS.items()}
    per_probe = {p.probe_id: {ours: round(values[ours][p.probe_id], 4) for ours in SIMILAR_METRICS}
                 for p in probes}
    return {"aggregate": aggregate, "per_probe": per_probe,
            "probes": {kind: len(ids) for kind, ids in by_kind.items()}}


def evaluate_similar(engine: SearchEngine, similar_set: SimilarSet, doc_types: Mapping[str, str], *,
                     limit: int = TOP, today: dt.date | None = None) -> dict[str, Any]:
    """Rank every probe through the routes' requests and score the rankings; returns the aggregate, the
    per-probe scores and rankings."""
    ranking = similar_ranking(engine, similar_set.probes, limit=limit, today=today)
    qrels = scoring_qrels(similar_set.probes, similar_set.qrels, doc_types)
    scores = score_ranking(similar_set.probes, qrels, ranking)
    probes = []
    for probe in similar_set.probes:
        judged = qrels[probe.probe_id]
        probes.append({
            "id": probe.probe_id, "kind": probe.kind, "doc_id": probe.doc_id, "note": probe.note,
            **scores["per_probe"][probe.probe_id],
            "relevant": sum(1 for g in judged.values() if g > 0),
            "ranking": [{"doc_id": d, "score": round(s, 6), "grade": judged.get(d)}
                        for d, s in ranking[probe.probe_id]],
        })
    return {"aggregate": scores["aggregate"], "probes": scores["probes"], "per_probe": probes}


# -- the corpus and the command line ---------------------------------------------------------------------------
def sources_dataset(sources: Path = SOURCES) -> BeirDataset:
    """The sample corpus as `kb eval` indexes a BEIR corpus: one record per source of the four type folders, id =
    the file's slug (the id the product gives the shipped file), metadata = its front matter."""
    records = build_corpus(sources, italian_only=False)
    corpus = {r["_id"]: CorpusDoc(r["_id"], r["title"], r["text"], r["metadata"]) for r in records}
    return BeirDataset("similar", Path(sources), "test", corpus, {}, {})


def document_types(dataset: BeirDataset) -> dict[str, str]:
    return {doc_id: str(doc.metadata.get("doc_type") or "") for doc_id, doc in dataset.corpus.items()}


def check_coverage(similar_set: SimilarSet, corpus_ids: Iterable[str]) -> None:
    """Every probe document and every judged document must be in the corpus."""
    known = set(corpus_ids)
    missing = sorted({p.doc_id for p in similar_set.probes if p.doc_id and p.doc_id not in known}
                     | {d for rels in similar_set.qrels.values() for d in rels if d not in known})
    if missing:
        raise ValueError(f"documenti giudicati o sonde assenti dal corpus: {missing[:8]}")


def check_index(backend: Any, corpus_ids: Iterable[str]) -> None:
    """An index searched in place must hold exactly the corpus: a missing document cannot be found and an extra one
    (an upload) can take a place in the top 10 that the judgments know nothing about."""
    from qdrant_client import models

    ids = set(corpus_ids)
    missing = sorted(d for d in ids if not backend.count(models.Filter(must=[
        models.FieldCondition(key="doc_id", match=models.MatchValue(value=d))])))
    extra = sorted(str(v) for v, _n in backend.facet("doc_id", None, len(ids) + 1000) if str(v) not in ids)
    if missing or extra:
        raise ValueError(f"l'indice configurato non contiene esattamente il corpus: mancano {missing[:5]} "
                         f"({len(missing)}), in più {extra[:5]} ({len(extra)}); togliere --use-index")


def _plain(value: Any) -> Any:
    """A setting as JSON: enums by value, paths as text."""
    value = getattr(value, "value", value)
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def model_slug(model: str) -> str:
    """`results/eval/similar-<slug>.json`: a local path by its folder name, a hub name with its owner."""
    from ingest.prepare import slugify

    path = Path(model)
    return slugify(path.name if path.exists() else model.replace("/", "-"))


def run(out_dir: Path, *, dataset_dir: Path = DATASET_DIR, sources: Path = SOURCES, today: dt.date | None = None,
        use_index: bool = False, quiet: bool = False, out: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Build the runtime from the settings, index the corpus into a temporary Edge index (or, with `use_index`,
    search the configured one), rank and score every probe, write the JSON; returns its path and content."""
    from evaluation.indexing import index_corpus
    from kb.models.factory import embedder_from_settings
    from kb.settings import get_settings
    from runtime import build_runtime

    settings = get_settings()
    started = time.perf_counter()
    similar_set = load_similar_set(dataset_dir)
    dataset = sources_dataset(sources)
    check_coverage(similar_set, dataset.corpus)
    embedder = embedder_from_settings(settings)
    with tempfile.TemporaryDirectory(prefix="kb-similar-") as tmp:
        if use_index:
            runtime = build_runtime(settings, embedder=embedder)
            index_note = "configured index"
        else:
            indexed = index_corpus(dataset, embedder, settings, Path(tmp), "buona_pratica", quiet=quiet)
            runtime = build_runtime(settings, embedder=embedder, backend=indexed.backend)
            if indexed.report.summary()["indexed"] != len(dataset.corpus):  # a document the judgments need is gone
                runtime.close()
                raise ValueError(f"indicizzazione incompleta: {indexed.report.summary()} su {len(dataset.corpus)} "
                                 "documenti")
            index_note = f"temporary Edge index: {indexed.report.summary()}"
        try:
            if use_index:
                check_index(runtime.backend, dataset.corpus)
            results = evaluate_similar(runtime.engine, similar_set, document_types(dataset), today=today)
        finally:
            runtime.close()
    described = {name: _plain(getattr(settings, name, None)) for name in SETTINGS_RECORDED}
    results = {"dataset": similar_set.path.name, **described, "top": TOP, "documents": len(dataset.corpus),
               "index": index_note, "today": (today or dt.date.today()).isoformat(),
               "seconds": round(time.perf_counter() - started, 1), **results}
    target = out or out_dir / f"similar-{model_slug(settings.model)}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return target, results


def table(results: dict[str, Any]) -> str:
    lines = ["sonde".ljust(12) + "".join(m.rjust(10) for m in SIMILAR_METRICS)]
    for name, row in results["aggregate"].items():
        count = results["probes"].get(name, sum(results["probes"].values()))
        lines.append(f"{name} ({count})".ljust(12) + "".join(f"{row[m]:10.3f}" for m in SIMILAR_METRICS))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.similar",
                                     description="nDCG@10, MRR@10 e P@5 delle esperienze simili (POST /similar, "
                                                 "GET /documents/{id}/similar) sull'insieme giudicato.")
    parser.add_argument("--dataset", type=Path, default=DATASET_DIR, help="cartella con probes.jsonl e qrels/")
    parser.add_argument("--sources", type=Path, default=SOURCES, help="corpus/_sources (il corpus da indicizzare)")
    parser.add_argument("--out-dir", type=Path, default=Path("results/eval"),
                        help="cartella dei risultati: similar-<modello>.json")
    parser.add_argument("--out", type=Path, default=None, help="file dei risultati (invece di --out-dir)")
    parser.add_argument("--today", default=None, help="giorno della richiesta (AAAA-MM-GG; predefinito oggi)")
    parser.add_argument("--use-index", action="store_true",
                        help="cerca nell'indice configurato (KB_INDEX_PATH o KB_QDRANT_URL), che deve contenere "
                             "esattamente il corpus, invece di indicizzarlo in un indice temporaneo")
    parser.add_argument("--quiet", action="store_true", help="senza barra di avanzamento")
    args = parser.parse_args(argv)
    try:
        day = dt.date.fromisoformat(args.today) if args.today else None
    except ValueError:
        parser.error(f"--today {args.today!r} non è una data AAAA-MM-GG")
    try:
        target, results = run(args.out_dir, dataset_dir=args.dataset, sources=args.sources, today=day,
                              use_index=args.use_index, quiet=args.quiet, out=args.out)
    except (FileNotFoundError, ValueError) as exc:
        print(f"Errore: {exc}", file=sys.stderr)
        return 2
    print(table(results))
    print(f"Risultati: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
