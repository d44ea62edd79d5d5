"""The one in-memory ``ClusterApi`` of the UI tests, and the frozen data they feed it.

Why one fake: a change to ``vztui.ui.backend_api.ClusterApi`` must mean changing one stand-in, not one per test
file. Everything here is frozen data; nothing polls, nothing sleeps. ``push`` hands listeners the delta the engine's
own ``compute_delta`` finds, so the screens see exactly what they would see live; a test that scripts the engine's
verdicts (failcnt rises, near-limit lists) passes them to ``push`` and they replace what was found.

Two container builders, because the screens read two depths of a CT: ``container``/``snapshot`` fill what the
main table shows (a ``vzlist`` row, three beancounters); ``detailed_container``/``detailed_snapshot`` add what the
detail screens read (a VSwap 256M CT's beancounters, paths, inode quota, load and filesystems).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from vztui.backend.delta import compute_delta
from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.backend.operation import Operation, OpRequest, OpState
from vztui.backend.snapshot import FailcntIncrease, NearLimit, NodeDelta, NodeHealth, NodeSnapshot
from vztui.backend.transport import CommandResult, OutputLine, Stream, Transport
from vztui.openvz.models import (
    Beancounter,
    Container,
    CtConfig,
    CtStatus,
    DiskUsage,
    FsUsage,
    Layout,
    LoadAvg,
    MemInfo,
    NodeCapacity,
    NodeInfo,
    PloopSnapshot,
    QuotaUsage,
    UgidQuota,
    VzConf,
)
from vztui.openvz.units import LONG_MAX
from vztui.ui.backend_api import ClusterListener

NOW = 1_790_000_000.0
"""The frozen wall clock of these tests (2026-09-21 14:13:20 UTC)."""
GIB = 1024**3
NODE_MEMINFO = MemInfo(32 * GIB, 12 * GIB, 20 * GIB, 8 * GIB, 7 * GIB)
"""Every fake node's /proc/meminfo: 32G RAM, 8G swap."""


def clock() -> float:
    return NOW


# -- beancounters ------------------------------------------------------------------------------------------------


def bc(resource: str, held: int, barrier: int, limit: int | None = None, failcnt: int = 0) -> Beancounter:
    return Beancounter(resource, held, max(held, held + 7), barrier, barrier if limit is None else limit, failcnt)


def table_resources(*, physpages: int = 20_000, ram_pages: int = 65_536, phys_fail: int = 0) -> dict[str, Beancounter]:
    """The three beancounters the main table reads (procs, RAM, swap)."""
    return {
        "numproc": Beancounter("numproc", 40, 60, LONG_MAX, LONG_MAX, 0),
        "physpages": Beancounter("physpages", physpages, physpages + 10, 0, ram_pages, phys_fail),
        "swappages": Beancounter("swappages", 0, 0, 0, ram_pages, 0),
    }


def vswap_resources(*, physpages: int = 20_000, numproc: int = 40, numproc_fail: int = 0) -> dict[str, Beancounter]:
    """A VSwap 256M-like CT: RAM in physpages' limit, everything else mostly unlimited."""
    return {
        "kmemsize": bc("kmemsize", 3_500_000, LONG_MAX),
        "lockedpages": bc("lockedpages", 0, 8192),
        "privvmpages": bc("privvmpages", 30_000, LONG_MAX),
        "shmpages": bc("shmpages", 100, LONG_MAX),
        "numproc": bc("numproc", numproc, 100, failcnt=numproc_fail),
        "physpages": bc("physpages", physpages, 0, 65_536),
        "numtcpsock": bc("numtcpsock", 12, LONG_MAX),
        "numfile": bc("numfile", 600, LONG_MAX),
        "swappages": bc("swappages", 0, 0, 131_072),
    }


