"""DeltaPacer: deltas applied at once until a burst has cost its slice, then a slice per loop iteration, in order,
with whatever else is waiting on the loop (a key, a repaint) let in between."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from tests.ui.fake_cluster import snapshot, standard_snapshots
from vztui.backend.snapshot import NodeDelta
from vztui.ui.delta_pacer import DeltaPacer


def deltas(count: int) -> list[NodeDelta]:
    base = standard_snapshots()["hn1"]
    return [NodeDelta(node=f"hn{i}", snapshot=snapshot(f"hn{i}", base.containers.values())) for i in range(count)]


async def settled(pacer: DeltaPacer, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while pacer.queued:
        assert time.monotonic() < deadline, "the queue never drained"
        await asyncio.sleep(0)


async def test_a_lone_delta_is_applied_before_push_returns() -> None:
    applied: list[str] = []
    pacer = DeltaPacer(lambda d: applied.append(d.node))
    for delta in deltas(3):
        pacer.push(delta)
        assert applied[-1] == delta.node
        await asyncio.sleep(0)  # each in its own loop iteration: each burst is one cheap delta


async def test_a_costly_burst_is_sliced_in_order_and_lets_waiting_callbacks_in() -> None:
    applied: list[str] = []
    seen_by_key: list[int] = []

    def slow(delta: NodeDelta) -> None:
        time.sleep(0.002)
        applied.append(delta.node)

    pacer = DeltaPacer(slow, slice_seconds=0.005)
    burst = deltas(30)
    for delta in burst:
        pacer.push(delta)
    assert 1 <= len(applied) < len(burst), "a burst past its slice must not be applied in one go"
    assert pacer.queued == len(burst) - len(applied)
    asyncio.get_running_loop().call_soon(lambda: seen_by_key.append(len(applied)))  # a key arriving now
    await settled(pacer)
    assert applied == [d.node for d in burst], "every delta once, in arrival order"
    assert seen_by_key and seen_by_key[0] < len(burst), "the key waited for the whole burst"


async def test_a_delta_pushed_while_others_wait_queues_behind_them() -> None:
    applied: list[str] = []
    pacer = DeltaPacer(lambda d: (time.sleep(0.003), applied.append(d.node)), slice_seconds=0.001)
    *burst, late = deltas(6)
    for delta in burst:
        pacer.push(delta)
    await asyncio.sleep(0)  # the burst closes and one slice runs (one delta: each costs more than a slice)
    assert pacer.queued, "the burst should still be draining"
    pacer.push(late)
    assert late.node not in applied, "a later delta must not overtake a queued one"
    await settled(pacer)
    assert applied == [d.node for d in (*burst, late)]


async def test_a_failing_queued_delta_is_logged_and_the_rest_still_applied(caplog: pytest.LogCaptureFixture) -> None:
    applied: list[str] = []

    def apply(delta: NodeDelta) -> None:
        time.sleep(0.002)
        if delta.node == "hn3":
            raise ValueError("boom")
        applied.append(delta.node)

    pacer = DeltaPacer(apply, slice_seconds=0.001)
    burst = deltas(6)
    with caplog.at_level(logging.ERROR, logger="vztui.ui.delta_pacer"):
        pacer.push(burst[0])
        for delta in burst[1:]:
            pacer.push(delta)
        await settled(pacer)
    assert applied == [d.node for d in burst if d.node != "hn3"]
    assert "applying a queued delta of hn3 failed" in caplog.text


async def test_clear_drops_what_waits() -> None:
    applied: list[str] = []
    pacer = DeltaPacer(lambda d: (time.sleep(0.002), applied.append(d.node)), slice_seconds=0.001)
    for delta in deltas(5):
        pacer.push(delta)
    pacer.clear()
    await asyncio.sleep(0.01)
    assert applied == ["hn0"]


async def test_when_idle_runs_once_every_queued_delta_is_applied() -> None:
    applied: list[str] = []
    idle_at: list[int] = []
    pacer = DeltaPacer(lambda d: (time.sleep(0.002), applied.append(d.node)), slice_seconds=0.001)
    burst = deltas(8)
    for delta in burst:
        pacer.push(delta)
    pacer.when_idle(lambda: idle_at.append(len(applied)))
    assert idle_at == [], "never inside push or when_idle itself"
    await settled(pacer)
    await asyncio.sleep(0)
    assert idle_at == [len(burst)], "once, after the last queued delta"
    pacer.when_idle(lambda: idle_at.append(-1))
    await asyncio.sleep(0)
    assert idle_at == [len(burst), -1], "with nothing queued: on the next loop iteration"
