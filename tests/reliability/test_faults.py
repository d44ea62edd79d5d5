"""Faults on real sshd processes serving simulated nodes: a node killed or frozen mid-operation and mid-poll, a node
refusing the login, a node answering garbage. Each time the operation ends within its timeout with the reason, the
other node keeps refreshing, and the node comes back by itself when it returns."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.reliability.conftest import local_spec, node_state, trust_in_home, vzlist_truth
from tests.sshd import BASE_PATH, SshdFactory, SshdNode
from vztui.backend.cluster import Cluster
from vztui.backend.nodespec import TransportKind
from vztui.backend.operation import Operation, OpRequest, OpState
from vztui.backend.snapshot import NodeHealth

SLOW = "5"
"""VZTUI_SIM_SPEED on the faulty node: its vzctl restart takes ~10 s, long enough to be cut off in the middle."""


@dataclass
class Rig:
    cluster: Cluster
    nodes: dict[str, SshdNode]
    roots: dict[str, Path]

    def snapshot_time(self, node: str) -> float:
        return self.cluster.snapshots()[node].taken_at

    def health(self, node: str) -> NodeHealth:
        return self.cluster.snapshots()[node].health


async def until(predicate: Callable[[], bool], within: float, what: str) -> float:
    """Wait for ``predicate``; return how long it took (fails the test after ``within`` seconds)."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > within:
            raise AssertionError(f"not within {within:g} s: {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


@pytest.fixture(params=[TransportKind.PARAMIKO, pytest.param(TransportKind.OPENSSH, marks=pytest.mark.slow)])
def transport(request: pytest.FixtureRequest) -> TransportKind:
    kind: TransportKind = request.param
    return kind


@pytest.fixture
async def rig(
    sshd_factory: SshdFactory, sim: dict[str, Path], home: Path, tmp_path: Path, transport: TransportKind
) -> AsyncIterator[Rig]:
    """hn1 (slow vzctl) and hn2 behind real sshds, polled every 0.3 s with short timeouts."""
    nodes: dict[str, SshdNode] = {}
    for name, root in sim.items():
        speed = SLOW if name == "hn1" else "0"
        env = f"PATH={root / 'bin'}:{BASE_PATH} HOME={home} VZTUI_SIM_SPEED={speed}"
        nodes[name] = sshd_factory(name, root=root, options={"SetEnv": env})
    trust_in_home(home, *nodes.values())
    specs = [
        node.spec(transport=transport, refresh=0.3, connect_timeout=2.0, command_timeout=3.0) for node in nodes.values()
    ]
    cluster = Cluster(specs, journal_dir=str(tmp_path / "journal"))
    await cluster.start()
    try:
        await until(lambda: all(s.health is NodeHealth.UP for s in cluster.snapshots().values()), 20, "both nodes up")
        yield Rig(cluster, nodes, sim)
    finally:
        for node in nodes.values():
            node.thaw()
        await cluster.stop()


async def _still_refreshing(rig: Rig, node: str, polls: int = 3) -> None:
    """``node`` takes ``polls`` more snapshots, all UP, while the other one is in trouble."""
    for _ in range(polls):
        seen = rig.snapshot_time(node)
        await until(lambda seen=seen: rig.snapshot_time(node) > seen, 5, f"{node} keeps refreshing")  # type: ignore[misc]
        assert rig.health(node) is NodeHealth.UP


async def _running_with_output(rig: Rig, op: Operation) -> None:
    await until(lambda: op.state is OpState.RUNNING and op.output_lines > 0, 15, "the operation to be under way")


@pytest.mark.parametrize("transport", [TransportKind.PARAMIKO, TransportKind.OPENSSH], indirect=True)
async def test_sshd_killed_mid_operation_interrupts_it_and_the_node_comes_back(rig: Rig) -> None:
    op = await rig.cluster.submit(
        OpRequest(node="hn1", argv=("vzctl", "restart", "101"), kind="restart", ctids=(101,), timeout=60)
    )
    await _running_with_output(rig, op)
    rig.nodes["hn1"].kill()
    took = await until(lambda: op.state.finished, 10, "the operation to end after its node died")
    assert op.state is OpState.INTERRUPTED, (op.state, op.reason)
    assert "hn1" in op.reason and "lost" in op.reason, op.reason
    assert took < 10
    await _still_refreshing(rig, "hn2")
    await until(lambda: rig.health("hn1") is not NodeHealth.UP, 10, "hn1 to be reported down")
    assert rig.cluster.snapshots()["hn1"].error
    rig.nodes["hn1"].start()
    await until(lambda: rig.health("hn1") is NodeHealth.UP, 20, "hn1 to reconnect after sshd came back")


async def test_sshd_frozen_mid_operation_ends_it_within_its_timeout(rig: Rig) -> None:
    op = await rig.cluster.submit(
        OpRequest(node="hn1", argv=("vzctl", "restart", "102"), kind="restart", ctids=(102,), timeout=3)
    )
    await _running_with_output(rig, op)
    rig.nodes["hn1"].freeze()
    frozen_at = time.time()
    started = op.started_at or frozen_at
    await until(lambda: op.state.finished, 12, "the operation to end while its node is frozen")
    assert op.state in (OpState.FAILED, OpState.INTERRUPTED), op.reason
    assert "timed out" in op.reason or "lost hn1" in op.reason, op.reason
    assert (op.finished_at or 0) - started < 3 + 6, "ended within its timeout plus the kill grace"
    await _still_refreshing(rig, "hn2")
    # Meanwhile the frozen node's polls fail too: stale, with the reason, and no data invented.
    await until(lambda: rig.health("hn1") is not NodeHealth.UP, 10, "hn1 to be reported stale")
    assert rig.cluster.snapshots()["hn1"].error
    assert rig.cluster.snapshots()["hn1"].taken_at <= frozen_at + 0.5
    rig.nodes["hn1"].thaw()
    await until(lambda: rig.health("hn1") is NodeHealth.UP, 20, "hn1 to be polled again after thawing")


@pytest.mark.slow
async def test_sshd_frozen_mid_poll_marks_the_node_stale_while_the_other_refreshes(rig: Rig) -> None:
    rig.nodes["hn1"].freeze()
    frozen_at = time.time()
    await _still_refreshing(rig, "hn2", polls=5)
    await until(lambda: rig.health("hn1") is not NodeHealth.UP, 10, "hn1 to be reported stale")
    snapshot = rig.cluster.snapshots()["hn1"]
    assert snapshot.error, "the reason is shown"
    assert snapshot.taken_at <= frozen_at + 1, "no fresh data is invented for a frozen node"
    rig.nodes["hn1"].thaw()
    await until(lambda: rig.health("hn1") is NodeHealth.UP, 20, "hn1 to recover after thawing")
    assert rig.cluster.snapshots()["hn1"].taken_at > frozen_at


@pytest.mark.parametrize("kind", [TransportKind.PARAMIKO, TransportKind.OPENSSH])
async def test_a_node_refusing_the_login_fails_operations_with_the_reason_and_runs_nothing(
    sshd_factory: SshdFactory, sim: dict[str, Path], home: Path, tmp_path: Path, kind: TransportKind
) -> None:
    locked = sshd_factory("hn1", root=sim["hn1"], options={"AuthorizedKeysFile": str(tmp_path / "nobody")})
    trust_in_home(home, locked)
    before = node_state(sim["hn1"])
    spec = locked.spec(transport=kind, refresh=0.3, connect_timeout=2.0)
    cluster = Cluster([spec], journal_dir=str(tmp_path / "journal"))
    await cluster.start()
    try:
        await until(lambda: "refused" in cluster.snapshots()["hn1"].error, 10, "the poll to report the refusal")
        op = await cluster.submit(OpRequest(node="hn1", argv=("vzctl", "stop", "101"), kind="stop", ctids=(101,)))
        await until(lambda: op.state.finished, 10, "the operation to fail")
    finally:
        await cluster.stop()
    assert cluster.snapshots()["hn1"].health is not NodeHealth.UP
    assert "refused" in cluster.snapshots()["hn1"].error
    assert op.state is OpState.FAILED and "refused" in op.reason, (op.state, op.reason)
    assert "outcome unknown" not in op.reason, "a refused login sent nothing"
    assert node_state(sim["hn1"]) == before
    assert vzlist_truth(sim["hn1"])[101] == "running"


GARBAGE = {
    "binary": "#!/bin/sh\nhead -c 4096 /dev/urandom\n",
    "json-ish": '#!/bin/sh\necho \'[{"ctid": "not a number", "status": 7}, {"ctid": 18446744073709551615}]\'\n',
    "truncated": '#!/bin/sh\nprintf \'[{"ctid": 101, "status": "runn\'\n',
    "escapes": "#!/bin/sh\nprintf '\\033]52;c;cm0gLXJmIH4=\\007\\033]0;pwned\\007[bold]x[/bold]\\n'\n",
    "banner": "#!/bin/sh\necho 'Welcome to hn1! Last login: never'\necho '*** maintenance tonight ***'\n",
    "huge-line": "#!/bin/sh\nhead -c 1100000 /dev/zero | tr '\\\\0' x\n",
    "crash": "#!/bin/sh\necho 'Segmentation fault' >&2\nexit 139\n",
}


async def test_nodes_answering_garbage_are_reported_and_the_others_keep_working(
    sim: dict[str, Path], tmp_path: Path
) -> None:
    """One node per kind of garbage (a fake vzlist first on PATH), all beside one healthy node."""
    specs = [local_spec("hn2", sim["hn2"], refresh=0.2)]
    for kind, script in GARBAGE.items():
        broken = tmp_path / f"broken-{kind}"
        broken.mkdir()
        (broken / "vzlist").write_text(script)
        (broken / "vzlist").chmod(0o755)
        specs.append(local_spec(kind, sim["hn1"], refresh=0.2, path=f"{broken}:{sim['hn1'] / 'bin'}"))
    cluster = Cluster(specs, journal_dir=str(tmp_path / "journal"))
    await cluster.start()
    try:
        snapshots = cluster.snapshots
        await until(lambda: snapshots()["hn2"].health is NodeHealth.UP, 10, "hn2 up")

        def polled(kind: str) -> bool:
            return snapshots()[kind].error not in ("", "not polled yet")

        await until(lambda: all(polled(kind) for kind in GARBAGE), 15, "every garbage node reported")
        first = snapshots()["hn2"].taken_at
        await until(lambda: snapshots()["hn2"].taken_at > first, 5, "hn2 to keep refreshing")
        for kind in GARBAGE:
            broken_node = snapshots()[kind]
            assert broken_node.health is not NodeHealth.UP, kind
            assert not broken_node.containers, f"{kind}: nothing is made up from garbage"
            assert broken_node.error.startswith("vzlist: "), f"{kind}: {broken_node.error}"
            assert len(broken_node.error) < 2000, f"{kind}: the reason is a message, not the garbage itself"
            assert "\x1b" not in broken_node.error and "\x07" not in broken_node.error, kind
        op = await cluster.submit(OpRequest(node="hn2", argv=("vzctl", "stop", "107"), kind="stop", ctids=(107,)))
        await until(lambda: op.state.finished, 10, "an operation on the healthy node")
        assert op.state is OpState.SUCCEEDED, op.reason
    finally:
        await cluster.stop()
