"""A deterministic in-memory engine for the UI benchmarks: 10,000 CTs on 50 nodes, ticks that change a chosen
share of the table, and exact control of which cells change (``ClusterApi`` for ``VztuiApp``).

Why a fake: the UI measures must count the UI's work only. The deltas are computed with the engine's own
``compute_delta`` *before* they are delivered, so the UI sees exactly what the real engine would send, and the
engine's cost (``tick_cpu_10k``) is not counted twice.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from tests.ui.fake_cluster import GIB, NOW, FakeCluster
from vztui.backend.delta import NearCache, compute_delta
from vztui.backend.snapshot import NodeDelta, NodeHealth, NodeSnapshot
from vztui.openvz.models import Beancounter, Container, CtStatus, DiskUsage, Layout, MemInfo
from vztui.openvz.resources import BC_RESOURCES_ORDER
from vztui.openvz.units import LONG_MAX

RESOURCES: tuple[str, ...] = BC_RESOURCES_ORDER
"""The beancounters a vSwap kernel reports per CT (so the app's memory holds what a real tick holds)."""
TEMPLATES = ("centos-7-x86_64", "debian-11-x86_64", "ubuntu-22.04-x86_64", "centos-6-x86_64")
CHANGING_COLUMNS = 3
"""Cells a "changed" running CT changes: CPU %, RAM held and Procs (what moves on a live node)."""


def node_names(nodes: int) -> list[str]:
    return [f"hn{index:02d}" for index in range(1, nodes + 1)]


def _resources(rng: random.Random, physpages: int) -> Mapping[str, Beancounter]:
    bcs = {}
    for name in RESOURCES:
        if name == "physpages":
            bcs[name] = Beancounter(name, physpages, physpages + 512, 0, 262_144, 0)
        elif name == "numproc":
            bcs[name] = Beancounter(name, 40, 80, LONG_MAX, LONG_MAX, 0)
        else:
            held = rng.randrange(0, 50_000)
            bcs[name] = Beancounter(name, held, held + rng.randrange(0, 500), LONG_MAX, LONG_MAX, 0)
    return MappingProxyType(bcs)


def make_container(rng: random.Random, ctid: int, index: int) -> Container:
    running = index % 7 != 0
    return Container(
        ctid=ctid,
        status=CtStatus.RUNNING if running else CtStatus.STOPPED,
        name=f"web{ctid}" if index % 3 else None,
        hostname=f"ct{ctid}.hosting.example.com",
        ips=(f"10.{ctid // 65_536 % 256}.{ctid // 256 % 256}.{ctid % 256}",),
        ostemplate=TEMPLATES[index % len(TEMPLATES)],
        layout=Layout.PLOOP if index % 5 else Layout.SIMFS,
        onboot=True,
        numproc=rng.randrange(10, 200) if running else None,
        cpus=2,
        cpuunits=1000,
        diskspace=DiskUsage(rng.randrange(500_000, 9_000_000), 10_485_760, 11_534_336),
        vswap=True,
        resources=_resources(rng, rng.randrange(10_000, 200_000)),
    )


class FakeEngine(FakeCluster):
    """The tests' fake ``ClusterApi`` over generated data. ``next_deltas`` prepares one tick (all nodes) without
    delivering it; ``deliver`` hands the deltas to the listeners the way the engine does (``on_delta`` on the event
    loop). Read-only by default: a benchmark runs no operations."""

    def __init__(self, *, nodes: int = 50, per_node: int = 200, seed: int = 1, read_only: bool = True) -> None:
        super().__init__(read_only=read_only)
        self._rng = random.Random(seed)
        self._near: dict[str, NearCache] = {}
        self._ticks = 0
        for number, node in enumerate(node_names(nodes)):
            cts = {}
            for index in range(per_node):
                ctid = 1000 + number * per_node + index
                cts[ctid] = make_container(self._rng, ctid, index)
            snapshot = NodeSnapshot(
                node=node,
                taken_at=NOW,
                health=NodeHealth.UP,
                containers=MappingProxyType(cts),
                cpu_percent=MappingProxyType({c: 1.0 for c, ct in cts.items() if ct.running}),
                started_at=MappingProxyType({c: NOW - 86_400 - c for c, ct in cts.items() if ct.running}),
                meminfo=MemInfo(256 * GIB, 100 * GIB, 150 * GIB, 64 * GIB, 60 * GIB),
            )
            near: NearCache = {}
            compute_delta(None, snapshot, near_cache=near)
            self.node_snapshots[node] = snapshot
            self._near[node] = near

    @property
    def total(self) -> int:
        return sum(len(snapshot.containers) for snapshot in self.node_snapshots.values())

    def running_keys(self) -> list[tuple[str, int]]:
        return [
            (name, ctid)
            for name, snapshot in self.node_snapshots.items()
            for ctid, ct in snapshot.containers.items()
            if ct.running
        ]

    def next_deltas(self, changes: Mapping[str, Sequence[int]], *, light: bool = False) -> list[NodeDelta]:
        """One tick of every node: the CTs in ``changes`` get new CPU %, RAM held and numproc (three cells), or
        with ``light`` only CPU % and numproc (two cells); other nodes and CTs are unchanged (an empty delta, as the
        poller sends every tick)."""
        self._ticks += 1
        deltas = []
        taken = NOW + 2.0 * self._ticks
        for name, prev in self.node_snapshots.items():
            ctids = changes.get(name, ())
            cts = dict(prev.containers)
            cpu = dict(prev.cpu_percent)
            for ctid in ctids:
                cpu[ctid] = round((ctid * 7 + self._ticks * 13) % 1000 / 10, 1)
                ct = cts[ctid]
                numproc = 10 + (ctid + self._ticks) % 190
                if light:
                    cts[ctid] = replace(ct, numproc=numproc)
                    continue
                bcs = dict(ct.resources)
                phys = bcs["physpages"]
                held = 10_000 + (phys.held + 997 * self._ticks + ctid) % 190_000
                bcs["physpages"] = replace(phys, held=held, maxheld=max(phys.maxheld, held))
                cts[ctid] = replace(ct, numproc=numproc, resources=MappingProxyType(bcs))
            snapshot = replace(
                prev, taken_at=taken, containers=MappingProxyType(cts), cpu_percent=MappingProxyType(cpu)
            )
            deltas.append(compute_delta(prev, snapshot, near_cache=self._near[name]))
            self.node_snapshots[name] = snapshot
        return deltas

    def random_changes(self, count: int) -> dict[str, list[int]]:
        """``count`` running CTs chosen by the seeded generator, grouped by node."""
        chosen = self._rng.sample(self.running_keys(), count)
        grouped: dict[str, list[int]] = {}
        for node, ctid in chosen:
            grouped.setdefault(node, []).append(ctid)
        return grouped

    def deliver(self, deltas: Sequence[NodeDelta]) -> None:
        for delta in deltas:
            for listener in self.listeners:
                listener.on_delta(delta)

    def deliver_soon(self, deltas: Sequence[NodeDelta]) -> None:
        """Each node's delta in its own event-loop callback, as each NodePoller task calls ``on_delta``."""
        loop = asyncio.get_running_loop()
        for delta in deltas:
            loop.call_soon(self.deliver, (delta,))


def make_app(engine: FakeEngine) -> Any:
    """The real dashboard over ``engine``, clock frozen at ``NOW`` (uptimes do not change during a run)."""
    from vztui.ui.app import VztuiApp

    return VztuiApp(
        engine,
        cluster_name="bench",
        read_only=True,
        keymap={},
        theme="textual-dark",
        clock=lambda: NOW,
        start_cluster=False,
    )
