"""Test harness for the dashboard shell: a deterministic fake ClusterApi fed with hand-made snapshots, and a small
seeded simulated cluster driven by the real engine over the local transport.

The fake computes deltas with the engine's own ``compute_delta``, so the table sees exactly what it would see live.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from vztui.backend.delta import compute_delta
from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.backend.operation import Operation, OpRequest
from vztui.backend.snapshot import NodeDelta, NodeHealth, NodeSnapshot
from vztui.backend.transport import CommandResult, OutputLine, Transport
from vztui.openvz.models import (
    Beancounter,
    Container,
    CtConfig,
    CtStatus,
    DiskUsage,
    Layout,
    MemInfo,
    NodeInfo,
    PloopSnapshot,
)
from vztui.openvz.units import LONG_MAX
from vztui.ui.app import VztuiApp

NOW = 1_790_000_000.0
"""The frozen wall clock of these tests (2026-09-21 14:13:20 UTC)."""
GIB = 1024**3


def clock() -> float:
    return NOW


def resources(*, physpages: int = 20_000, ram_pages: int = 65_536, phys_fail: int = 0) -> dict[str, Beancounter]:
    return {
        "numproc": Beancounter("numproc", 40, 60, LONG_MAX, LONG_MAX, 0),
        "physpages": Beancounter("physpages", physpages, physpages + 10, 0, ram_pages, phys_fail),
        "swappages": Beancounter("swappages", 0, 0, 0, ram_pages, 0),
    }


def container(
    ctid: int,
    *,
    name: str | None = None,
    hostname: str | None = None,
    status: CtStatus = CtStatus.RUNNING,
    ips: tuple[str, ...] | None = None,
    physpages: int = 20_000,
    phys_fail: int = 0,
    numproc: int | None = 40,
    description: str | None = None,
) -> Container:
    return Container(
        ctid=ctid,
        status=status,
        name=name,
        hostname=hostname if hostname is not None else f"ct{ctid}.example.org",
        description=description,
        ips=ips if ips is not None else (f"10.0.{ctid // 250}.{ctid % 250}",),
        ostemplate="centos-6-x86_64",
        layout=Layout.PLOOP,
        numproc=numproc if status is CtStatus.RUNNING else None,
        diskspace=DiskUsage(1_200_000, 10_485_760, 11_534_336),
        resources=MappingProxyType(resources(physpages=physpages, phys_fail=phys_fail)),
    )


def snapshot(
    node: str,
    containers: Iterable[Container],
    *,
    health: NodeHealth = NodeHealth.UP,
    cpu: Mapping[int, float] | None = None,
    taken_at: float = NOW,
    error: str = "",
) -> NodeSnapshot:
    cts = {ct.ctid: ct for ct in containers}
    return NodeSnapshot(
        node=node,
        taken_at=taken_at,
        health=health,
        containers=MappingProxyType(cts),
        cpu_percent=MappingProxyType(dict(cpu) if cpu is not None else dict.fromkeys(cts, 5.0)),
        started_at=MappingProxyType({ctid: NOW - 3 * 3600 - ctid for ctid, ct in cts.items() if ct.running}),
        meminfo=MemInfo(32 * GIB, 12 * GIB, 20 * GIB, 8 * GIB, 7 * GIB),
        error=error,
    )


def standard_snapshots() -> dict[str, NodeSnapshot]:
    """Two nodes, eight CTs: names, a stopped CT, several IPs, one CT near its RAM limit (the failing view)."""
    hn1 = [
        container(101, name="web101", hostname="web1.example.com", ips=("10.1.0.101", "10.1.1.101")),
        container(102, name="db102", hostname="db.example.com", physpages=62_000),
        container(103, hostname="mail.example.com", status=CtStatus.STOPPED),
        container(104, name="shop", hostname="shop.example.com", physpages=40_000),
    ]
    hn2 = [
        container(201, name="ci201", hostname="ci.hosting.local"),
        container(202, hostname="ns2.example.com"),
        container(203, name="wiki", hostname="wiki.example.com", physpages=30_000),
        container(204, hostname="vpn.example.com", status=CtStatus.STOPPED),
    ]
    cpu1 = {101: 12.5, 102: 40.0, 104: 5.0}
    cpu2 = {201: 5.0, 202: 1.0, 203: 5.0}
    return {"hn1": snapshot("hn1", hn1, cpu=cpu1), "hn2": snapshot("hn2", hn2, cpu=cpu2)}


class FakeCluster:
    """An in-memory ClusterApi: ``push`` a new snapshot of a node and every listener gets the delta."""

    def __init__(self, snapshots: Mapping[str, NodeSnapshot], *, read_only: bool = False) -> None:
        self.read_only = read_only
        self._snapshots: dict[str, NodeSnapshot] = dict(snapshots)
        self._listeners: list[Any] = []
        self._paused = False
        self.started = 0
        self.stopped = 0
        self.refreshed: list[str | None] = []
        self.static_refreshed: list[str] = []
        self.submitted: list[OpRequest] = []
        self.refresh_error: Exception | None = None
        self.ops: list[Operation] = []
        """What ``operations()`` returns (tests put queued or running operations here)."""

    async def start(self) -> None:
        self.started += 1

    async def stop(self) -> None:
        self.stopped += 1

    @property
    def nodes(self) -> tuple[str, ...]:
        return tuple(self._snapshots)

    @property
    def paused(self) -> bool:
        return self._paused

    def snapshots(self) -> Mapping[str, NodeSnapshot]:
        return MappingProxyType(dict(self._snapshots))

    def subscribe(self, listener: Any) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def push(self, new: NodeSnapshot) -> NodeDelta:
        delta = compute_delta(self._snapshots.get(new.node), new)
        self._snapshots[new.node] = new
        for listener in list(self._listeners):
            listener.on_delta(delta)
        return delta

    def update(self, node: str, *changed: Container, **overrides: Any) -> NodeDelta:
        """Push ``node``'s current snapshot with ``changed`` containers replaced (or added)."""
        old = self._snapshots[node]
        cts = dict(old.containers)
        for ct in changed:
            cts[ct.ctid] = ct
        return self.push(replace(old, containers=MappingProxyType(cts), **overrides))

    async def refresh_static(self, node: str) -> NodeInfo | None:
        self.static_refreshed.append(node)
        return self.node_info(node)

    async def refresh(self, node: str | None = None) -> None:
        self.refreshed.append(node)
        if self.refresh_error is not None:
            raise self.refresh_error

    def set_paused(self, paused: bool) -> None:
        self._paused = paused

    async def submit(self, request: OpRequest) -> Operation:
        self.submitted.append(request)
        raise RuntimeError("the fake cluster runs nothing")

    async def submit_plan(self, requests: Sequence[OpRequest]) -> list[Operation]:
        self.submitted.extend(requests)
        raise RuntimeError("the fake cluster runs nothing")

    async def cancel(self, op_id: str) -> bool:
        return False

    async def retry(self, op_id: str) -> Operation:
        raise KeyError(op_id)

    def operations(self) -> list[Operation]:
        return list(self.ops)

    def output(self, op_id: str) -> list[OutputLine]:
        return []

    def history(self, node: str, ctid: int, resource: str) -> Sequence[int]:
        return ()

    def node_info(self, node: str) -> NodeInfo | None:
        return None

    async def read_ct_config(self, node: str, ctid: int) -> CtConfig:
        return CtConfig(ctid, MappingProxyType({"HOSTNAME": f"ct{ctid}"}))

    async def ploop_snapshots(self, node: str, ctid: int) -> list[PloopSnapshot]:
        return []

    async def run_read(self, node: str, argv: Sequence[str], *, timeout: float | None = None) -> CommandResult:
        return CommandResult(tuple(argv), 0, b"", b"", 0.0)

    def spec(self, node: str) -> NodeSpec:
        return NodeSpec(name=node, host=node, transport=TransportKind.LOCAL, refresh=2.0)

    def transport(self, node: str) -> Transport:
        """The fake reaches no node: the dashboard's tests never read through a transport."""
        raise RuntimeError(f"FakeCluster has no transport to {node}")


