"""Shared pieces for the engine tests (queue, journal, poller, cluster): a transport that counts what reaches it,
and listeners that record what the engine reported."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence

from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.backend.operation import Operation, OpState
from vztui.backend.snapshot import NodeDelta
from vztui.backend.transport import CommandResult, LinkStatus, OutputLine, StreamEvent, Transport
from vztui.backend.transports import LocalTransport


class CountingTransport(Transport):
    """A real transport (LocalTransport unless given another) that records every argv it was asked to run or stream."""

    def __init__(self, spec: NodeSpec, inner: Transport | None = None) -> None:
        self.node = spec.name
        self.inner = inner if inner is not None else LocalTransport(spec)
        self.calls: list[tuple[str, tuple[str, ...]]] = []

    async def run(self, argv: Sequence[str], *, timeout: float = 60.0, stdin: bytes | None = None) -> CommandResult:
        self.calls.append(("run", tuple(argv)))
        return await self.inner.run(argv, timeout=timeout, stdin=stdin)

    def stream(self, argv: Sequence[str], *, timeout: float = 3600.0, pty: bool = False) -> AsyncIterator[StreamEvent]:
        self.calls.append(("stream", tuple(argv)))
        return self.inner.stream(argv, timeout=timeout, pty=pty)

    async def read_file(self, path: str) -> bytes:
        self.calls.append(("read_file", (path,)))
        return await self.inner.read_file(path)

    def run_interactive(self, argv: Sequence[str]) -> int:
        self.calls.append(("interactive", tuple(argv)))
        return self.inner.run_interactive(argv)

    def link_status(self) -> LinkStatus:
        return self.inner.link_status()

    async def close(self) -> None:
        await self.inner.close()


def local_spec(name: str, **kwargs: object) -> NodeSpec:
    return NodeSpec(name, transport=TransportKind.LOCAL, **kwargs)  # type: ignore[arg-type]


class Recorder:
    """A ClusterListener that keeps everything it is told."""

    def __init__(self) -> None:
        self.deltas: list[NodeDelta] = []
        self.states: list[tuple[str, OpState]] = []
        self.output_batches: list[tuple[str, list[OutputLine]]] = []

    def on_delta(self, delta: NodeDelta) -> None:
        self.deltas.append(delta)

    def on_operation(self, op: Operation) -> None:
        self.states.append((op.id, op.state))

    def on_output(self, op_id: str, lines: Sequence[OutputLine]) -> None:
        self.output_batches.append((op_id, list(lines)))


async def wait_for(predicate: Callable[[], bool], within: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def wait_finished(ops: Sequence[Operation], within: float = 20.0) -> None:
    await wait_for(lambda: all(op.state.finished for op in ops), within, "operations to finish")
