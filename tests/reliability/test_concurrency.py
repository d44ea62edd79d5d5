"""Two vztui instances (a dashboard and a script: two Cluster objects in two processes, one journal directory) aim
50 operations at the same 5 CTs at once. Operations on one CT never overlap, so vzctl never answers "Container
already locked" (exit 9), and the shared journal loses no record."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import local_config, local_spec
from vztui.backend.cluster import Cluster
from vztui.backend.journal import Journal
from vztui.backend.operation import Operation, OpRequest, OpState

REPO = Path(__file__).resolve().parents[2]
CTS = (101, 102, 103, 104, 106)
PER_CT = 5
"""Operations per CT and per instance: 2 instances x 5 CTs x 5 = 50."""


def requests(tag: str, rounds: int = PER_CT) -> list[OpRequest]:
    """Restarts and settings changes interleaved over the five CTs (every one of them takes vzctl's CT lock)."""
    found = []
    for round_ in range(rounds):
        for ctid in CTS:
            if round_ % 2:
                argv = ("vzctl", "set", str(ctid), "--description", f"{tag}-{round_}", "--save")
                found.append(OpRequest(node="hn1", argv=argv, kind="set", ctids=(ctid,)))
            else:
                found.append(OpRequest(node="hn1", argv=("vzctl", "restart", str(ctid)), kind="restart", ctids=(ctid,)))
    return found


async def run_all(root: Path, journal: Path, tag: str, rounds: int = PER_CT) -> list[Operation]:
    cluster = Cluster([local_spec("hn1", root, max_parallel=5)], journal_dir=str(journal))
    cluster.set_paused(True)
    await cluster.start()
    try:
        ops = [await cluster.submit(request) for request in requests(tag, rounds)]
        async with asyncio.timeout(120):
            while not all(op.state.finished for op in ops):
                await asyncio.sleep(0.02)
        await cluster.journal.drain()
    finally:
        await cluster.stop()
    return ops


OTHER_INSTANCE = textwrap.dedent(
    """
    import asyncio, json, sys
    from pathlib import Path
    from tests.reliability.test_concurrency import run_all

    ops = asyncio.run(run_all(Path(sys.argv[1]), Path(sys.argv[2]), "script"))
    print(json.dumps([[op.id, op.state.value, op.exit_code, op.reason] for op in ops]))
    """
)


@pytest.mark.slow
def test_fifty_operations_from_two_instances_on_five_cts_never_overlap(sim: dict[str, Path], tmp_path: Path) -> None:
    root, journal = sim["hn1"], tmp_path / "journal"
    env = {**os.environ, "PYTHONPATH": str(REPO), "VZTUI_SIM_SPEED": "0.05"}
    os.environ["VZTUI_SIM_SPEED"] = "0.05"  # each restart holds the CT lock for ~0.1 s: overlaps would show
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_INSTANCE, str(root), str(journal)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )
    try:
        mine = asyncio.run(run_all(root, journal, "dashboard"))
        out, err = other.communicate(timeout=120)
    finally:
        if other.poll() is None:
            other.kill()
    assert other.returncode == 0, err
    theirs = json.loads(out.splitlines()[-1])
    outcomes = [(op.state.value, op.exit_code, op.reason) for op in mine] + [tuple(o[1:]) for o in theirs]
    _assert_serialised(outcomes, journal)


def test_fifty_operations_from_the_dashboard_and_three_cli_runs_never_overlap(
    sim: dict[str, Path], tmp_path: Path
) -> None:
    """35 operations from a Cluster (the dashboard's engine) and three concurrent ``vztui run restart`` scripts
    over the same five CTs (15 more), sharing the user's journal directory."""
    root, journal = sim["hn1"], tmp_path / "journal"
    config = local_config(tmp_path / "config.toml", {"hn1": root}, journal=journal)
    os.environ["VZTUI_SIM_SPEED"] = "0.05"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "vztui.cli", "run", "restart", *map(str, CTS), "--yes", "--json", "--config"]
    scripts = [
        subprocess.Popen([*argv, str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(3)
    ]
    try:
        mine = asyncio.run(run_all(root, journal, "dashboard", rounds=7))
        results = [script.communicate(timeout=120) for script in scripts]
    finally:
        for script in scripts:
            if script.poll() is None:
                script.kill()
    outcomes = [(op.state.value, op.exit_code, op.reason) for op in mine]
    for script, (out, err) in zip(scripts, results, strict=True):
        rows = json.loads(out)
        outcomes += [(row["state"], row["exit_code"], row["reason"]) for row in rows]
        assert script.returncode == 0, (err, rows)
    assert len(outcomes) == 50
    _assert_serialised(outcomes, journal)


def _assert_serialised(outcomes: list[tuple[Any, ...]], journal: Path) -> None:
    locked = [o for o in outcomes if o[1] == 9 or "locked" in str(o[2]).lower()]
    assert not locked, f"{len(locked)} operations collided on a CT lock: {locked[:3]}"
    assert all(o[0] == OpState.SUCCEEDED.value for o in outcomes), [o for o in outcomes if o[0] != "succeeded"][:5]

    entries = Journal(journal).entries()
    assert len(entries) == 50, "no journal entry lost"
    assert all(e.state is OpState.SUCCEEDED and e.started_at is not None for e in entries)
    records = list(Journal(journal).records())
    lines = sum(len(path.read_bytes().splitlines()) for path in Journal(journal).files())
    assert len(records) == lines, "every line of the shared journal is one whole record"
    by_ct: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for entry in entries:
        by_ct[entry.ctids[0]].append((entry.started_at or 0.0, entry.finished_at or 0.0))
    for ctid, spans in by_ct.items():
        spans.sort()
        assert len(spans) == 10
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end - 0.002, f"CT {ctid}: an operation started before the previous one ended"


async def test_a_ct_lock_waits_for_its_holder_and_an_unusable_directory_never_blocks(tmp_path: Path) -> None:
    from vztui.backend.ctlocks import CtLocks

    locks, order = CtLocks(tmp_path / "locks"), []

    async def hold(name: str, ctids: tuple[int, ...], seconds: float) -> None:
        async with locks.hold("hn1", ctids):
            order.append(f"{name} in")
            await asyncio.sleep(seconds)
            order.append(f"{name} out")

    first = asyncio.create_task(hold("a", (101, 102), 0.3))
    await asyncio.sleep(0.05)
    await asyncio.gather(hold("b", (102,), 0), hold("c", (103,), 0))
    await first
    assert order.index("c in") < order.index("a out") < order.index("b in"), order
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    async with asyncio.timeout(1), CtLocks(blocked / "locks").hold("hn1", (101,)):
        pass
