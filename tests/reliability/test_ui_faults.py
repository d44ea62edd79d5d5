"""The dashboard during faults and in read-only mode, over the real engine: keys keep being handled within 200 ms
while a node's sshd is frozen (SIGSTOP) mid-poll, and a read-only session offers and runs no mutating action."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.reliability.conftest import local_spec, node_state, trust_in_home
from tests.sshd import BASE_PATH, SshdFactory
from vztui.backend.cluster import Cluster
from vztui.openvz.actions import ACTIONS, mutating_action_ids
from vztui.ui.app import VztuiApp
from vztui.ui.keymap import ACTION_KEYS
from vztui.ui.screens.main import MainScreen
from vztui.ui.widgets.header import HeaderBar

KEY_BUDGET = 0.2
"""Seconds a keypress may take to be handled (its action has run), fault or no fault. The repaint that follows is
measured too and reported; on a loaded 2-core machine it takes ~60-160 ms in the headless test driver."""


def _app(cluster: Cluster) -> VztuiApp:
    return VztuiApp(cluster, cluster_name="reliability", read_only=False, keymap={}, theme="textual-dark")


async def _until(pilot: object, predicate: object, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:g} s: {what}")
        await pilot.pause(0.05)  # type: ignore[attr-defined]


def _main(app: VztuiApp) -> MainScreen:
    assert app.main_screen is not None
    return app.main_screen


@pytest.mark.sshd
async def test_keys_are_handled_within_200_ms_while_a_node_is_frozen(
    sshd_factory: SshdFactory, sim: dict[str, Path], home: Path, tmp_path: Path
) -> None:
    nodes = {
        name: sshd_factory(name, root=root, options={"SetEnv": f"PATH={root / 'bin'}:{BASE_PATH} HOME={home}"})
        for name, root in sim.items()
    }
    trust_in_home(home, *nodes.values())
    specs = [node.spec(refresh=0.3, connect_timeout=2.0, command_timeout=2.0) for node in nodes.values()]
    cluster = Cluster(specs, journal_dir=str(tmp_path / "journal"))
    app = _app(cluster)
    worst, worst_rendered, presses = 0.0, 0.0, 0
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            main = _main(app)
            table = main.table
            await _until(pilot, lambda: table.total == 12, 20, "both nodes' CTs on screen")
            header = main.query_one(HeaderBar)
            nodes["hn1"].freeze()
            frozen_at = time.monotonic()
            went_stale = None
            while time.monotonic() - frozen_at < 6:
                for key in ("down", "up"):
                    before = table.cursor_key
                    start = time.monotonic()
                    press = asyncio.create_task(pilot.press(key))
                    while table.cursor_key == before and not press.done():
                        await asyncio.sleep(0.001)
                    took = time.monotonic() - start  # the key's action ran: the cursor moved
                    await press
                    rendered = time.monotonic() - start
                    worst, worst_rendered = max(worst, took), max(worst_rendered, rendered)
                    presses += 1
                    assert table.cursor_key != before, f"{key} was not handled"
                    assert took < KEY_BUDGET, f"{key} took {took * 1000:.0f} ms while hn1 was frozen"
                    assert rendered < 1.0, f"the screen took {rendered:.2f} s to repaint after {key}"
                state = header.state
                if went_stale is None and state is not None and state.nodes_up == 1:
                    went_stale = time.monotonic() - frozen_at
                await asyncio.sleep(0.02)
            assert went_stale is not None, "the frozen node was never shown as down"
            nodes["hn1"].thaw()
            await _until(pilot, lambda: header.state is not None and header.state.nodes_up == 2, 20, "hn1 back")
    finally:
        for node in nodes.values():
            node.thaw()
    assert presses > 30
    print(
        f"\nduring the freeze, over {presses} presses: worst key handled in {worst * 1000:.1f} ms, "
        f"worst handled and repainted in {worst_rendered * 1000:.1f} ms"
    )


async def test_a_read_only_session_offers_and_runs_no_mutating_action(sim: dict[str, Path], tmp_path: Path) -> None:
    specs = [local_spec(name, root, refresh=3600.0) for name, root in sim.items()]
    before = {name: node_state(root) for name, root in sim.items()}
    cluster = Cluster(specs, read_only=True, journal_dir=str(tmp_path / "journal"))
    app = _app(cluster)
    async with app.run_test(size=(140, 40)) as pilot:
        main = _main(app)
        await _until(pilot, lambda: main.table.total == 12, 20, "the CTs on screen")
        for action in sorted(mutating_action_ids()):
            assert main.check_action("ct_action", (action,)) is False, f"{action} is offered read-only"
        for action in sorted(set(ACTIONS) - mutating_action_ids()):
            if not ACTIONS[action].interactive:
                assert main.check_action("ct_action", (action,)) is not False, f"{action} should stay available"
        keys = [ACTION_KEYS[a] for a in sorted(mutating_action_ids()) if ACTION_KEYS.get(a)]
        assert len(keys) >= 10
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is main, f"{key} opened {type(app.screen).__name__} in a read-only session"
        await pilot.press("space", "space", "down", *keys)
        await pilot.pause(0.2)
        assert cluster.operations() == [], "nothing was queued"
    assert {name: node_state(root) for name, root in sim.items()} == before
