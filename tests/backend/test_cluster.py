"""The Cluster facade over the simulator with LocalTransport: polling, one round trip per tick, operations with
streamed output, per-CT serialisation with the simulator's real vzctl locks, read-only, dead and hung nodes, and
crash recovery with reconciliation."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest

from tests.backend.engine_helpers import CountingTransport, Recorder, wait_finished, wait_for
from vztui.backend.cluster import Cluster
from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.backend.operation import OpRequest, OpState, ReadOnlyError
from vztui.backend.snapshot import NodeHealth
from vztui.backend.transport import CommandResult, Transport
from vztui.openvz.models import CtStatus

provision = pytest.importorskip("vztui.sim.provision")

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fast_sim(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VZTUI_SIM_SPEED", "0")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Three simulated nodes with four CTs each, the first two running."""
    os.environ["VZTUI_SIM_SPEED"] = "0"
    base = tmp_path_factory.mktemp("sim")
    nodes: dict[str, Path] = {}
    for index in range(1, 4):
        root = base / f"hn{index}"
        node = provision.init_node(root)
        for ctid in range(101, 105):
            provision.provision_ct(
                node, ctid, ostemplate="centos-6-x86_64", settings={"HOSTNAME": f"ct{ctid}.hn{index}.example"}
            )
        env = {**os.environ, "PATH": f"{root / 'bin'}:{os.environ['PATH']}"}
        for ctid in (101, 102):
            subprocess.run(["vzctl", "start", str(ctid)], env=env, check=True, capture_output=True)
        nodes[f"hn{index}"] = root
    yield nodes


def specs_for(nodes: dict[str, Path], **extra: object) -> list[NodeSpec]:
    return [
        NodeSpec(
            name,
            transport=TransportKind.LOCAL,
            root_prefix=str(root),
            path=str(root / "bin"),
            refresh=0.3,
            **extra,  # type: ignore[arg-type]
        )
        for name, root in nodes.items()
    ]


class Harness:
    def __init__(self, cluster: Cluster, transports: dict[str, CountingTransport], recorder: Recorder) -> None:
        self.cluster = cluster
        self.transports = transports
        self.recorder = recorder

    def polls(self, node: str) -> int:
        return sum(1 for kind, argv in self.transports[node].calls if kind == "run" and "vzlist -a -j" in argv[2])


async def make(tmp_path: Path, specs: Sequence[NodeSpec], **kwargs: object) -> Harness:
    transports: dict[str, CountingTransport] = {}

    def factory(spec: NodeSpec) -> Transport:
        transports[spec.name] = CountingTransport(spec)
        return transports[spec.name]

    cluster = Cluster(specs, journal_dir=str(tmp_path / "journal"), transport_factory=factory, **kwargs)  # type: ignore[arg-type]
    recorder = Recorder()
    cluster.subscribe(recorder)
    await cluster.start()
    return Harness(cluster, transports, recorder)


@pytest.fixture
async def harness(tmp_path: Path, sim: dict[str, Path]) -> AsyncIterator[Harness]:
    h = await make(tmp_path, specs_for(sim))
    yield h
    await h.cluster.stop()


def running_ct(h: Harness, node: str) -> int:
    snapshot = h.cluster.snapshots()[node]
    return next(ctid for ctid, ct in sorted(snapshot.containers.items()) if ct.running)


async def test_polls_three_nodes_with_exactly_one_round_trip_per_tick(harness: Harness) -> None:
    await harness.cluster.refresh()
    snapshots = harness.cluster.snapshots()
    assert set(snapshots) == {"hn1", "hn2", "hn3"}
    for node, snapshot in snapshots.items():
        assert snapshot.health is NodeHealth.UP, snapshot.error
        assert snapshot.error == ""
        assert len(snapshot.containers) == 4
        assert snapshot.round_trips == 1
        assert snapshot.meminfo is not None and snapshot.loadavg is not None and snapshot.filesystems
        running = [ct for ct in snapshot.containers.values() if ct.running]
        assert running and all(ct.resources for ct in running), "held values merged from /proc/bc/resources"
        assert all(ct.numproc == ct.resources["numproc"].held for ct in running)
        assert harness.cluster.node_info(node) is not None
    # Let a few ticks pass: each tick is one command (static facts were read once at connect).
    before = {node: harness.polls(node) for node in snapshots}
    await wait_for(lambda: all(harness.polls(node) - before[node] >= 2 for node in snapshots), within=20)
    for transport in harness.transports.values():
        others = [argv for kind, argv in transport.calls if "vzlist -a -j" not in " ".join(argv)]
        assert len(others) == 1, f"only the static read besides polls, got {others}"
    assert any(d.snapshot.cpu_percent for d in harness.recorder.deltas), "CPU % from vestat deltas"


