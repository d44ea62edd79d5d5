"""The Cluster over real OpenSSH sshd processes (paramiko): polling simulated nodes with one round trip per tick,
and an operation streamed back over the persistent connection."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.backend.engine_helpers import CountingTransport, Recorder, wait_finished, wait_for
from tests.sshd import BASE_PATH, SshdFactory
from vztui.backend.cluster import Cluster
from vztui.backend.hostkeys import KnownHosts
from vztui.backend.nodespec import NodeSpec
from vztui.backend.operation import OpRequest, OpState
from vztui.backend.snapshot import NodeHealth
from vztui.backend.transport import Transport
from vztui.backend.transports import create_transport

provision = pytest.importorskip("vztui.sim.provision")

pytestmark = pytest.mark.sshd


def make_node(root: Path, running: tuple[int, ...] = (101,)) -> Path:
    node = provision.init_node(root)
    for ctid in (101, 102):
        provision.provision_ct(node, ctid, ostemplate="centos-6-x86_64", settings={"HOSTNAME": f"ct{ctid}.example"})
    env = {**os.environ, "PATH": f"{root / 'bin'}:{os.environ['PATH']}", "VZTUI_SIM_SPEED": "0"}
    for ctid in running:
        subprocess.run(["vzctl", "start", str(ctid)], env=env, check=True, capture_output=True)
    return root


async def test_polls_three_nodes_over_ssh_with_one_round_trip_per_tick(
    sshd_factory: SshdFactory, tmp_path: Path
) -> None:
    roots = {f"hn{i}": make_node(tmp_path / f"hn{i}") for i in (1, 2, 3)}
    home = tmp_path / "home"  # a private HOME keeps the machine's ~/.bashrc out of every command (as tests/sshd.py)
    home.mkdir()
    sshds = {
        name: sshd_factory(
            name,
            bin_dir=root / "bin",
            options={"SetEnv": f"PATH={root / 'bin'}:{BASE_PATH} HOME={home} VZTUI_SIM_SPEED=0"},
        )
        for name, root in roots.items()
    }
    transports: dict[str, CountingTransport] = {}

    def factory(spec: NodeSpec) -> Transport:
        known = KnownHosts(sshds[spec.name].known_hosts, tmp_path / "vztui_known_hosts")
        transports[spec.name] = CountingTransport(spec, create_transport(spec, known_hosts=known))
        return transports[spec.name]

    specs = [sshds[name].spec(root_prefix=str(root), refresh=0.3) for name, root in roots.items()]
    cluster = Cluster(specs, journal_dir=str(tmp_path / "journal"), transport_factory=factory)
    recorder = Recorder()
    cluster.subscribe(recorder)
    await cluster.start()
    try:
        await cluster.refresh()
        for name, snapshot in cluster.snapshots().items():
            assert snapshot.health is NodeHealth.UP, snapshot.error
            assert sorted(snapshot.containers) == [101, 102] and snapshot.containers[101].running
            assert snapshot.containers[101].resources and snapshot.round_trips == 1
            assert cluster.node_info(name) is not None and cluster.node_info(name).hostname == name  # type: ignore[union-attr]

        def polls(name: str) -> int:
            return sum(1 for kind, argv in transports[name].calls if kind == "run" and "vzlist -a -j" in argv[2])

        before = {name: polls(name) for name in roots}
        await wait_for(lambda: all(polls(name) >= before[name] + 3 for name in roots), within=30)
        cluster.set_paused(True)
        await cluster.refresh()  # no poll in flight from here on: every session has been logged by sshd
        for transport in transports.values():
            assert all(kind == "run" for kind, _ in transport.calls), "a tick is one run(), nothing else"
            assert len(transport.calls) == polls(transport.node) + 1, "plus the one static read at connect"
        ticks = {name: sum(1 for d in recorder.deltas if d.node == name) for name in roots}
        for name, server in sshds.items():
            # What the server saw, independent of anything vztui counts: one login, then one command per tick.
            assert server.log.count("Accepted publickey for ") == 1, server.log
            assert server.log.count("Starting session: command for ") == ticks[name] + 1, (ticks[name], server.log)
        cluster.set_paused(False)

        op = await cluster.submit(OpRequest("hn2", ("vzctl", "stop", "101"), "stop", ctids=(101,)))
        await wait_finished([op])
        assert op.state is OpState.SUCCEEDED, op.reason
        assert any("Container was stopped" in line.text for line in cluster.output(op.id))
        await wait_for(lambda: not cluster.snapshots()["hn2"].containers[101].running, within=10)
    finally:
        await cluster.stop()
