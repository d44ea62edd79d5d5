"""Regenerate ``screenshots/*.svg`` from the demo cluster: ``python tests/screenshots.py`` (not a pytest module).

Reproducible by construction: the demo is built fresh with seed 0 in a temporary directory, and one frozen clock
drives everything that reads the time: the simulator's tools (``VZTUI_SIM_NOW``), this process's ``time.time``
(the engine's timestamps) and the dashboard's relative times. Polling is driven tick by tick (2 s of frozen time
per tick) instead of by the wall clock, so every run renders the same pixels.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"
T0 = 1_790_000_000.0
"""The frozen start time (2026-09-21 14:13:20 UTC)."""
TICK = 2.0
SIZE = (160, 48)


class FrozenClock:
    """The one clock of the run: ``time.time`` of this process, the simulator's tools, and the app's clock."""

    def __init__(self, start: float) -> None:
        self.now = start
        self._apply()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self._apply()

    def _apply(self) -> None:
        os.environ["VZTUI_SIM_NOW"] = repr(self.now)


async def shoot(out: Path) -> list[Path]:
    from vztui.backend.cluster import Cluster
    from vztui.backend.operation import OpRequest
    from vztui.backend.snapshot import NodeDelta
    from vztui.demo import prepare_demo
    from vztui.ui.app import VztuiApp
    from vztui.ui.screens.main import PANEL_DELAY
    from vztui.ui.widgets.ops_pane import OpsPane

    clock = FrozenClock(T0)
    time.time = clock  # the engine's taken_at, uptimes and job times all follow the frozen clock
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="vztui-shots-") as scratch:
        os.environ["VZTUI_DEMO_DIR"] = scratch
        demo = prepare_demo(nodes=3, seed=0)
        # Polls happen only when this script ticks (refresh far away); the header still tells the demo's 2 s.
        specs = [replace(spec, refresh=3600.0) for spec in demo.specs]
        cluster = Cluster(specs, journal_dir=str(Path(scratch) / "journal"))
        app = VztuiApp(cluster, cluster_name="demo", read_only=False, keymap={}, theme="textual-dark", clock=clock)
        rises: list[NodeDelta] = []

        class RiseRecorder:
            def on_delta(self, delta: NodeDelta) -> None:
                if delta.failcnt_increases:
                    rises.append(delta)

            def on_operation(self, op: object) -> None:
                return

            def on_output(self, op_id: str, lines: object) -> None:
                return

        cluster.subscribe(RiseRecorder())

        async with app.run_test(size=SIZE) as pilot:
            main = app.main_screen
            assert main is not None
            main._refresh_every = 2.0
            for _ in range(100):
                await pilot.pause(0.05)
                if main.table.total >= 40:
                    break

            async def tick(count: int = 1) -> None:
                for _ in range(count):
                    clock.advance(TICK)
                    await cluster.refresh()
                    await pilot.pause()
                await pilot.pause(0.1)
                await pilot.pause()

            def save(name: str) -> None:
                path = out / f"{name}.svg"
                app.save_screenshot(filename=path.name, path=str(out))
                written.append(path)

            await tick(3)
            await pilot.pause(PANEL_DELAY + 0.1)
            save("main")

            # The beancounter panel of CT 104 ("shop") the moment its physpages failcnt rises.
            await pilot.press("t")
            main.table.focus()
            main.table.move_cursor_to("hn1/104")
            await pilot.pause(PANEL_DELAY + 0.1)
            rises.clear()
            for _ in range(60):
                await tick()
                if any(rise.ctid == 104 for delta in rises for rise in delta.failcnt_increases):
                    break
            save("beancounters")

            await pilot.press("f")
            await pilot.pause(0.2)
            save("failing")
            await pilot.press("escape")
            await pilot.pause(0.1)

            # A job in the queue with its output in the log pane.
            op = await cluster.submit(
                OpRequest(node="hn2", argv=("vzctl", "restart", "116"), kind="restart", ctids=(116,), title="Restart")
            )
            for _ in range(200):
                await pilot.pause(0.05)
                if op.state.finished:
                    break
            main.query_one(OpsPane).select(op.id)
            await tick()
            main.table.move_cursor_to("hn2/116")
            await pilot.pause(PANEL_DELAY + 0.1)
            save("queue")

            await pilot.press("question_mark")
            await pilot.pause(0.2)
            save("help")
            await pilot.press("escape")
            await app.action_quit()
    return written


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    out.mkdir(parents=True, exist_ok=True)
    os.environ["TZ"] = "UTC"
    os.environ["USER"] = "admin"
    time.tzset()
    sys.path.insert(0, str(ROOT))
    for path in asyncio.run(shoot(out)):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
