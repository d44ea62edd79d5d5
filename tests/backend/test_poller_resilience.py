"""The poller's loop never dies silently: whatever a tick raises (a transport bug, a parser that cannot be imported,
a listener that throws) is logged, shown on the node's snapshot, and the next tick still comes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.backend.engine_helpers import CountingTransport, local_spec, wait_for
from vztui.backend.poller import NodePoller
from vztui.backend.snapshot import NodeDelta, NodeHealth
from vztui.backend.transport import CommandResult


class FlakyTransport(CountingTransport):
    """A real local transport whose ``run`` raises a plain RuntimeError (not a TransportError) while ``broken``."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.broken = True

    async def run(self, argv: Sequence[str], *, timeout: float = 60.0, stdin: bytes | None = None) -> CommandResult:
        if self.broken:
            self.calls.append(("run", tuple(argv)))
            raise RuntimeError("transport bug")
        return await super().run(argv, timeout=timeout, stdin=stdin)


def polls(transport: CountingTransport) -> int:
    return sum(1 for kind, argv in transport.calls if kind == "run" and "vzlist -a -j" in argv[2])


def statics(transport: CountingTransport) -> int:
    return sum(1 for kind, argv in transport.calls if kind == "run" and "vztmpl-dl" in argv[2])


async def test_an_unexpected_transport_exception_is_reported_and_the_loop_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spec = local_spec("hn1", root_prefix=str(tmp_path), refresh=0.2)
    transport = FlakyTransport(spec)
    deltas: list[NodeDelta] = []
    poller = NodePoller(spec, transport, on_delta=deltas.append, interval=0.2)
    poller.start()
    try:
        await wait_for(lambda: poller.ticks >= 3, within=10, what="three ticks with a broken transport")
        snapshot = poller.snapshot
        assert snapshot.health is NodeHealth.UNREACHABLE
        assert "internal error in the transport" in snapshot.error and "transport bug" in snapshot.error
        assert deltas and deltas[0].health_changed and "transport bug" in deltas[0].snapshot.error
        assert any("transport failed unexpectedly" in r.getMessage() for r in caplog.records)
        transport.broken = False  # the next ticks reach the (empty) node: the loop is still alive and says so
        await wait_for(lambda: "internal error in the transport" not in poller.snapshot.error, within=10)
    finally:
        await poller.stop()
        await transport.close()


async def test_a_parser_import_error_is_reported_every_tick_and_the_loop_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # None in sys.modules makes every `from vztui.openvz.parsers import …` raise ImportError, as a missing or
    # half-installed parser package would.
    monkeypatch.setitem(sys.modules, "vztui.openvz.parsers", None)
    caplog.set_level(logging.ERROR)
    spec = local_spec("hn1", root_prefix=str(tmp_path), refresh=0.2)
    transport = CountingTransport(spec)
    deltas: list[NodeDelta] = []
    poller = NodePoller(spec, transport, on_delta=deltas.append, interval=0.2)
    poller.start()
    try:
        await wait_for(lambda: poller.ticks >= 4, within=15, what="four ticks without parsers")
    finally:
        await poller.stop()
        await transport.close()
    snapshot = poller.snapshot
    assert snapshot.health is NodeHealth.UNREACHABLE
    assert "internal error reading the poll: ModuleNotFoundError" in snapshot.error
    assert "static info: internal error: ModuleNotFoundError" in snapshot.error
    assert poller.info is None and any("vztui.openvz.parsers" in p for p in poller.info_problems)
    assert len(deltas) >= 4 and all("ModuleNotFoundError" in d.snapshot.error for d in deltas)
    assert polls(transport) >= 4
    assert statics(transport) == 1, "a static read that failed internally is not retried on every tick"
    assert any("could not build a snapshot" in r.getMessage() for r in caplog.records)


async def test_a_listener_that_raises_does_not_stop_the_ticks(tmp_path: Path) -> None:
    spec = local_spec("hn1", root_prefix=str(tmp_path), refresh=0.2)
    transport = CountingTransport(spec)
    heard: list[int] = []

    def listener(delta: NodeDelta) -> None:
        heard.append(1)
        raise ValueError("listener bug")

    poller = NodePoller(spec, transport, on_delta=listener, interval=0.2)
    poller.start()
    try:
        await wait_for(lambda: len(heard) >= 3, within=10, what="three deliveries to a failing listener")
        snapshot = await poller.refresh()
        assert snapshot is poller.snapshot
    finally:
        await poller.stop()
        await transport.close()
