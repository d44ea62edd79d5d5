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
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

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
            await pilot.pause(0.1)

            await shoot_operations(app, pilot, tick, save)
            await app.action_quit()
    return written


async def until(pilot: Any, predicate: Callable[[], object], what: str, within: float = 20.0) -> None:
    """Let the app run until ``predicate()`` holds; a screenshot of a half-drawn dialog is worse than none."""
    for _ in range(int(within / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise RuntimeError(f"screenshots: timed out waiting for {what}")


async def shoot_operations(
    app: Any, pilot: Any, tick: Callable[[], Awaitable[None]], save: Callable[[str], None]
) -> None:
    """The operations dialogs, each opened the way its key opens it (``ct_action``): the create form, the set form
    with its config diff, a bulk confirmation with a skipped CT, and the migration pre-flight. Each is cancelled."""
    from textual.widgets import Button, Input, Select

    from vztui.backend.snapshot import NodeHealth
    from vztui.ui.screens.confirm import ConfirmScreen
    from vztui.ui.screens.create import CreateScreen
    from vztui.ui.screens.main import PANEL_DELAY
    from vztui.ui.screens.migrate import MigrateScreen
    from vztui.ui.screens.setform import SetFormScreen

    main = app.main_screen
    table = main.table
    snapshots = app.cluster.snapshots()
    hn1 = snapshots["hn1"]
    assert hn1.health is NodeHealth.UP
    running = sorted(ctid for ctid, ct in hn1.containers.items() if ct.running)
    stopped = sorted(ctid for ctid, ct in hn1.containers.items() if not ct.running)
    assert len(running) >= 4 and stopped, "the demo's hn1 has running and stopped CTs"

    # Create: the form on hn1 with the next free CTID suggested, a template from hn1's cache and the preset.
    table.move_cursor_to(f"hn1/{running[0]}")
    await pilot.pause(PANEL_DELAY + 0.1)
    main.action_ct_action("create")
    await until(pilot, lambda: isinstance(app.screen, CreateScreen), "the create form")
    form = app.screen
    templates = app.cluster.node_info("hn1").templates
    form.query_one("#ostemplate", Select).value = templates[0]
    form.query_one("#hostname", Input).value = "blog.example.com"
    form.query_one("#ips", Input).value = "10.10.1.250"
    await pilot.pause(0.2)
    save("create")
    form.dismiss(None)
    await until(pilot, lambda: app.screen is main, "the create form to close")

    # Set: RAM and hostname of a running CT, with the config diff and the one vzctl set line.
    table.move_cursor_to(f"hn1/{running[1]}")
    await pilot.pause(PANEL_DELAY + 0.1)
    main.action_ct_action("set")
    await until(pilot, lambda: isinstance(app.screen, SetFormScreen), "the set form")
    setform = app.screen
    await until(pilot, lambda: setform.conf_text is not None, "the CT's config")
    setform.query_one("#ram", Input).value = "1G"
    setform.query_one("#hostname", Input).value = "shop2.example.com"
    await until(pilot, lambda: setform.current.changes is not None, "the diff preview")
    await pilot.pause(0.2)
    save("setform")
    setform.dismiss(None)
    await until(pilot, lambda: app.screen is main, "the set form to close")

    # Bulk: stop four marked CTs, one of them already stopped (skipped, with the reason).
    table.clear_marks()
    for ctid in (*running[:3], stopped[0]):
        table.move_cursor_to(f"hn1/{ctid}")
        table.toggle_mark()
    await pilot.pause(0.1)
    main.action_ct_action("stop")
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the bulk confirmation")
    await pilot.pause(0.2)
    save("bulk")
    app.screen.dismiss(False)
    await until(pilot, lambda: app.screen is main, "the confirmation to close")

    # Migration: three CTs of hn1 checked against hn2 at once.
    table.clear_marks()
    for ctid in running[:3]:
        table.move_cursor_to(f"hn1/{ctid}")
        table.toggle_mark()
    main.action_ct_action("migrate")
    await until(pilot, lambda: isinstance(app.screen, MigrateScreen), "the migration dialog")
    migrate = app.screen
    migrate.query_one("#dest", Select).value = "hn2"
    await pilot.pause(0.1)
    migrate.query_one("#check", Button).press()
    await until(pilot, lambda: len(migrate.results) == 3, "the pre-flight results")
    await pilot.pause(0.2)
    save("migrate")
    migrate.dismiss(None)
    await until(pilot, lambda: app.screen is main, "the migration dialog to close")
    table.clear_marks()


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
