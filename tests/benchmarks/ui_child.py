"""The dashboard over the benchmark engine (``ui_engine.FakeEngine``) in a real terminal, run by ``ui_pty`` in a pty.

Modes (every tick is 2 s, like the engine's default refresh):

* ``idle``: every node ticks, nothing changes (the poller's empty deltas): the terminal should receive nothing;
* ``active``: exactly 20 cells change per tick: CPU % and Procs of 10 running CTs whose rows are on screen;
* ``load``: 5 % of the table's cells change per tick (as ``ui_tick_10k``), for key latency under refresh;
* ``replay``: not the benchmark engine but vztui's real engine (``Cluster``: pollers parsing in threads, deltas,
  history, journal) over E's ``rss_engine.ReplayTransport``, which answers every poll with output captured from
  simulated nodes, alternating two captures (every running CT changes every tick: the engine's worst case).

``--log FILE`` gets one JSON line per event, written as it happens: ``{"ready": …}`` once the table is full (with
the process's RSS, and its RSS before the app was created: the data alone), ``{"ticks": …}`` per tick, and
``{"cursor_frame": N}`` when the N-th synchronized frame written to the terminal is the first to show a cursor move
(the parent pairs it with the N-th frame end it read, so a key's latency is measured from the parent's write to the
arrival of the frame that shows its effect).

Usage: python tests/benchmarks/ui_child.py --mode idle|active|load [--nodes 50 --per-node 200] [--log FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from textual.drivers.linux_driver import LinuxDriver

from tests.benchmarks.common import rss_mib
from tests.benchmarks.ui_engine import CHANGING_COLUMNS, FakeEngine, make_app
from vztui.ui.state.rows import split_key

SYNC_END = "\x1b[?2026l"
ACTIVE_CELLS = 20
ACTIVE_CTS = ACTIVE_CELLS // 2


class CountingDriver(LinuxDriver):
    """Textual's own terminal driver; counts the synchronized frames it hands to the terminal."""

    frames = 0

    def write(self, data: str) -> None:
        if data == SYNC_END:
            CountingDriver.frames += 1
        super().write(data)


class Log:
    def __init__(self, path: Path | None) -> None:
        self._file: TextIO | None = path.open("w", buffering=1) if path is not None else None

    def event(self, **fields: Any) -> None:
        if self._file is not None:
            self._file.write(json.dumps(fields) + "\n")


async def drive(mode: str, nodes: int, per_node: int, log: Log, replay: Path | None = None) -> None:
    if mode == "replay" and replay is not None:
        await drive_replay(replay, log)
        return
    engine = FakeEngine(nodes=nodes, per_node=per_node)
    engine_rss = rss_mib()[0]
    log.event(app_start=time.monotonic())
    app = make_app(engine)
    app.driver_class = CountingDriver
    watch_cursor(app, log)

    async def ticker() -> None:
        while app.main_screen is None or not app.main_screen.is_mounted:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.5)
        table = app.main_screen.table
        log.event(
            ready=time.time(),
            rss_mb=rss_mib()[0],
            engine_rss_mb=engine_rss,
            rows=table.total,
            frames=CountingDriver.frames,
        )
        share = len(table.columns)
        count = min(len(engine.running_keys()), round(engine.total * share * 0.05 / CHANGING_COLUMNS))
        ticks = 0
        while True:
            await asyncio.sleep(2.0)
            # Deltas are built off the event loop, as the poller assembles snapshots in a thread.
            if mode == "idle":
                deltas = await asyncio.to_thread(engine.next_deltas, {})
            elif mode == "active":
                deltas = await asyncio.to_thread(engine.next_deltas, _on_screen(engine, table), light=True)
            else:
                deltas = await asyncio.to_thread(engine.next_deltas, engine.random_changes(count))
            engine.deliver_soon(deltas)
            ticks += 1
            cells = sum(len(fields) for d in deltas for fields in d.changed.values())
            log.event(
                ticks=ticks,
                at=time.monotonic(),
                changed_cts=sum(len(d.changed) for d in deltas),
                cells=cells,
                rss_mb=rss_mib()[0],
            )

    task = asyncio.create_task(ticker())
    try:
        await app.run_async()
    finally:
        task.cancel()
        log.event(frames_total=CountingDriver.frames)


def watch_cursor(app: Any, log: Log) -> None:
    """Log the number of the first frame written after each cursor move (see the module docstring)."""
    last_cursor: list[str | None] = [None]

    def after_frame() -> None:
        screen = app.main_screen
        if screen is None or not screen.is_mounted:
            return
        key = screen.table.cursor_key
        if key != last_cursor[0]:
            if last_cursor[0] is not None:
                log.event(cursor_frame=CountingDriver.frames)
            last_cursor[0] = key

    app.post_display_hook = after_frame


async def drive_replay(directory: Path, log: Log) -> None:
    from tests.benchmarks.rss_engine import ReplayTransport
    from vztui.backend.cluster import Cluster
    from vztui.backend.nodespec import NodeSpec, TransportKind
    from vztui.ui.app import VztuiApp

    nodes = sorted(path.name for path in directory.iterdir() if path.is_dir())
    specs = [NodeSpec(name, transport=TransportKind.LOCAL, refresh=2.0) for name in nodes]
    cluster = Cluster(
        specs,
        read_only=True,
        journal_dir=str(directory.parent / "journal"),
        transport_factory=lambda spec: ReplayTransport(spec.name, directory / spec.name),
    )
    app = VztuiApp(cluster, cluster_name="bench", read_only=True, keymap={}, theme="textual-dark")
    app.driver_class = CountingDriver
    watch_cursor(app, log)

    async def watch() -> None:
        began = time.monotonic()
        while app.main_screen is None or not app.main_screen.is_mounted:
            await asyncio.sleep(0.05)
        table = app.main_screen.table
        while True:
            snapshots = cluster.snapshots().values()
            cts = sum(len(snapshot.containers) for snapshot in snapshots)
            if all(snapshot.containers for snapshot in snapshots) and table.total == cts:
                break
            await asyncio.sleep(0.1)
        log.event(ready=time.time(), full_table_s=time.monotonic() - began, rss_mb=rss_mib()[0], rows=table.total)
        samples = 0
        while True:  # the pollers tick on their own; this only samples RSS every 2 s
            await asyncio.sleep(2.0)
            samples += 1
            log.event(ticks=samples, at=time.monotonic(), rss_mb=rss_mib()[0], rows=table.total)

    task = asyncio.create_task(watch())
    try:
        await app.run_async()
    finally:
        task.cancel()
        log.event(frames_total=CountingDriver.frames)


def _on_screen(engine: FakeEngine, table: Any) -> dict[str, list[int]]:
    """The first ACTIVE_CTS running CTs among the rows the table shows on screen (two cells each change)."""
    running = set(engine.running_keys())
    top = int(table.scroll_y)
    visible = table.size.height - 1
    chosen: dict[str, list[int]] = {}
    found = 0
    for key in list(table.order)[top : top + visible]:
        node, ctid = split_key(key)
        if (node, ctid) in running and found < ACTIVE_CTS:
            chosen.setdefault(node, []).append(ctid)
            found += 1
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("idle", "active", "load", "replay"), required=True)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--per-node", type=int, default=200)
    parser.add_argument("--log", type=Path)
    parser.add_argument("--replay", type=Path, help="replay mode: the directory rss_engine.save_replay wrote")
    args = parser.parse_args()
    asyncio.run(drive(args.mode, args.nodes, args.per_node, Log(args.log), args.replay))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
