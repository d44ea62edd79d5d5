"""``kill -9`` of ``vztui run restart <30 CTs> --yes`` in the middle of the bulk (demo cluster, 3 nodes, local
transport): the journal stays readable, finished items are recorded, in-flight ones become interrupted and are
reconciled from each node's real state, never-started ones are closed as cancelled, and nothing is re-run."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tests.reliability.conftest import node_state, runtime_state, vzlist_truth
from vztui.backend.cluster import Cluster
from vztui.backend.journal import Journal, JournalEntry
from vztui.backend.nodespec import NodeSpec
from vztui.backend.operation import OpState

REPO = Path(__file__).resolve().parents[2]
BULK = 30


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if text.encode() in cmdline:
            found.append(int(entry.name))
    return found


def _wait(predicate: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:g} s: {what}")
        time.sleep(0.05)


def _journal_counts(journal: Journal) -> tuple[int, int]:
    """(finished, started but unfinished) operations in the journal right now."""
    entries = journal.entries()
    finished = sum(1 for e in entries if e.state is not None)
    in_flight = sum(1 for e in entries if e.state is None and e.started_at is not None)
    return finished, in_flight


@pytest.fixture
def demo_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VZTUI_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.setenv("VZTUI_SIM_SPEED", "0.15")  # a restart takes ~0.3-0.6 s: the bulk lasts a few seconds
    return tmp_path / "demo"


def test_kill_9_mid_bulk_keeps_the_journal_and_reconciles_without_re_running(demo_env: Path) -> None:
    from vztui.demo import prepare_demo

    demo = prepare_demo(nodes=3)
    roots = {spec.name: Path(spec.root_prefix) for spec in demo.specs}
    states = {(node, ctid): s for node, root in roots.items() for ctid, s in vzlist_truth(root).items()}
    targets = sorted(ctid for (_, ctid), s in states.items() if s in ("running", "stopped", "mounted"))[:BULK]
    assert len(targets) == BULK

    journal = Journal(demo.journal_dir)
    victim = subprocess.Popen(
        [sys.executable, "-m", "vztui.cli", "--demo", "run", "restart", *map(str, targets), "--yes"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        _wait(lambda: _journal_counts(journal) >= (4, 1) or victim.poll() is not None, 60, "the bulk to be under way")
        assert victim.poll() is None, f"vztui finished before it could be killed: {victim.communicate()[1]!r}"
        finished_seen, _ = _journal_counts(journal)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
    finally:
        if victim.poll() is None:
            victim.kill()
    # The vzctl processes vztui had started finish (or die) on their own, as on a real node.
    cluster_dir = str(demo.directory / "cluster")
    _wait(lambda: not _processes_mentioning(cluster_dir), 30, "orphaned tools to finish")

    for path in journal.files():
        lines = path.read_bytes().splitlines()
        for line in lines[:-1]:
            json.loads(line)  # every record but a torn last one is whole
    after_crash = journal.entries()
    assert len(after_crash) == BULK, "every queued item was journaled before the first command ran"
    done = {e.op_id: e for e in after_crash if e.state is not None}
    in_flight = {e.op_id: e for e in after_crash if e.state is None and e.started_at is not None}
    never_started = {e.op_id: e for e in after_crash if e.started_at is None}
    assert len(done) >= finished_seen >= 4
    assert in_flight, "the kill landed mid-bulk"
    assert never_started, "the kill landed before the end of the bulk"
    untouched = {node: node_state(root) for node, root in roots.items()}
    runtime = {node: runtime_state(root) for node, root in roots.items()}

    reconciled = asyncio.run(_restart_vztui(demo.specs, demo.journal_dir, set(in_flight)))

    changed = {
        f"{node}:{path}"
        for node, root in roots.items()
        for path, digest in node_state(root).items() ^ untouched[node].items()
    }
    moved = {
        (node, ctid): (before, runtime_state(root)["cts"].get(ctid))
        for node, root in roots.items()
        for ctid, before in runtime[node]["cts"].items()
        if runtime_state(root)["cts"].get(ctid) != before
    }
    assert not changed, f"nothing was re-run, yet these changed: {sorted(changed)} {moved}"
    records = list(journal.records())
    assert sum(1 for r in records if r.get("event") == "queued") == BULK, "nothing was queued again"
    assert sum(1 for r in records if r.get("event") == "started") == len(done) + len(in_flight)
    by_id = {e.op_id: e for e in reconciled}
    for op_id, before in done.items():
        assert by_id[op_id].state is before.state, "finished items keep their recorded outcome"
    for op_id, entry in in_flight.items():
        after = by_id[op_id]
        assert after.state is OpState.INTERRUPTED
        assert "stopped while this ran" in after.reason
        truth = vzlist_truth(roots[entry.node])
        assert [(r.ctid, r.status) for r in after.reconciled] == [(c, truth[c]) for c in entry.ctids]
    for op_id in never_started:
        assert by_id[op_id].state is OpState.CANCELLED and "not re-run" in by_id[op_id].reason


async def _restart_vztui(specs: Sequence[NodeSpec], journal_dir: Path, in_flight: set[str]) -> list[JournalEntry]:
    """Start vztui again over the same journal; wait until every interrupted operation was reconciled."""
    cluster = Cluster(specs, journal_dir=str(journal_dir))
    cluster.set_paused(True)
    await cluster.start()
    try:
        async with asyncio.timeout(30):
            while True:
                await cluster.journal.drain()
                entries = cluster.journal.entries()
                if all(any(r.ok for r in e.reconciled) for e in entries if e.op_id in in_flight):
                    break
                await asyncio.sleep(0.1)
        shown = {op.id: op for op in cluster.operations()}
        assert in_flight <= set(shown), "the interrupted operations are listed for the admin"
        assert all(shown[op_id].state is OpState.INTERRUPTED for op_id in in_flight)
        await asyncio.sleep(0.3)
        assert all(op.state.finished for op in cluster.operations()), "nothing was queued to run again"
    finally:
        await cluster.stop()
    return Journal(journal_dir).entries()


SELF_KILL = """
import asyncio, os, signal, sys
from collections.abc import Callable, Sequence
from pathlib import Path
from vztui.backend.cluster import Cluster
from vztui.backend.operation import OpRequest, OpState
from tests.reliability.conftest import local_spec