async def test_operation_streams_output_and_the_next_poll_shows_the_new_state(harness: Harness) -> None:
    await harness.cluster.refresh("hn1")
    ctid = running_ct(harness, "hn1")
    op = await harness.cluster.submit(
        OpRequest(node="hn1", argv=("vzctl", "stop", str(ctid)), kind="stop", ctids=(ctid,))
    )
    await wait_finished([op])
    assert op.state is OpState.SUCCEEDED, op.reason
    text = [line.text for line in harness.cluster.output(op.id)]
    assert any("Stopping container" in line for line in text)
    streamed = [line.text for op_id, lines in harness.recorder.output_batches if op_id == op.id for line in lines]
    assert streamed == text
    await wait_for(lambda: harness.cluster.snapshots()["hn1"].containers[ctid].status is CtStatus.STOPPED)
    assert any(ctid in d.changed and "status" in d.changed[ctid] for d in harness.recorder.deltas)
    start = await harness.cluster.submit(
        OpRequest(node="hn1", argv=("vzctl", "start", str(ctid)), kind="start", ctids=(ctid,))
    )
    await wait_finished([start])
    assert start.state is OpState.SUCCEEDED, start.reason


async def test_start_of_a_running_ct_is_skipped_when_its_turn_comes(harness: Harness) -> None:
    await harness.cluster.refresh("hn2")
    ctid = running_ct(harness, "hn2")
    op = await harness.cluster.submit(
        OpRequest(
            node="hn2",
            argv=("vzctl", "start", str(ctid)),
            kind="start",
            ctids=(ctid,),
            expect_states=("stopped",),
        )
    )
    await wait_finished([op])
    assert op.state is OpState.SKIPPED and op.reason == f"{ctid}: already running"


async def test_fifty_concurrent_sets_on_five_cts_never_hit_the_vzctl_lock(harness: Harness) -> None:
    await harness.cluster.refresh("hn3")
    ctids = sorted(harness.cluster.snapshots()["hn3"].containers)
    requests = [
        OpRequest(
            node="hn3",
            argv=("vzctl", "set", str(ctids[i % len(ctids)]), "--cpuunits", str(1000 + i), "--save"),
            kind="set",
            ctids=(ctids[i % len(ctids)],),
        )
        for i in range(50)
    ]
    ops = await asyncio.gather(*(harness.cluster.submit(r) for r in requests))
    await wait_finished(ops, within=120)
    failed = [(op.reason, [line.text for line in harness.cluster.output(op.id)]) for op in ops if op.exit_code]
    assert [op.exit_code for op in ops] == [0] * 50, failed
    await harness.cluster.journal.drain()
    entries = [e for e in harness.cluster.journal.entries() if e.kind == "set" and e.node == "hn3"]
    assert len(entries) == 50 and all(e.state is OpState.SUCCEEDED for e in entries)


async def test_read_only_session_refuses_every_mutation_and_the_node_is_untouched(
    tmp_path: Path, sim: dict[str, Path]
) -> None:
    h = await make(tmp_path, specs_for(sim), read_only=True)
    try:
        await h.cluster.refresh("hn1")
        ctid = running_ct(h, "hn1")
        for argv, kind in [
            (["vzctl", "stop", str(ctid)], "stop"),
            (["vzctl", "destroy", str(ctid)], "destroy"),
            (["vzctl", "set", str(ctid), "--hostname", "x", "--save"], "set"),
        ]:
            with pytest.raises(ReadOnlyError, match="read-only"):
                await h.cluster.submit(OpRequest(node="hn1", argv=tuple(argv), kind=kind, ctids=(ctid,)))
        with pytest.raises(ReadOnlyError):
            await h.cluster.run_read("hn1", ["vzctl", "stop", str(ctid)])
        status = await h.cluster.run_read("hn1", ["vzctl", "status", str(ctid)])
        assert status.ok and "running" in status.stdout_text
        assert not [argv for kind, argv in h.transports["hn1"].calls if argv[:2] == ("vzctl", "stop")]
        await h.cluster.refresh("hn1")
        assert h.cluster.snapshots()["hn1"].containers[ctid].running
    finally:
        await h.cluster.stop()


class HungTransport(CountingTransport):
    async def run(self, argv: Sequence[str], *, timeout: float = 60.0, stdin: bytes | None = None) -> CommandResult:
        self.calls.append(("run", tuple(argv)))
        return await self.inner.run(["sleep", "30"], timeout=timeout)


