"""A deterministic in-memory ClusterApi and hand-made snapshots for the panel and detail-screen tests.

Everything is frozen data built here; nothing polls, nothing sleeps. Tests push deltas, operations and output
through the fake exactly as the engine would call its listeners.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from vztui.backend.operation import Operation, OpRequest, OpState
from vztui.backend.snapshot import FailcntIncrease, NearLimit, NodeDelta, NodeHealth, NodeSnapshot
from vztui.backend.transport import CommandResult, OutputLine, Stream
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

NOW = 1_790_000_000.0
"""The frozen wall clock of every test (a fixed epoch second)."""

GIB = 1024**3


def clock() -> float:
    return NOW


def bc(resource: str, held: int, barrier: int, limit: int | None = None, failcnt: int = 0) -> Beancounter:
    return Beancounter(resource, held, max(held, held + 7), barrier, barrier if limit is None else limit, failcnt)


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


def container(
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
    return Container(
        ctid=ctid,
        status=status,
        name=name,
        hostname=f"{name or ctid}.example.org",
        ips=ips or (f"10.0.0.{ctid % 250}",),
        ostemplate="centos-6-x86_64",
        layout=layout,
        numproc=40,
        cpulimit=cpulimit,
        cpuunits=cpuunits,
        cpus=cpus,
        private=f"/vz/private/{ctid}",
        root=f"/vz/root/{ctid}",
        diskspace=DiskUsage(1_200_000, 10_485_760, 11_534_336),
        diskinodes=DiskUsage(40_000, 200_000, 220_000),
        resources=MappingProxyType(dict(resources if resources is not None else vswap_resources())),
    )


def quota(ctid: int, *, used_kib: int = 1_200_000, ugid: UgidQuota | None = None) -> QuotaUsage:
    return QuotaUsage(
        ctid,
        DiskUsage(used_kib, 10_485_760, 11_534_336),
        DiskUsage(40_000, 200_000, 220_000),
        ugid if ugid is not None else UgidQuota("on,active", 12, 100, 200, exceeded=False),
    )


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


def snapshot(
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
    cts = {ct.ctid: ct for ct in containers}
    return NodeSnapshot(
        node=node,
        taken_at=taken_at,
        health=health,
        containers=MappingProxyType(cts),
        quota=MappingProxyType(dict(quotas) if quotas is not None else {ctid: quota(ctid) for ctid in cts}),
        cpu_percent=MappingProxyType(dict(cpu) if cpu is not None else dict.fromkeys(cts, 12.5)),
        started_at=MappingProxyType(dict.fromkeys((c for c, ct in cts.items() if ct.running), NOW - 7200)),
        meminfo=MemInfo(32 * GIB, 12 * GIB, 20 * GIB, 8 * GIB, 7 * GIB),
        loadavg=LoadAvg(1.25, 0.9, 0.75, 3, 412),
        filesystems=(
            FsUsage("/dev/sda1", 20_000_000, 8_000_000, 12_000_000, "/"),
            FsUsage("/dev/sdb1", 500_000_000, 460_000_000, 40_000_000, "/vz"),
        ),
        info=node_info,
        error=error,
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


@dataclass
class FakeCluster:
    """Implements vztui.ui.backend_api.ClusterApi from in-memory data; records the intents it receives."""

    node_snapshots: dict[str, NodeSnapshot] = field(default_factory=dict)
    infos: dict[str, NodeInfo] = field(default_factory=dict)
    series: dict[tuple[str, int, str], list[int]] = field(default_factory=dict)
    configs: dict[tuple[str, int], CtConfig] = field(default_factory=dict)
    ploop: dict[tuple[str, int], list[PloopSnapshot]] = field(default_factory=dict)
    ops: list[Operation] = field(default_factory=list)
    outputs: dict[str, list[OutputLine]] = field(default_factory=dict)
    read_only: bool = False
    listeners: list[object] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    refreshed: list[str | None] = field(default_factory=list)
    static_refreshed: list[str] = field(default_factory=list)
    _paused: bool = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    @property
    def nodes(self) -> tuple[str, ...]:
        return tuple(self.node_snapshots)

    @property
    def paused(self) -> bool:
        return self._paused

    def snapshots(self) -> Mapping[str, NodeSnapshot]:
        return MappingProxyType(dict(self.node_snapshots))

    def subscribe(self, listener: object) -> Callable[[], None]:
        self.listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self.listeners:
                self.listeners.remove(listener)

        return unsubscribe

    async def refresh(self, node: str | None = None) -> None:
        self.refreshed.append(node)

    async def refresh_static(self, node: str) -> NodeInfo | None:
        self.static_refreshed.append(node)
        return self.node_info(node)

    def set_paused(self, paused: bool) -> None:
        self._paused = paused

    async def submit(self, request: OpRequest) -> Operation:
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
        original = next(op for op in self.ops if op.id == op_id)
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
        return CommandResult(tuple(argv), 0, b"", b"", 0.01)

    # -- driving the listeners like the engine does -------------------------------------------------------------

    def push(
        self,
        new: NodeSnapshot,
        *,
        increases: Sequence[FailcntIncrease] = (),
        near_limit: Sequence[NearLimit] = (),
    ) -> NodeDelta:
        self.node_snapshots[new.node] = new
        delta = NodeDelta(
            node=new.node,
            snapshot=new,
            changed=MappingProxyType({ctid: frozenset({"resources"}) for ctid in new.containers}),
            failcnt_increases=tuple(increases),
            near_limit=tuple(near_limit),
        )
        for listener in list(self.listeners):
            listener.on_delta(delta)  # type: ignore[attr-defined]
        return delta

    def emit_operation(self, op: Operation) -> None:
        if op not in self.ops:
            self.ops.append(op)
        for listener in list(self.listeners):
            listener.on_operation(op)  # type: ignore[attr-defined]