# -- containers and snapshots ------------------------------------------------------------------------------------


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
    resources: Mapping[str, Beancounter] | None = None,
    layout: Layout = Layout.PLOOP,
    cpulimit: int | None = None,
    cpuunits: int | None = None,
    cpus: int = 0,
    private: str | None = None,
    root: str | None = None,
    diskinodes: DiskUsage | None = None,
) -> Container:
    """A CT as the main table reads it; ``resources`` replaces the three table beancounters (``physpages`` …)."""
    bcs = resources if resources is not None else table_resources(physpages=physpages, phys_fail=phys_fail)
    return Container(
        ctid=ctid,
        status=status,
        name=name,
        hostname=hostname if hostname is not None else f"ct{ctid}.example.org",
        description=description,
        ips=ips if ips is not None else (f"10.0.{ctid // 250}.{ctid % 250}",),
        ostemplate="centos-6-x86_64",
        layout=layout,
        numproc=numproc if status is CtStatus.RUNNING else None,
        cpulimit=cpulimit,
        cpuunits=cpuunits,
        cpus=cpus,
        private=private,
        root=root,
        diskspace=DiskUsage(1_200_000, 10_485_760, 11_534_336),
        diskinodes=diskinodes,
        resources=MappingProxyType(dict(bcs)),
    )


def detailed_container(
    ctid: int,
    *,
    name: str | None = None,
    status: CtStatus = CtStatus.RUNNING,
    resources: Mapping[str, Beancounter] | None = None,
    layout: Layout = Layout.PLOOP,
    ips: tuple[str, ...] = (),
    cpulimit: int | None = None,
    cpuunits: int | None = 1000,
    cpus: int = 0,
) -> Container:
    """A VSwap 256M CT with every field the detail screens show (paths, CPU units, inode quota)."""
    return container(
        ctid,
        name=name,
        hostname=f"{name or ctid}.example.org",
        status=status,
        ips=ips or (f"10.0.0.{ctid % 250}",),
        resources=resources if resources is not None else vswap_resources(),
        layout=layout,
        cpulimit=cpulimit,
        cpuunits=cpuunits,
        cpus=cpus,
        private=f"/vz/private/{ctid}",
        root=f"/vz/root/{ctid}",
        diskinodes=DiskUsage(40_000, 200_000, 220_000),
    )


def quota(ctid: int, *, used_kib: int = 1_200_000, ugid: UgidQuota | None = None) -> QuotaUsage:
    return QuotaUsage(
        ctid,
        DiskUsage(used_kib, 10_485_760, 11_534_336),
        DiskUsage(40_000, 200_000, 220_000),
        ugid if ugid is not None else UgidQuota("on,active", 12, 100, 200, exceeded=False),
    )


def snapshot(
    node: str,
    containers: Iterable[Container],
    *,
    health: NodeHealth = NodeHealth.UP,
    cpu: Mapping[int, float] | None = None,
    taken_at: float = NOW,
    error: str = "",
    started_at: Mapping[int, float] | None = None,
    quotas: Mapping[int, QuotaUsage] | None = None,
    loadavg: LoadAvg | None = None,
    filesystems: tuple[FsUsage, ...] = (),
    node_info: NodeInfo | None = None,
) -> NodeSnapshot:
    """One node's poll as the main table reads it: 5 % CPU each and staggered uptimes unless given."""
    cts = {ct.ctid: ct for ct in containers}
    started = started_at if started_at is not None else {c: NOW - 3 * 3600 - c for c, ct in cts.items() if ct.running}
    return NodeSnapshot(
        node=node,
        taken_at=taken_at,
        health=health,
        containers=MappingProxyType(cts),
        quota=MappingProxyType(dict(quotas or {})),
        cpu_percent=MappingProxyType(dict(cpu) if cpu is not None else dict.fromkeys(cts, 5.0)),
        started_at=MappingProxyType(dict(started)),
        meminfo=NODE_MEMINFO,
        loadavg=loadavg,
        filesystems=filesystems,
        info=node_info,
        error=error,
    )


