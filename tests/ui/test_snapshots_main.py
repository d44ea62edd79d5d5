"""SVG snapshots of the main screen (fake engine, frozen clock, UTC): default, 80×24, 16 colours, filtered with
marks, a failcnt rise beside a stale node, read-only, and the help screen."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.ui.fake_cluster import FakeCluster, container, standard_snapshots
from tests.ui.harness import make_app
from vztui.backend.snapshot import NodeHealth
from vztui.ui.app import VztuiApp
from vztui.ui.screens.main import PANEL_DELAY
from vztui.ui.widgets.filter_bar import DEBOUNCE

WIDE = (120, 36)


async def settle(pilot: Pilot[Any]) -> None:
    """Let the panel's cursor debounce and every deferred refresh run."""
    await pilot.pause(PANEL_DELAY + 0.1)
    await pilot.pause()


def test_main_screen(snap_compare: Any, utc: None) -> None:
    assert snap_compare(make_app(FakeCluster(standard_snapshots())), terminal_size=WIDE, run_before=settle)


def test_main_screen_at_80x24(snap_compare: Any, utc: None) -> None:
    assert snap_compare(make_app(FakeCluster(standard_snapshots())), terminal_size=(80, 24), run_before=settle)


def test_main_screen_in_16_colours(snap_compare: Any, utc: None) -> None:
    app = make_app(FakeCluster(standard_snapshots()), theme="ansi-dark")
    assert snap_compare(app, terminal_size=WIDE, run_before=settle)


def test_filtered_sorted_with_marks(snap_compare: Any, utc: None) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("space", "space", "space")
        app = pilot.app
        assert isinstance(app, VztuiApp) and app.main_screen is not None
        await pilot.press("slash")
        filter_input = app.main_screen.query_one("#filter-input", Input)
        filter_input.cursor_blink = False
        filter_input.value = "status:running"
        await pilot.pause(DEBOUNCE + 0.1)
        await pilot.press("enter", "O")
        await settle(pilot)

    assert snap_compare(make_app(FakeCluster(standard_snapshots())), terminal_size=WIDE, run_before=run_before)


def test_failcnt_rise_and_stale_node(snap_compare: Any, utc: None) -> None:
    cluster = FakeCluster(standard_snapshots())

    async def run_before(pilot: Pilot[Any]) -> None:
        cluster.update("hn1", container(104, name="shop", hostname="shop.example.com", physpages=64_000, phys_fail=3))
        cluster.push(replace(cluster.snapshots()["hn2"], health=NodeHealth.STALE, error="poll timed out after 10 s"))
        await pilot.press("down", "down", "down")
        await settle(pilot)

    assert snap_compare(make_app(cluster), terminal_size=WIDE, run_before=run_before)


def test_read_only_header(snap_compare: Any, utc: None) -> None:
    app = make_app(FakeCluster(standard_snapshots(), read_only=True), read_only=True)
    assert snap_compare(app, terminal_size=(100, 30), run_before=settle)


def test_help_screen(snap_compare: Any, utc: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from vztui.ui.operations import ActionRunner

    # Every action offered, whatever the runner implements today: this snapshot is about the help screen.
    monkeypatch.setattr(ActionRunner, "available", lambda _self, _action_id: True)

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(FakeCluster(standard_snapshots())), terminal_size=(120, 50), run_before=run_before)
