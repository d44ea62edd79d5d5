"""The slice of ``vztui.backend.cluster.Cluster`` the dashboard uses, as a Protocol, so the real engine and the test
fake are interchangeable and the UI never depends on how the engine is built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from vztui.backend.nodespec import NodeSpec
from vztui.backend.operation import Operation, OpRequest
from vztui.backend.snapshot import NodeDelta, NodeSnapshot
from vztui.backend.transport import CommandResult, OutputLine, Transport
from vztui.openvz.models import CtConfig, NodeInfo, PloopSnapshot


class ClusterListener(Protocol):
    """What the app implements; the engine calls it on the event loop."""

    def on_delta(self, delta: NodeDelta) -> None: ...

    def on_operation(self, op: Operation) -> None: ...

    def on_output(self, op_id: str, lines: Sequence[OutputLine]) -> None: ...


class DeltaForwarder:
    """A listener for screens that only show snapshots: deltas go to ``on_delta``, operations and output are ignored.

    Screens subscribe one while they are shown and call the returned unsubscribe when they go away.
    """

    def __init__(self, on_delta: Callable[[NodeDelta], None]) -> None:
        self._on_delta = on_delta

    def on_delta(self, delta: NodeDelta) -> None:
        self._on_delta(delta)

    def on_operation(self, op: Operation) -> None:
        return None

    def on_output(self, op_id: str, lines: Sequence[OutputLine]) -> None:
        return None


class ClusterApi(Protocol):
    """Everything the dashboard asks of the engine: snapshots and deltas in, intents (OpRequests) out."""

    read_only: bool

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    @property
    def nodes(self) -> tuple[str, ...]: ...

    @property
    def paused(self) -> bool: ...

    def snapshots(self) -> Mapping[str, NodeSnapshot]: ...

    def subscribe(self, listener: ClusterListener) -> Callable[[], None]: ...

    async def refresh(self, node: str | None = None) -> None: ...

    async def refresh_static(self, node: str) -> NodeInfo | None:
        """Re-read a node's static facts (vz.conf, samples, templates …), e.g. after fixing its vz.conf."""
        ...

    def set_paused(self, paused: bool) -> None: ...

    async def submit(self, request: OpRequest) -> Operation: ...

    async def submit_plan(self, requests: Sequence[OpRequest]) -> list[Operation]: ...

    async def cancel(self, op_id: str) -> bool: ...

    async def retry(self, op_id: str) -> Operation: ...

    def operations(self) -> list[Operation]: ...

    def output(self, op_id: str) -> list[OutputLine]: ...

    def history(self, node: str, ctid: int, resource: str) -> Sequence[int]: ...

    def node_info(self, node: str) -> NodeInfo | None: ...

    async def read_ct_config(self, node: str, ctid: int) -> CtConfig: ...

    async def ploop_snapshots(self, node: str, ctid: int) -> list[PloopSnapshot]: ...

    async def run_read(self, node: str, argv: Sequence[str], *, timeout: float | None = None) -> CommandResult: ...

    def spec(self, node: str) -> NodeSpec: ...

    def transport(self, node: str) -> Transport: ...
