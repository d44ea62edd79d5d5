"""The simulator's tools reached over a real sshd: what the poller and the queue will do against a node."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import paramiko
import pytest

from tests.sshd import SshdNode
from vztui.backend.hostkeys import KnownHosts
from vztui.backend.nodespec import TransportKind
from vztui.backend.transport import ExitStatus, OutputLine
from vztui.backend.transports import create_transport
from vztui.backend.transports.paramiko_ssh import ParamikoTransport

pytestmark = pytest.mark.sshd

sim_provision = pytest.importorskip("vztui.sim.provision")


@pytest.fixture
def sim_nodes(tmp_path: Path) -> dict[str, Path]:
    roots = {}
    for name in ("hn1", "hn2"):
        node = sim_provision.init_node(tmp_path / "cluster" / name)
        roots[name] = node.root
    return roots


async def test_sim_tools_answer_over_ssh_on_every_node(
    sim_nodes: dict[str, Path],
    sshd_cluster: Callable[[Mapping[str, Path]], dict[str, SshdNode]],
    tmp_path: Path,
) -> None:
    nodes = sshd_cluster(sim_nodes)
    for name, node in nodes.items():
        ssh = ParamikoTransport(
            node.spec(),
            known_hosts=KnownHosts(node.known_hosts, tmp_path / "vztui"),
            ssh_config=paramiko.SSHConfig(),
            use_agent=False,
        )
        try:
            listing = await ssh.run(["vzlist", "-a", "-j"])
            assert listing.ok, listing.stderr_text
            assert isinstance(json.loads(listing.stdout), list)
            vzconf = await ssh.read_file("/etc/vz/vz.conf")
            assert vzconf == (sim_nodes[name] / "etc" / "vz" / "vz.conf").read_bytes()
            events = [e async for e in ssh.stream(["vzctl", "status", "101"])]
            assert isinstance(events[-1], ExitStatus)
            assert any(isinstance(e, OutputLine) for e in events)
        finally:
            await ssh.close()


async def test_local_transport_reaches_the_same_sim_node(sim_nodes: dict[str, Path]) -> None:
    from vztui.backend.nodespec import NodeSpec

    root = sim_nodes["hn1"]
    local = create_transport(
        NodeSpec("hn1", transport=TransportKind.LOCAL, root_prefix=str(root), path=str(root / "bin"))
    )
    try:
        listing = await local.run(["vzlist", "-a", "-j"])
        assert listing.ok and isinstance(json.loads(listing.stdout), list)
        assert await local.read_file("/etc/vz/vz.conf") == (root / "etc" / "vz" / "vz.conf").read_bytes()
    finally:
        await local.close()