async def test_a_hung_and_a_dead_node_never_block_the_others(tmp_path: Path, sim: dict[str, Path]) -> None:
    specs = [*specs_for({"hn1": sim["hn1"]}), NodeSpec("gone", transport=TransportKind.LOCAL, path="/nonexistent")]
    specs.append(NodeSpec("hung", transport=TransportKind.LOCAL, command_timeout=1.0))

    def factory(spec: NodeSpec) -> Transport:
        return HungTransport(spec) if spec.name == "hung" else CountingTransport(spec)

    cluster = Cluster(specs, journal_dir=str(tmp_path / "j"), transport_factory=factory)
    await cluster.start()
    try:
        await asyncio.wait_for(cluster.refresh("hn1"), 10)
        snapshots = cluster.snapshots()
        assert snapshots["hn1"].health is NodeHealth.UP
        await wait_for(lambda: cluster.snapshots()["gone"].error != "not polled yet", within=10)
        assert cluster.snapshots()["gone"].health is NodeHealth.UNREACHABLE
        assert "vzlist" in cluster.snapshots()["gone"].error
        await wait_for(lambda: "timed out" in cluster.snapshots()["hung"].error, within=10)
        assert cluster.snapshots()["hung"].health is NodeHealth.UNREACHABLE
        ticks_before = cluster.snapshots()["hn1"].taken_at
        await wait_for(lambda: cluster.snapshots()["hn1"].taken_at > ticks_before, within=5)
    finally:
        await cluster.stop()


async def test_a_node_that_breaks_keeps_its_last_data_marked_stale(tmp_path: Path, sim: dict[str, Path]) -> None:
    h = await make(tmp_path, specs_for({"hn2": sim["hn2"]}))
    try:
        await h.cluster.refresh("hn2")
        assert h.cluster.snapshots()["hn2"].health is NodeHealth.UP
        transport = h.transports["hn2"]
        await transport.inner.close()  # the link is gone: every command now fails to start
        await h.cluster.refresh("hn2")
        stale = h.cluster.snapshots()["hn2"]
        good = [d.snapshot for d in h.recorder.deltas if d.snapshot.health is NodeHealth.UP][-1]
        assert stale.health is NodeHealth.STALE and "transport is closed" in stale.error
        assert stale.containers == good.containers and stale.taken_at == good.taken_at
        assert any(d.health_changed and d.snapshot.health is NodeHealth.STALE for d in h.recorder.deltas)
    finally:
        await h.cluster.stop()


CHILD = textwrap.dedent(
    """
    import asyncio, os, sys
    from vztui.backend.cluster import Cluster
    from vztui.backend.nodespec import NodeSpec, TransportKind
    from vztui.backend.operation import OpRequest

    async def main():
        root = sys.argv[2]
        spec = NodeSpec("hn1", transport=TransportKind.LOCAL, root_prefix=root, path=root + "/bin")
        cluster = Cluster([spec], journal_dir=sys.argv[1])
        await cluster.start()
        await cluster.refresh()
        ctid = int(sys.argv[3])
        op = await cluster.submit(OpRequest("hn1", ("vzctl", "stop", str(ctid)), "stop", ctids=(ctid,)))
        while op.started_at is None:
            await asyncio.sleep(0.01)
        await cluster.journal.drain()
        print("STARTED", flush=True)
        await asyncio.sleep(60)

    asyncio.run(main())
    """
)


async def test_kill_9_mid_operation_is_interrupted_then_reconciled_never_replayed(
    tmp_path: Path, sim: dict[str, Path]
) -> None:
    root = sim["hn1"]
    h = await make(tmp_path / "probe", specs_for({"hn1": root}))
    await h.cluster.refresh()
    ctid = running_ct(h, "hn1")
    await h.cluster.stop()
    env = {**os.environ, "VZTUI_SIM_SPEED": "1"}  # a real-time stop: slow enough to be killed halfway
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "journal"), str(root), str(ctid)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), 30)
        assert line.strip() == "STARTED"
        os.kill(child.pid, signal.SIGKILL)
        await asyncio.to_thread(child.wait, 10)
    finally:
        if child.poll() is None:
            child.kill()
    h2 = await make(tmp_path, specs_for({"hn1": root}))
    try:
        await wait_for(lambda: "Reconciled" in _reason_of(h2, ctid), within=20)
        op = next(op for op in h2.cluster.operations() if op.ctids == (ctid,))
        assert op.state is OpState.INTERRUPTED
        assert f"CT {ctid} is now" in op.reason
        await h2.cluster.journal.drain()
        records = list(h2.cluster.journal.records())
        assert any(r["event"] == "reconciled" and r["ctid"] == ctid and r["status"] for r in records)
        started = [r for r in records if r["event"] == "started"]
        assert len(started) == 1, "the interrupted stop was never re-run"
    finally:
        await h2.cluster.stop()


def _reason_of(h: Harness, ctid: int) -> str:
    return next((op.reason for op in h.cluster.operations() if op.ctids == (ctid,)), "")
