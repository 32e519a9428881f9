"""One batch of 241 generated files (234 hostile, 7 good controls) through `IngestService.ingest_paths`: no exception,
every hostile file skipped with its expected code and an Italian reason, every control indexed and found, nothing
of a refused file (or of a script, an attachment, a secret file) in the index, nothing written outside the index
and the storage folder. OCR is off for this batch (tests/reliability/test_ocr_limits.py covers OCR's limits)."""

from __future__ import annotations

import collections
import json
import re
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.errors import ERROR_CODES
from ingest.service import FileOutcome, IngestReport, IngestService
from kb.models.embedders import HashingEmbedder
from kb.storage.backends.base import SparseVec
from kb.storage.backends.edge import EdgeBackend
from kb.storage.schema import SPARSE_VECTOR
from kb.text.analysis import Bm25SparseEncoder
from tests.reliability.conftest import write_results
from tests.reliability.hostile_files import INDEXED, SECRET, Case, build_cases, write_cases

SEED = 20261124
DOC_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
# Words that every Italian reason uses at least one of (an English library message has none of them).
ITALIAN = {"il", "la", "lo", "le", "è", "non", "di", "del", "della", "da", "un", "una", "con", "per", "nessun",
           "troppo", "troppi", "danneggiato", "vuoto", "formato", "contenuto", "testo", "pagine", "file"}


@dataclass
class Batch:
    root: Path
    cases: list[Case]
    outcomes: dict[str, FileOutcome]  # by file name
    report: IngestReport
    service: IngestService
    seconds: float


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Batch]:
    root = tmp_path_factory.mktemp("hostile")
    secret = root / "segreto.txt"
    secret.write_text(f"{SECRET} dati riservati che non devono finire nell'indice\n", encoding="utf-8")
    cases = build_cases(SEED, secret)
    paths = write_cases(root / "in", cases)
    backend = EdgeBackend(root / "index", "hashing")
    embedder = HashingEmbedder()
    backend.ensure_collection(embedder.dimension)
    service = IngestService(backend, embedder, files_path=root / "files", max_tokens=120, overlap_tokens=20,
                            ocr_enabled=False)
    start = time.perf_counter()
    report = service.ingest_paths(paths, defaults={"doc_type": "progetto"})
    seconds = time.perf_counter() - start
    outcomes = {Path(o.source).name: o for o in report.outcomes}
    yield Batch(root, cases, outcomes, report, service, seconds)
    backend.close()


def test_the_batch_holds_at_least_200_hostile_files(batch: Batch) -> None:
    hostile = [c for c in batch.cases if c.category != "control"]
    assert len(hostile) >= 200
    assert len(batch.report.outcomes) == len(batch.cases) == len(batch.outcomes)


def test_every_file_gets_its_expected_outcome(batch: Batch) -> None:
    wrong = []
    for case in batch.cases:
        outcome = batch.outcomes[case.name]
        got = INDEXED if outcome.status == "indexed" else (outcome.code or outcome.status)
        if got != case.expect:
            wrong.append(f"{case.name!r} ({case.category}): expected {case.expect}, got {got}: {outcome.message}")
    assert not wrong, "\n".join(wrong)


def test_refused_files_have_a_known_code_and_an_italian_reason(batch: Batch) -> None:
    for outcome in batch.report.by_status("skipped"):
        assert outcome.code in ERROR_CODES, outcome
        message = outcome.message or ""
        words = set(re.findall(r"\w+", message.lower()))
        assert words & ITALIAN, f"{outcome.source}: {message!r}"
        assert len(message) <= 500 and "ByteStream(" not in message and "Traceback" not in message, message


def test_controls_and_neutralised_files_are_found_by_their_words(batch: Batch) -> None:
    encoder = Bm25SparseEncoder()
    for case in batch.cases:
        if case.expect != INDEXED or case.token is None:
            continue
        hits = batch.service.backend.query(SPARSE_VECTOR, SparseVec(*encoder.encode_query(case.token)), None, 3)
        assert hits, case.name
        assert hits[0].payload["doc_id"] == batch.outcomes[case.name].doc_id, case.name


def test_the_index_holds_only_indexed_files_and_no_script_or_secret(batch: Batch) -> None:
    hits, _ = batch.service.backend.scroll(None, limit=100_000)
    indexed = {o.doc_id: o.chunks for o in batch.report.by_status("indexed")}
    per_doc = collections.Counter(h.payload["doc_id"] for h in hits)
    assert dict(per_doc) == indexed
    blob = json.dumps([h.payload for h in hits], ensure_ascii=False)
    markers = {c.marker for c in batch.cases if c.marker} | {SECRET}
    assert not [m for m in markers if m in blob]


def test_ids_and_stored_files_stay_in_their_folders(batch: Batch) -> None:
    indexed = batch.report.by_status("indexed")
    assert all(o.doc_id and DOC_ID.match(o.doc_id) for o in indexed)
    assert len({o.doc_id for o in indexed}) == len(indexed)
    stored = {p.name for p in (batch.root / "files").iterdir()}
    assert stored == {f"{o.doc_id}{Path(o.source).suffix.lower()}" for o in indexed}
    top = {p.name for p in batch.root.iterdir()}
    assert top == {"in", "index", "files", "segreto.txt"}


def test_names_shown_to_people_carry_no_invisible_or_control_characters(batch: Batch) -> None:
    hits, _ = batch.service.backend.scroll(None, limit=100_000)
    for hit in hits:
        for field in ("source", "title"):
            shown = str(hit.payload[field])
            assert not [c for c in shown if unicodedata.category(c) in ("Cc", "Cf")], (field, shown)
            assert unicodedata.is_normalized("NFC", shown)


def test_record_results(batch: Batch) -> None:
    """Counts per category and outcome (written to KB_RELIABILITY_RESULTS/hostile_files.json when set)."""
    table: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for case in batch.cases:
        outcome = batch.outcomes[case.name]
        table[case.category][INDEXED if outcome.status == "indexed" else str(outcome.code)] += 1
    codes = collections.Counter(o.code or o.status for o in batch.report.outcomes)
    write_results("hostile_files.json", {
        "seed": SEED, "files": len(batch.cases),
        "hostile": sum(c.category != "control" for c in batch.cases),
        "controls": sum(c.category == "control" for c in batch.cases),
        "seconds": round(batch.seconds, 2), "summary": batch.report.summary(),
        "by_category": {k: dict(sorted(v.items())) for k, v in sorted(table.items())},
        "by_code": dict(sorted(codes.items())),
        "expected": {c.name: c.expect for c in batch.cases},
    })
    assert sum(sum(v.values()) for v in table.values()) == len(batch.cases)