async def main():
    cluster = Cluster([local_spec("hn1", Path(sys.argv[1]))], journal_dir=sys.argv[2])
    cluster.set_paused(True)
    await cluster.start()
    op = await cluster.submit(OpRequest(node="hn1", argv=("vzctl", "restart", "101"), kind="restart", ctids=(101,)))
    while not (op.state is OpState.RUNNING and op.output_lines):
        await asyncio.sleep(0.01)
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


def test_an_interrupted_operation_is_reconciled_on_the_first_restart_that_reaches_its_node(
    sim: dict[str, Path], tmp_path: Path
) -> None:
    from tests.reliability.conftest import local_spec

    root, journal_dir = sim["hn1"], tmp_path / "journal"
    env = {**os.environ, "PYTHONPATH": str(REPO), "VZTUI_SIM_SPEED": "1"}
    victim = subprocess.run(
        [sys.executable, "-c", SELF_KILL, str(root), str(journal_dir)], env=env, cwd=REPO, check=False, timeout=60
    )
    assert victim.returncode == -signal.SIGKILL
    _wait(lambda: not _processes_mentioning(str(root)), 30, "the orphaned vzctl to finish")
    (op_id,) = [e.op_id for e in Journal(journal_dir).entries()]
    untouched = node_state(root)

    broken = tmp_path / "broken-bin"
    broken.mkdir()
    (broken / "vzctl").write_text("#!/bin/sh\necho 'vzctl: cannot talk to the kernel' >&2\nexit 1\n")
    (broken / "vzctl").chmod(0o755)
    down = local_spec("hn1", root, path=str(broken))
    first = asyncio.run(_restart_once(down, journal_dir))
    entry = next(e for e in first if e.op_id == op_id)
    assert entry.state is OpState.INTERRUPTED
    assert entry.reconciled and not any(r.ok for r in entry.reconciled), "the node could not be asked"

    second = asyncio.run(_restart_once(local_spec("hn1", root), journal_dir))
    entry = next(e for e in second if e.op_id == op_id)
    assert [(r.ctid, r.status) for r in entry.reconciled if r.ok] == [(101, vzlist_truth(root)[101])]
    third = asyncio.run(_restart_once(local_spec("hn1", root), journal_dir, expect_findings=False))
    assert len(next(e for e in third if e.op_id == op_id).reconciled) == len(entry.reconciled), "asked only once"
    assert node_state(root) == untouched, "reconciling only reads; nothing was re-run"
    records = list(Journal(journal_dir).records())
    assert [r.get("event") for r in records].count("started") == 1


async def _restart_once(spec: NodeSpec, journal_dir: Path, *, expect_findings: bool = True) -> list[JournalEntry]:
    """Start vztui over the journal; wait for its reconciliation to record something (or, when nothing is expected,
    give it a moment to wrongly do so)."""
    before = sum(1 for r in Journal(journal_dir).records() if r.get("event") == "reconciled")
    cluster = Cluster([spec], journal_dir=str(journal_dir))
    cluster.set_paused(True)
    await cluster.start()
    try:
        async with asyncio.timeout(20):
            while expect_findings:
                await cluster.journal.drain()
                if sum(1 for r in cluster.journal.records() if r.get("event") == "reconciled") > before:
                    break
                await asyncio.sleep(0.05)
        if not expect_findings:
            await asyncio.sleep(0.5)
        await cluster.journal.drain()
    finally:
        await cluster.stop()
    return Journal(journal_dir).entries()
