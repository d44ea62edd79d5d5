"""Cluster.ploop_snapshots (added for the CT detail screen) against the simulator through the local transport."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from vztui.backend.cluster import Cluster, CommandFailedError
from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.openvz.models import Layout
from vztui.sim.cluster import build_cluster


async def test_ploop_snapshots_lists_parsed_snapshots_and_explains_simfs_refusal(tmp_path: Path) -> None:
    sim = build_cluster(tmp_path / "sim", nodes=1)
    name, root = next(iter(sim.nodes.items()))
    spec = NodeSpec(name, transport=TransportKind.LOCAL, root_prefix=str(root), path=str(root / "bin"))
    async with Cluster([spec], journal_dir=str(tmp_path / "journal")) as cluster:
        await cluster.refresh()
        containers = list(cluster.snapshots()[name].containers.values())
        ploop = next(ct for ct in containers if ct.layout is Layout.PLOOP)
        simfs = next(ct for ct in containers if ct.layout is Layout.SIMFS)
        assert await cluster.ploop_snapshots(name, ploop.ctid) == []

        env = dict(os.environ, PATH=f"{root / 'bin'}:{os.environ['PATH']}")
        subprocess.run(
            ["vzctl", "snapshot", str(ploop.ctid), "--name", "before upgrade"], env=env, check=True, capture_output=True
        )
        (found,) = await cluster.ploop_snapshots(name, ploop.ctid)
        assert found.name == "before upgrade" and found.current and found.uuid.startswith("{")

        with pytest.raises(CommandFailedError) as failure:
            await cluster.ploop_snapshots(name, simfs.ctid)
        message = str(failure.value)
        assert message.startswith(f"{name}: vzctl snapshot-list {simfs.ctid}: exit ")
        assert "ploop" in message
