"""In-process UI timing: the real ``VztuiApp`` on a driver that renders every frame to ANSI like a terminal driver
(Textual's headless driver skips that last step) and records when each frame was written.

``ui_tick_10k``: one tick's deltas (all 50 nodes, computed beforehand) are handed to ``app.on_delta`` as the engine
does; the cost is the event-loop thread's CPU time from the first ``on_delta`` to the end of the last frame that
tick caused (table model update, messages, status line, compositor, ANSI). Wall time is reported too: it adds
Textual's frame pacing (a repaint waits for the next 1/60 s update slot), which is idle time, not work.

``key_latency_p95_10k`` (in-process variant): while ticks arrive every 2 s, a cursor key is posted the way the
input thread posts it; the latency ends when the frame showing the moved cursor has been written.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import statistics
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from textual import events
from textual.drivers.headless_driver import HeadlessDriver

from tests.benchmarks.ui_engine import CHANGING_COLUMNS, FakeEngine, make_app


class SinkDriver(HeadlessDriver):
    """A terminal driver without a terminal: the app renders every frame to escape sequences, which are counted."""

    written = 0

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        SinkDriver.written += len(data.encode("utf-8", "surrogateescape"))


@dataclass
class Frames:
    """(perf_counter, thread_time) at the end of every frame written, and a probe run after each frame."""

    times: list[tuple[float, float]] = field(default_factory=list)
    probe: Any = None

    def hook(self) -> None:
        self.times.append((time.perf_counter(), time.thread_time()))
        if self.probe is not None:
            self.probe()


@contextlib.asynccontextmanager
async def running(app: Any, size: tuple[int, int]) -> AsyncIterator[Frames]:
    """Run ``app`` on the SinkDriver inside this event loop (``App.run_test`` minus its forced headless mode)."""
    frames = Frames()
    app.driver_class = SinkDriver
    app._disable_tooltips = True
    app.post_display_hook = frames.hook
    ready = asyncio.Event()

    async def run_app() -> None:
        with app._context():
            try:
                app._loop = asyncio.get_running_loop()
                app._thread_id = threading.get_ident()
                await app._process_messages(ready_callback=ready.set, headless=False, terminal_size=size)
            finally:
                ready.set()

    task = asyncio.create_task(run_app())
    await ready.wait()
    try:
        with app._context():
            yield frames
    finally:
        await asyncio.sleep(0)
        await app._shutdown()
        await task


async def settle(frames: Frames, *, quiet: float = 0.15, limit: float = 30.0) -> None:
    """Wait until no frame has been written for ``quiet`` seconds (the work a tick or key caused is done)."""
    began = time.perf_counter()
    while time.perf_counter() - began < limit:
        await asyncio.sleep(0.01)
        last = frames.times[-1][0] if frames.times else began
        if time.perf_counter() - max(last, began) >= quiet:
            return


def changed_cts(engine: FakeEngine, share: float, columns: int) -> int:
    """Running CTs to change so that ``share`` of the table's cells (rows x shown columns) change."""
    return min(len(engine.running_keys()), round(engine.total * columns * share / CHANGING_COLUMNS))


@dataclass(frozen=True)
class TickFigures:
    cpu_ms: list[float]
    wall_ms: list[float]
    apply_ms: list[float]
    frames: list[int]
    changed_cts: int
    cells: int
    cts: int
    columns: int
    bytes_per_tick: float
    first_frame_s: float
    full_table_s: float

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_ms)


async def _tick_figures(
    *, nodes: int, per_node: int, share: float, ticks: int, size: tuple[int, int], sort: str | None
) -> TickFigures:
    began = time.perf_counter()
    engine = FakeEngine(nodes=nodes, per_node=per_node)
    app = make_app(engine)
    built = time.perf_counter()
    async with running(app, size) as frames:
        await settle(frames)
        first = frames.times[0][0] - built if frames.times else float("nan")
        table = app.main_screen.table
        if sort is not None:
            table.sort_by(sort, reverse=True)
            await settle(frames)
        columns = len(table.columns)
        count = changed_cts(engine, share, columns)
        cpu, wall, apply, counts = [], [], [], []
        written = 0
        for index in range(ticks + 2):
            deltas = engine.next_deltas(engine.random_changes(count))
            gc.collect()
            await asyncio.sleep(0.05)
            before_frames = len(frames.times)
            before_bytes = SinkDriver.written
            t0, c0 = time.perf_counter(), time.thread_time()
            engine.deliver(deltas)
            t1 = time.perf_counter()
            await settle(frames)
            done = frames.times[before_frames:]
            if index < 2 or not done:  # warm-up ticks (first renders of caches) are not counted
                continue
            end_wall, end_cpu = done[-1]
            cpu.append((end_cpu - c0) * 1000)
            wall.append((end_wall - t0) * 1000)
            apply.append((t1 - t0) * 1000)
            counts.append(len(done))
            written += SinkDriver.written - before_bytes
    return TickFigures(
        cpu,
        wall,
        apply,
        counts,
        count,
        count * CHANGING_COLUMNS,
        engine.total,
        columns,
        written / max(1, len(cpu)),
        first,
        time.perf_counter() - began,
    )


def tick_figures(
    *, nodes: int, per_node: int, share: float, ticks: int, size: tuple[int, int], sort: str | None = None
) -> TickFigures:
    return asyncio.run(_tick_figures(nodes=nodes, per_node=per_node, share=share, ticks=ticks, size=size, sort=sort))


@dataclass(frozen=True)
class KeyFigures:
    latencies_ms: list[float]
    ticks: int
    tick_cpu_ms: list[float]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def _key_figures(
    *, nodes: int, per_node: int, share: float, seconds: float, size: tuple[int, int], seed: int = 3
) -> KeyFigures:
    rng = random.Random(seed)
    engine = FakeEngine(nodes=nodes, per_node=per_node)
    app = make_app(engine)
    latencies: list[float] = []
    async with running(app, size) as frames:
        await settle(frames)
        table = app.main_screen.table
        count = changed_cts(engine, share, len(table.columns))
        stop = time.perf_counter() + seconds
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(2.0)
                # Built off the event loop, as the poller assembles snapshots in a thread.
                deltas = await asyncio.to_thread(engine.next_deltas, engine.random_changes(count))
                engine.deliver_soon(deltas)
                ticks += 1

        pending: dict[str, Any] = {}
        arrived = asyncio.Event()

        def probe() -> None:
            if pending and table.cursor_key != pending["before"]:
                latencies.append((time.perf_counter() - pending["t0"]) * 1000)
                pending.clear()
                arrived.set()

        frames.probe = probe
        task = asyncio.create_task(ticker())
        try:
            while time.perf_counter() < stop:
                await asyncio.sleep(rng.uniform(0.05, 0.25))
                arrived.clear()
                pending.update(before=table.cursor_key, t0=time.perf_counter())
                app.post_message(events.Key("down", None))
                await asyncio.wait_for(arrived.wait(), timeout=10)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return KeyFigures(latencies, ticks, [])


def key_figures(*, nodes: int, per_node: int, share: float, seconds: float, size: tuple[int, int]) -> KeyFigures:
    return asyncio.run(_key_figures(nodes=nodes, per_node=per_node, share=share, seconds=seconds, size=size))