def detailed_snapshot(
    node: str,
    containers: Iterable[Container],
    *,
    health: NodeHealth = NodeHealth.UP,
    cpu: Mapping[int, float] | None = None,
    quotas: Mapping[int, QuotaUsage] | None = None,
    node_info: NodeInfo | None = None,
    taken_at: float = NOW,
    error: str = "",
) -> NodeSnapshot:
    """A node's poll with what the detail screens add: a quota per CT, load average and the node's filesystems."""
    cts = list(containers)
    return snapshot(
        node,
        cts,
        health=health,
        cpu=cpu if cpu is not None else dict.fromkeys((ct.ctid for ct in cts), 12.5),
        taken_at=taken_at,
        error=error,
        started_at=dict.fromkeys((ct.ctid for ct in cts if ct.running), NOW - 7200),
        quotas=quotas if quotas is not None else {ct.ctid: quota(ct.ctid) for ct in cts},
        loadavg=LoadAvg(1.25, 0.9, 0.75, 3, 412),
        filesystems=(
            FsUsage("/dev/sda1", 20_000_000, 8_000_000, 12_000_000, "/"),
            FsUsage("/dev/sdb1", 500_000_000, 460_000_000, 40_000_000, "/vz"),
        ),
        node_info=node_info,
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


# -- node facts, engine verdicts, operations ---------------------------------------------------------------------


def info(hostname: str, *, ve_root: str = "/vz/root/$VEID", cpus: int = 8) -> NodeInfo:
    return NodeInfo(
        hostname=hostname,
        kernel="2.6.32-042stab145.3",
        vz=VzConf(ve_root=ve_root),
        capacity=NodeCapacity(cpus=cpus, ram_bytes=32 * GIB, swap_bytes=8 * GIB),
        vzctl_version="4.11.1",
        templates=("centos-6-x86_64", "debian-8.0-x86_64-minimal"),
        samples=("basic", "vswap-256m", "vswap-1g"),
    )


def rise(node: str, ctid: int, resource: str, previous: int, current: int, at: float = NOW) -> FailcntIncrease:
    return FailcntIncrease(node, ctid, resource, previous, current, at)


def near(node: str, ctid: int, resource: str, ratio: float) -> NearLimit:
    return NearLimit(node, ctid, resource, ratio)


def operation(
    argv: Sequence[str],
    *,
    node: str = "hn1",
    ctids: tuple[int, ...] = (101,),
    state: OpState = OpState.RUNNING,
    op_id: str = "op-1",
    started: float = NOW - 5,
    finished: float | None = None,
    exit_code: int | None = None,
) -> Operation:
    return Operation(
        request=OpRequest(node=node, argv=tuple(argv), kind=argv[1] if len(argv) > 1 else "raw", ctids=ctids),
        id=op_id,
        user="admin",
        state=state,
        queued_at=started - 1,
        started_at=started,
        finished_at=finished,
        exit_code=exit_code,
    )


def lines(texts: Iterable[str], stream: Stream = Stream.STDOUT) -> list[OutputLine]:
    return [OutputLine(stream, text, at=NOW) for text in texts]


# -- the fake ----------------------------------------------------------------------------------------------------


class FakeCluster:
    """Implements ``ClusterApi`` from in-memory data and records every intent it receives.

    Submitted requests are recorded (``submitted``) and queued as operations (``ops``); nothing runs. Tests put
    node facts, metric series, CT configs, ploop snapshots and operation output in the dicts; ``refresh_error``
    makes ``refresh`` fail as an unreachable node would.
    """

    def __init__(
        self,
        node_snapshots: Mapping[str, NodeSnapshot] | None = None,
        *,
        infos: Mapping[str, NodeInfo] | None = None,
        series: Mapping[tuple[str, int, str], list[int]] | None = None,
        configs: Mapping[tuple[str, int], CtConfig] | None = None,
        ploop: Mapping[tuple[str, int], list[PloopSnapshot]] | None = None,
        ops: Iterable[Operation] = (),
        outputs: Mapping[str, list[OutputLine]] | None = None,
        read_only: bool = False,
    ) -> None:
        self.read_only = read_only
        self.node_snapshots: dict[str, NodeSnapshot] = dict(node_snapshots or {})
        self.infos: dict[str, NodeInfo] = dict(infos or {})
        self.series: dict[tuple[str, int, str], list[int]] = dict(series or {})
        self.configs: dict[tuple[str, int], CtConfig] = dict(configs or {})
        self.ploop: dict[tuple[str, int], list[PloopSnapshot]] = dict(ploop or {})
        self.ops: list[Operation] = list(ops)
        """What ``operations()`` returns: what tests put here (queued, running, finished) and every submission."""
        self.outputs: dict[str, list[OutputLine]] = dict(outputs or {})
        self._listeners: list[ClusterListener] = []
        self._paused = False
        self.started = 0
        self.stopped = 0
        self.refresh_error: Exception | None = None
        self.refreshed: list[str | None] = []
        self.static_refreshed: list[str] = []
        self.submitted: list[OpRequest] = []
        self.cancelled: list[str] = []
        self.retried: list[str] = []

    @property
    def listeners(self) -> list[ClusterListener]:
        """Who is subscribed now (a screen that went away must not be)."""
        return list(self._listeners)

    # -- driving the listeners like the engine does ------------------------------------------------------------

    def push(
        self,
        new: NodeSnapshot,
        *,
        increases: Sequence[FailcntIncrease] | None = None,
        near_limit: Sequence[NearLimit] | None = None,
    ) -> NodeDelta:
        """Store ``new`` and hand every listener its delta from the node's previous snapshot; ``increases`` and
        ``near_limit``, when given, replace the failcnt rises and near-limit list ``compute_delta`` found."""
        delta = compute_delta(self.node_snapshots.get(new.node), new)
        if increases is not None:
            delta = replace(delta, failcnt_increases=tuple(increases))
        if near_limit is not None:
            delta = replace(delta, near_limit=tuple(near_limit))
        self.node_snapshots[new.node] = new
        for listener in list(self._listeners):
            listener.on_delta(delta)
        return delta

    def update(self, node: str, *changed: Container, **overrides: Any) -> NodeDelta:
        """Push ``node``'s current snapshot with ``changed`` containers replaced (or added)."""
        old = self.node_snapshots[node]
        cts = dict(old.containers)
        for ct in changed:
            cts[ct.ctid] = ct
        return self.push(replace(old, containers=MappingProxyType(cts), **overrides))

    # -- ClusterApi --------------------------------------------------------------------------------------------

    async def start(self) -> None:
        self.started += 1

    async def stop(self) -> None:
        self.stopped += 1

    @property
    def nodes(self) -> tuple[str, ...]:
        return tuple(self.node_snapshots)

    @property
    def paused(self) -> bool:
        return self._paused

    def snapshots(self) -> Mapping[str, NodeSnapshot]:
        return MappingProxyType(dict(self.node_snapshots))

    def subscribe(self, listener: ClusterListener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    async def refresh(self, node: str | None = None) -> None:
        self.refreshed.append(node)
        if self.refresh_error is not None:
            raise self.refresh_error

    async def refresh_static(self, node: str) -> NodeInfo | None:
        self.static_refreshed.append(node)
        return self.node_info(node)

    def set_paused(self, paused: bool) -> None:
        self._paused = paused

    async def submit(self, request: OpRequest) -> Operation:
        self.submitted.append(request)
        op = Operation(request=request)
        self.ops.append(op)
        return op

    async def submit_plan(self, requests: Sequence[OpRequest]) -> list[Operation]:
        return [await self.submit(request) for request in requests]

    async def cancel(self, op_id: str) -> bool:
        self.cancelled.append(op_id)
        return True

    async def retry(self, op_id: str) -> Operation:
        self.retried.append(op_id)
        original = next((op for op in self.ops if op.id == op_id), None)
        if original is None:
            raise KeyError(op_id)
        op = Operation(request=original.request, id=f"{op_id}-retry", state=OpState.QUEUED, queued_at=NOW)
        self.ops.append(op)
        return op

    def operations(self) -> list[Operation]:
        return list(self.ops)

    def output(self, op_id: str) -> list[OutputLine]:
        return list(self.outputs.get(op_id, []))

    def history(self, node: str, ctid: int, resource: str) -> Sequence[int]:
        return self.series.get((node, ctid, resource), [])

    def node_info(self, node: str) -> NodeInfo | None:
        return self.infos.get(node)

    async def read_ct_config(self, node: str, ctid: int) -> CtConfig:
        try:
            return self.configs[(node, ctid)]
        except KeyError:
            raise FileNotFoundError(f"/etc/vz/conf/{ctid}.conf: no such file on {node}") from None

    async def ploop_snapshots(self, node: str, ctid: int) -> list[PloopSnapshot]:
        return list(self.ploop.get((node, ctid), []))

    async def run_read(self, node: str, argv: Sequence[str], *, timeout: float | None = None) -> CommandResult:
        return CommandResult(tuple(argv), 0, b"", b"", 0.0)

    def spec(self, node: str) -> NodeSpec:
        return NodeSpec(name=node, host=node, transport=TransportKind.LOCAL, refresh=2.0)

    def transport(self, node: str) -> Transport:
        """The fake reaches no node: a test that reads files through a transport overrides this."""
        raise RuntimeError(f"FakeCluster has no transport to {node}")