def make_app(cluster: Any, *, read_only: bool = False, keymap: dict[str, str] | None = None, **kw: Any) -> VztuiApp:
    return VztuiApp(
        cluster,
        cluster_name="testlab",
        read_only=read_only,
        keymap=keymap or {},
        theme=kw.pop("theme", "textual-dark"),
        clock=kw.pop("clock", clock),
        **kw,
    )


# -- the real engine over a seeded simulated cluster ---------------------------------------------------------------

SIM_NOW_ENV = "VZTUI_SIM_NOW"


def sim_specs(directory: Path, *, nodes: int = 2, cts: int = 5, seed: int = 7) -> list[NodeSpec]:
    """Build a seeded simulated cluster under ``directory``; NodeSpecs for the local transport."""
    from vztui.sim.cluster import build_cluster

    cluster = build_cluster(directory, nodes=nodes, cts=cts, seed=seed)
    return [
        NodeSpec(
            name=name,
            host=name,
            transport=TransportKind.LOCAL,
            root_prefix=str(root),
            path=str(cluster.bin_dir(name)),
            refresh=3600.0,
        )
        for name, root in cluster.nodes.items()
    ]


class frozen_sim_clock:  # noqa: N801 - used like a function: ``with frozen_sim_clock(T):``
    """Freeze the simulator's wall clock (its tools read ``VZTUI_SIM_NOW``) for the duration of the block."""

    def __init__(self, when: float) -> None:
        self.when = when
        self._old: str | None = None

    def set(self, when: float) -> None:
        self.when = when
        os.environ[SIM_NOW_ENV] = repr(when)

    def __enter__(self) -> frozen_sim_clock:
        self._old = os.environ.get(SIM_NOW_ENV)
        self.set(self.when)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._old is None:
            os.environ.pop(SIM_NOW_ENV, None)
        else:
            os.environ[SIM_NOW_ENV] = self._old


def iter_keys(rows: Iterable[tuple[str, int]]) -> Iterator[str]:
    for node, ctid in rows:
        yield f"{node}/{ctid}"
