"""NodePoller and the snapshot assembler over a simulated node: what a tick contains, what is reused between ticks,
and how broken sections degrade."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from tests.backend.engine_helpers import CountingTransport
from vztui.backend.assemble import SnapshotAssembler
from vztui.backend.batch import Section, new_nonce, poll_argv, split_sections
from vztui.backend.delta import compute_delta
from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.backend.poller import NodePoller
from vztui.backend.snapshot import NodeDelta, NodeHealth
from vztui.openvz.models import CtStatus

provision = pytest.importorskip("vztui.sim.provision")


@pytest.fixture(scope="module")
def node_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    os.environ["VZTUI_SIM_SPEED"] = "0"
    root = tmp_path_factory.mktemp("sim") / "hn1"
    node = provision.init_node(root)
    for ctid in (101, 102, 103):
        provision.provision_ct(node, ctid, ostemplate="centos-6-x86_64", settings={"HOSTNAME": f"ct{ctid}.example.com"})
    env = {**os.environ, "PATH": f"{root / 'bin'}:{os.environ['PATH']}"}
    for ctid in (101, 102):
        subprocess.run(["vzctl", "start", str(ctid)], env=env, check=True, capture_output=True)
    yield root


def capture(root: Path) -> Mapping[str, Section]:
    nonce = new_nonce()
    env = {**os.environ, "PATH": f"{root / 'bin'}:{os.environ['PATH']}"}
    done = subprocess.run(
        poll_argv(str(root), str(root / "vz"), nonce), env=env, capture_output=True, text=True, check=False
    )
    return split_sections(done.stdout, done.stderr, nonce)


def spec(root: Path) -> NodeSpec:
    return NodeSpec("hn1", transport=TransportKind.LOCAL, root_prefix=str(root), path=str(root / "bin"), refresh=0.2)


async def test_a_tick_merges_proc_values_into_containers(node_root: Path) -> None:
    deltas: list[NodeDelta] = []
    transport = CountingTransport(spec(node_root))
    poller = NodePoller(spec(node_root), transport, on_delta=deltas.append)
    try:
        await poller.refresh_static()
        first = await poller.poll_once()
        await asyncio.sleep(0.6)  # the simulated kernel updates /proc at most every 0.5 s
        second = await poller.poll_once()
    finally:
        await transport.close()
    snap = second.snapshot
    assert snap.health is NodeHealth.UP and snap.error == "" and snap.round_trips == 1
    assert sorted(snap.containers) == [101, 102, 103]
    assert first.appeared == {101, 102, 103}
    running = snap.containers[101]
    assert running.status is CtStatus.RUNNING and running.hostname == "ct101.example.com"
    assert {"kmemsize", "physpages", "swappages", "numproc"} <= set(running.resources)
    assert running.numproc == running.resources["numproc"].held
    assert snap.containers[103].status is CtStatus.STOPPED and not snap.containers[103].resources
    assert set(snap.vestat) >= {101, 102} and set(snap.cpu_percent) >= {101, 102}
    assert set(snap.started_at) == {101, 102}
    assert snap.started_at == first.snapshot.started_at, "start times are stable across ticks"
    assert snap.uptime(101) is not None and snap.uptime(103) is None
    assert snap.meminfo is not None and snap.meminfo.total > 0
    assert snap.loadavg is not None and snap.filesystems
    assert poller.info is not None and "vswap-256m" in poller.info.samples
    assert poller.info.capacity.cpus > 0 and poller.info.capacity.ram_bytes > 0
    assert poller.info.hostname == "hn1" and poller.info.vzctl_version == "4.11.1"
    assert poller.info.kernel.startswith("2.6.32-042stab")
    polls = [argv for kind, argv in transport.calls if kind == "run" and argv[:2] == ("sh", "-c")]
    assert len(polls) == 3, "one static read + exactly one command per tick"


def test_unchanged_cts_keep_their_container_objects(node_root: Path) -> None:
    sections = dict(capture(node_root))
    assembler = SnapshotAssembler("hn1")
    first = assembler.build(sections, prev=None)
    # Next tick: only CT 102's kmemsize held value moved.
    bc = sections["beancounters"]
    head, marker, rest = bc.text.partition("     102:")
    line_end = rest.index("\n")
    fields = rest[:line_end].split()
    assert fields[0] == "kmemsize"
    moved = rest[:line_end].replace(fields[1], str(int(fields[1]) + 4096), 1)
    sections["beancounters"] = replace(bc, text=head + marker + moved + rest[line_end:])
    second = assembler.build(sections, prev=first)
    assert second.containers[101] is first.containers[101]
    assert second.containers[103] is first.containers[103]
    assert second.containers[102] is not first.containers[102]
    assert second.containers[102].resources["kmemsize"].held == first.containers[102].resources["kmemsize"].held + 4096
    delta = compute_delta(first, second)
    assert set(delta.changed) >= {102} and "resources" in delta.changed[102]
    assert 101 not in delta.changed or delta.changed[101] == {"cpu_percent"}


def test_a_broken_section_keeps_the_previous_value_and_names_the_problem(node_root: Path) -> None:
    sections = dict(capture(node_root))
    assembler = SnapshotAssembler("hn1")
    good = assembler.build(sections, prev=None)
    sections["meminfo"] = replace(sections["meminfo"], text="", exit_code=1, stderr="cat: meminfo: Input/output error")
    sections["vestat"] = replace(sections["vestat"], text="garbage\x00\n")
    degraded = assembler.build(sections, prev=good)
    assert degraded.health is NodeHealth.UP
    assert "meminfo: exit 1: cat: meminfo: Input/output error" in degraded.error
    assert "vestat" in degraded.error
    assert degraded.meminfo == good.meminfo
    assert degraded.containers.keys() == good.containers.keys()


def test_a_failed_vzlist_marks_the_node_stale_but_keeps_the_containers(node_root: Path) -> None:
    sections = dict(capture(node_root))
    assembler = SnapshotAssembler("hn1")
    good = assembler.build(sections, prev=None)
    sections["vzlist"] = replace(sections["vzlist"], text="", exit_code=1, stderr="vzlist: Unable to open")
    stale = assembler.build(sections, prev=good)
    assert stale.health is NodeHealth.STALE and "vzlist: exit 1" in stale.error
    assert dict(stale.containers) == dict(good.containers)


async def test_refresh_while_paused_still_polls(node_root: Path) -> None:
    deltas: list[NodeDelta] = []
    transport = CountingTransport(spec(node_root))
    poller = NodePoller(spec(node_root), transport, on_delta=deltas.append)
    poller.set_paused(True)
    poller.start()
    try:
        snapshot = await poller.refresh()
        assert snapshot.health is NodeHealth.UP
        ticks = poller.ticks
        await poller.refresh()
        assert poller.ticks == ticks + 1
    finally:
        await poller.stop()
        await transport.close()
