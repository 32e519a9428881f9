"""kill -9 during ingestion, then run it again: the index must equal a clean run's (same chunk ids and count, same
payloads and vectors, one version per document, no chunk left of a replaced version) and the stored originals too.

Two scenarios: a first ingestion of 12 Markdown files into an empty index (the kill may land while the index is
being created), and a re-ingestion where 6 of them changed and one is new (the kill may land between writing a
document's new chunks and deleting its old ones). Kills come at random moments spread over a clean run's duration
(seeded), and at exact points: right after the k-th index write. 24 trials by default, 100 with `-m stress`.
"""

from __future__ import annotations

import collections
import json
import random
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import write_results
from tests.reliability.crash_harness import ForkServer, Trial, differences, fresh_copy, opens, scratch_root, snapshot

SEED = 90210
WORDS = ("comune impianto energia scuola progetto risparmio famiglie cittadini verde pubblico rete acqua rifiuti "
         "raccolta bando regione fondi lavori illuminazione ciclabile biblioteca quartiere").split()


def write_corpus(folder: Path, version: int, count: int = 12) -> None:
    """`count` Markdown files of 2-7 KB; in version 2 the even ones change (longer or shorter, so chunk counts
    change too) and one file is new. Each file's text depends only on (seed, version, name)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count + (1 if version == 2 else 0)):
        name = f"scheda-{i:02d}.md"
        if version == 2 and i % 2 and i < count:
            continue
        rng = random.Random(f"{SEED}-{version}-{name}")
        body = "\n\n".join(f"## Sezione {s} v{version}\n\n" + " ".join(rng.choice(WORDS) for _ in range(
            rng.randint(60, 140))) + "." for s in range(rng.randint(3, 9)))
        (folder / name).write_text(f"# Documento {i} (versione {version})\n\n{body}\n", encoding="utf-8")


@dataclass
class Scenario:
    name: str
    corpus: Path
    template: Path | None  # index + files the run starts from (None: empty)
    reference: dict[str, Any]
    seconds: float  # a clean run, child process only
    writes: int  # index writes of a clean run


@dataclass
class World:
    root: Path
    server: ForkServer
    scenarios: dict[str, Scenario]

    def job(self, scenario: Scenario, crash_after: int | None = None) -> dict[str, Any]:
        work = self.root / "trial"
        return {"index": str(work / "index"), "files": str(work / "files"), "paths": [str(scenario.corpus)],
                "group_size": 4, "write_batch": 8, "crash_after": crash_after, "result": str(work / "result.json")}


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    root = scratch_root()
    server = ForkServer()
    world = World(root, server, {})
    try:
        write_corpus(root / "first", 1)
        first = Scenario("first", root / "first", None, {}, 0.0, 0)
        first.seconds, first.writes, first.reference = _reference(world, first)
        write_corpus(root / "replace", 1)
        base = Scenario("base", root / "replace", None, {}, 0.0, 0)
        _reference(world, base)
        shutil.copytree(root / "trial", root / "template")
        write_corpus(root / "replace", 2)  # the same paths: changed files replace their documents
        replace = Scenario("replace", root / "replace", root / "template", {}, 0.0, 0)
        replace.seconds, replace.writes, replace.reference = _reference(world, replace)
        world.scenarios.update(first=first, replace=replace)
        yield world
    finally:
        server.close()
        shutil.rmtree(root, ignore_errors=True)


def _reference(world: World, scenario: Scenario) -> tuple[float, int, dict[str, Any]]:
    """A clean run of the scenario: its duration, its number of index writes, and the index it leaves."""
    work = _prepare(world, scenario)
    job = world.job(scenario)
    start = time.perf_counter()
    status = world.server.run(job)
    seconds = time.perf_counter() - start
    assert status == 0, f"clean run of {scenario.name} failed ({status})"
    writes = int(json.loads(Path(job["result"]).read_text())["writes"])
    return seconds, writes, snapshot(work / "index", work / "files")


def _prepare(world: World, scenario: Scenario) -> Path:
    work = world.root / "trial"
    fresh_copy(None, work)
    work.mkdir()
    if scenario.template is not None:
        shutil.copytree(scenario.template / "index", work / "index")
        shutil.copytree(scenario.template / "files", work / "files")
    return work


def run_trial(world: World, trial: Trial) -> Trial:
    scenario = world.scenarios[trial.scenario]
    work = _prepare(world, scenario)
    status = world.server.run(world.job(scenario, trial.crash_after), kill_after=trial.delay)
    trial.killed = status == -9
    trial.opened_after_kill = opens(work / "index")
    if trial.opened_after_kill.startswith("ok"):
        trial.points_after_kill = int(trial.opened_after_kill.split("(")[1].split()[0])
    if trial.opened_after_kill != "no index yet" and not trial.opened_after_kill.startswith("ok"):
        trial.problems.append(f"shard did not open after the kill: {trial.opened_after_kill}")
    status = world.server.run(world.job(scenario))
    if status != 0:
        trial.problems.append(f"re-run failed with status {status}")
        return trial
    trial.problems += differences(snapshot(work / "index", work / "files"), scenario.reference)
    if (work / ".index.creating").exists():
        trial.problems.append("a staging folder of an interrupted index creation was left behind")
    return trial


def plan(world: World, count: int, seed: int) -> list[Trial]:
    """A third exact kills (spread over every write of a run), the rest random kills spread over a clean run."""
    rng = random.Random(seed)
    trials = []
    for i in range(count):
        scenario = world.scenarios["replace" if i % 2 else "first"]
        if i % 3 == 2:
            trials.append(Trial(scenario.name, "exact", crash_after=1 + (i * 7) % scenario.writes))
        else:
            trials.append(Trial(scenario.name, "random", delay=round(rng.uniform(0, 1.1 * scenario.seconds), 4)))
    return trials


def run_plan(world: World, count: int, seed: int, results: str) -> None:
    start = time.perf_counter()
    trials = [run_trial(world, t) for t in plan(world, count, seed)]
    failed = [t for t in trials if t.problems]
    write_results(results, {
        "seed": seed, "trials": len(trials), "failed": len(failed), "seconds": round(time.perf_counter() - start, 1),
        "clean_run": {n: {"seconds": round(s.seconds, 3), "index_writes": s.writes,
                          "points": len(s.reference["points"]), "documents": len({p["doc_id"] for p, _ in
                                                                                  s.reference["points"].values()})}
                      for n, s in world.scenarios.items()},
        "killed_before_the_end": sum(t.killed for t in trials),
        "by_kind": dict(collections.Counter(f"{t.scenario}/{t.kill}" for t in trials)),
        "trials_detail": [asdict(t) for t in trials],
    })
    assert not failed, "\n".join(f"{t.scenario}/{t.kill} delay={t.delay} crash_after={t.crash_after}: "
                                 f"{'; '.join(t.problems)}" for t in failed)
    assert sum(t.killed for t in trials) >= len(trials) // 2, "most kills came after the run had ended"


def test_a_killed_run_leaves_an_index_that_opens_and_runs_again(world: World) -> None:
    """Kills early in a first ingestion (many while the index is being created): no lock left behind, no half-made
    index that can be neither opened nor created (the re-run used to fail: "path already contains segment data")."""
    scenario = world.scenarios["first"]
    seen = collections.Counter()
    for step in range(10):
        work = _prepare(world, scenario)
        status = world.server.run(world.job(scenario), kill_after=step * 0.06 * scenario.seconds)
        state = opens(work / "index")
        seen["killed" if status == -9 else "ended"] += 1
        assert state == "no index yet" or state.startswith("ok"), state
        assert world.server.run(world.job(scenario)) == 0
        assert opens(work / "index").startswith("ok") and not (work / ".index.creating").exists()
    assert seen["killed"] >= 8, seen




def test_killed_ingestion_reruns_to_the_clean_index(world: World) -> None:
    run_plan(world, 24, SEED, "crash_safety.json")


@pytest.mark.stress
def test_killed_ingestion_reruns_to_the_clean_index_100_trials(world: World) -> None:
    run_plan(world, 100, SEED + 1, "crash_safety_stress.json")
