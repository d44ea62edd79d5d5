"""The main screen with a fake engine: filter, sort, cursor anchoring, marks, failcnt Δ, stale nodes, read-only."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.ui.fake_cluster import NOW, FakeCluster, container, snapshot, standard_snapshots
from tests.ui.harness import make_app
from vztui.backend.snapshot import NodeHealth, NodeSnapshot
from vztui.openvz.models import Container, CtStatus
from vztui.ui.app import VztuiApp
from vztui.ui.screens.main import MainScreen
from vztui.ui.widgets.ct_table import CtTable
from vztui.ui.widgets.filter_bar import DEBOUNCE
from vztui.ui.widgets.header import HeaderBar
from vztui.ui.widgets.node_tree import NodeTree
from vztui.ui.widgets.status_bar import StatusBar

SIZE = (120, 40)


def main_of(app: VztuiApp) -> MainScreen:
    screen = app.main_screen
    assert screen is not None
    return screen


def table_of(app: VztuiApp) -> CtTable:
    return main_of(app).table


async def set_filter_text(pilot: Pilot[object], text: str) -> None:
    """Replace the filter line's text at once (as a paste would) and wait out the debounce."""
    assert isinstance(pilot.app, VztuiApp)
    main_of(pilot.app).query_one("#filter-input", Input).value = text
    await pilot.pause(DEBOUNCE + 0.1)


async def test_table_lists_every_container_in_ctid_order() -> None:
    app = make_app(FakeCluster(standard_snapshots()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = table_of(app)
        assert list(table.order) == [f"hn1/{c}" for c in (101, 102, 103, 104)] + [
            f"hn2/{c}" for c in (201, 202, 203, 204)
        ]
        assert table.cursor_key == "hn1/101"
        assert table.cell_text("hn1/101", "ips") == "10.1.0.101 +1"
        header = main_of(app).query_one(HeaderBar).state
        assert header is not None
        assert (header.nodes_up, header.running, header.total) == (2, 6, 8)
        assert header.failing == 1  # hn1/102 holds 95 % of its RAM


async def test_filter_keeps_matching_rows_incrementally_and_escape_clears_it() -> None:
    app = make_app(FakeCluster(standard_snapshots()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await pilot.press(*"node:hn2")
        await pilot.pause(DEBOUNCE + 0.1)
        table = table_of(app)
        assert list(table.order) == ["hn2/201", "hn2/202", "hn2/203", "hn2/204"]
        await pilot.press("space", *"status:running")
        await pilot.pause(DEBOUNCE + 0.1)
        assert list(table.order) == ["hn2/201", "hn2/202", "hn2/203"]
        status = main_of(app).query_one(StatusBar).state
        assert status is not None and status.filter == "node:hn2 status:running"
        await pilot.press("enter")
        assert table.has_focus
        await pilot.press("escape")
        await pilot.pause()
        assert len(table.order) == 8


async def test_a_bad_filter_says_why_and_keeps_the_previous_one() -> None:
    app = make_app(FakeCluster(standard_snapshots()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"web")
        await pilot.pause(DEBOUNCE + 0.1)
        table = table_of(app)
        assert list(table.order) == ["hn1/101"]
        await set_filter_text(pilot, "web status:bogus")
        error = main_of(app).query_one("#filter-error")
        assert "status:bogus" in str(error.render())
        assert list(table.order) == ["hn1/101"]


async def test_sort_ties_break_by_ctid_ascending_in_both_directions() -> None:
    app = make_app(FakeCluster(standard_snapshots()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = table_of(app)
        main_of(app).sort_by_column("status")
        running = ["hn1/101", "hn1/102", "hn1/104", "hn2/201", "hn2/202", "hn2/203"]
        stopped = ["hn1/103", "hn2/204"]
        assert list(table.order) == running + stopped
        main_of(app).sort_by_column("status")  # again: reversed
        assert table.sort_reverse
        assert list(table.order) == stopped + running


async def test_cursor_stays_on_its_container_when_the_order_changes() -> None:
    cluster = FakeCluster(standard_snapshots())
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        await pilot.press("down", "down", "down", "down", "down", "down")
        assert table.cursor_key == "hn2/203"
        await pilot.press("o", "o", "o", "o", "o", "o")  # ctid → … → cpu
        assert table.sort_column == "cpu"
        assert table.cursor_key == "hn2/203"
        before = table.order.index("hn2/203")
        # 203's CPU jumps: it moves to the bottom of the ascending CPU order, the cursor follows it.
        cluster.push(replace(cluster.snapshots()["hn2"], cpu_percent=MappingProxyType({201: 5.0, 202: 1.0, 203: 99.0})))
        await pilot.pause()
        assert table.cursor_key == "hn2/203"
        assert table.order.index("hn2/203") == 5 != before
        await pilot.press("O")
        assert table.cursor_key == "hn2/203"
        assert table.order[0] == "hn2/203"
        assert list(table.order[-2:]) == ["hn1/103", "hn2/204"]  # no CPU figure: last in both directions


async def test_marks_toggle_range_all_invert_clear_and_count_hidden_ones() -> None:
    app = make_app(FakeCluster(standard_snapshots()))
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        status_bar = main_of(app).query_one(StatusBar)
        await pilot.press("space")  # marks 101, steps to 102
        assert table.marks.keys == {"hn1/101"}
        await pilot.press("down", "down", "v")  # range 101 … 104
        assert table.marks.keys == {"hn1/101", "hn1/102", "hn1/103", "hn1/104"}
        await pilot.press("i")  # invert every shown row
        assert table.marks.keys == {"hn2/201", "hn2/202", "hn2/203", "hn2/204"}
        await pilot.press("slash", *"node:hn1")
        await pilot.pause(DEBOUNCE + 0.1)
        await pilot.press("enter", "asterisk")  # all matching the filter
        assert len(table.marks) == 8
        main_of(app).table.marks.unmark(["hn1/101"])
        await pilot.press("home", "space")
        await pilot.pause()
        state = status_bar.state
        assert state is not None and state.marked == 8 and state.hidden_marked == 4
        assert table.hidden_marked == 4
        assert len(table.targets()) == 8
        await pilot.press("u")
        await pilot.pause()
        assert not table.marks
        state = status_bar.state
        assert state is not None and state.marked == 0


async def test_failcnt_delta_is_highlighted_once_per_increase() -> None:
    cluster = FakeCluster(standard_snapshots())
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        assert table.cell_text("hn1/104", "faildelta") == ""
        cluster.update("hn1", container(104, name="shop", hostname="shop.example.com", physpages=40_000, phys_fail=3))
        await pilot.pause()
        assert table.cell_text("hn1/104", "faildelta") == "+3"
        cell = table._cell("hn1/104", table.columns[[c.key for c in table.columns].index("faildelta")])
        assert "reverse" in str(cell.style)
        cluster.update("hn1")  # the next tick: nothing rose
        await pilot.pause()
        assert table.cell_text("hn1/104", "faildelta") == ""
        cluster.update("hn1", container(104, name="shop", hostname="shop.example.com", physpages=40_000, phys_fail=5))
        await pilot.pause()
        assert table.cell_text("hn1/104", "faildelta") == "+2"
        header = main_of(app).query_one(HeaderBar).state
        assert header is not None and header.failing == 2


async def test_a_tick_rerenders_only_the_changed_rows() -> None:
    cluster = FakeCluster(standard_snapshots())
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = table_of(app)
        lines_before = dict(table._lines)
        assert "hn1/101" in lines_before and "hn1/102" in lines_before
        cluster.update("hn1", container(102, name="db102", hostname="db.example.com", physpages=63_000))
        await pilot.pause()
        assert table._lines.get("hn1/101") is lines_before["hn1/101"]
        assert table._lines.get("hn1/102") is not lines_before["hn1/102"]
        assert table.cell_text("hn1/102", "ram").startswith("246.1M/256M")


def dimmed(table: CtTable, key: str, text: str) -> bool:
    """Whether the segment of ``key``'s line holding ``text`` is drawn dim (a stale node's row)."""
    segment = next(seg for seg in table._line(key) if text in seg.text)
    return bool(segment.style is not None and segment.style.dim)


async def test_stale_and_unreachable_nodes_are_shown_with_time_and_reason(utc: None) -> None:
    cluster = FakeCluster(standard_snapshots())
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        cluster.push(replace(cluster.snapshots()["hn2"], health=NodeHealth.STALE, error="poll timed out after 10 s"))
        await pilot.pause()
        tree = main_of(app).query_one(NodeTree)
        labels = [str(node.label) for node in tree.root.children[1].children]
        assert labels == ["stale since 14:13:20: poll timed out after 10 s"]
        assert str(tree.root.children[1].label).startswith("◐ hn2")
        table = table_of(app)
        assert dimmed(table, "hn2/201", "ci.hosting.local") and not dimmed(table, "hn1/101", "web1.example.com")
        header = main_of(app).query_one(HeaderBar).state
        assert header is not None and header.nodes_up == 1
        cluster.push(replace(cluster.snapshots()["hn2"], health=NodeHealth.UP, error=""))
        await pilot.pause()
        assert not tree.root.children[1].children
        assert not dimmed(table, "hn2/201", "ci.hosting.local")


async def test_selecting_a_node_scopes_the_table_and_the_root_shows_all() -> None:
    app = make_app(FakeCluster(standard_snapshots()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", "down", "down", "enter")
        table = table_of(app)
        assert table.scope == "hn2"
        assert list(table.order) == ["hn2/201", "hn2/202", "hn2/203", "hn2/204"]
        assert table.has_focus
        await pilot.press("escape")
        assert table.scope is None and len(table.order) == 8


async def test_read_only_hides_and_refuses_mutating_actions() -> None:
    from vztui.ui.commands import VztuiCommands
    from vztui.ui.widgets.help import help_table

    app = make_app(FakeCluster(standard_snapshots(), read_only=True), read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        main = main_of(app)
        assert main.check_action("ct_action", ("start",)) is False
        assert main.check_action("failing", ()) is True
        invoked: list[str] = []

        async def record(action_id: str, *_args: object, **_kw: object) -> None:
            invoked.append(action_id)

        assert main.runner is not None
        main.runner.invoke = record  # type: ignore[method-assign]
        await pilot.press("s", "D", "x")
        await pilot.pause()
        assert invoked == []
        rows = [str(cell) for cell in help_table(app.keymap, read_only=True).columns[1].cells]
        assert "Start" not in rows and "Destroy" not in rows and "Failing now" in rows
        titles = [title for title, _help, _cb in VztuiCommands(main)._entries()]
        assert not any(title.startswith(("Start", "Stop", "Destroy", "Migrate")) for title in titles)
        assert any(title.startswith("Failing now") for title in titles)
        header = main.query_one(HeaderBar).state
        assert header is not None and header.read_only


async def test_action_keys_go_to_the_runner_with_marks_or_the_cursor() -> None:
    app = make_app(FakeCluster(standard_snapshots()))
    async with app.run_test(size=SIZE) as pilot:
        main = main_of(app)
        calls: list[tuple[str, list[tuple[str, int]], int]] = []

        async def record(action_id: str, targets: list[tuple[str, int]], *, hidden_marked: int = 0) -> None:
            calls.append((action_id, list(targets), hidden_marked))

        assert main.runner is not None
        main.runner.invoke = record  # type: ignore[method-assign]
        await pilot.press("x")
        await pilot.pause()
        assert calls[-1] == ("stop", [("hn1", 101)], 0)
        await pilot.press("space", "space", "s")
        await pilot.pause()
        assert calls[-1] == ("start", [("hn1", 101), ("hn1", 102)], 0)


async def test_keymap_remaps_a_binding_and_unknown_ids_are_reported() -> None:
    app = make_app(FakeCluster(standard_snapshots()), keymap={"mark_toggle": "m,M", "no_such_thing": "z"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = table_of(app)
        await pilot.press("space")
        assert not table.marks
        await pilot.press("M")
        assert table.marks.keys == {"hn1/101"}
        assert any("no_such_thing" in str(n.message) for n in app._notifications)


async def test_copy_sends_ctid_and_ip_to_the_clipboard() -> None:
    app = make_app(FakeCluster(standard_snapshots()))
    copied: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
        await pilot.press("c", "C")
        assert copied == ["101", "10.1.0.101"]


async def test_pause_refresh_and_quit_reach_the_engine() -> None:
    cluster = FakeCluster(standard_snapshots())
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        assert cluster.paused
        header = main_of(app).query_one(HeaderBar).state
        assert header is not None and header.paused
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert cluster.refreshed == [None]
        await pilot.press("q")
        await pilot.pause()
    assert cluster.started == 1 and cluster.stopped == 1


async def test_failing_view_jump_lifts_a_hiding_filter() -> None:
    from vztui.ui.screens.failing import FailingScreen

    app = make_app(FakeCluster(standard_snapshots()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"node:hn2")
        await pilot.pause(DEBOUNCE + 0.1)
        await pilot.press("enter", "f")
        await pilot.pause()
        assert isinstance(app.screen, FailingScreen)
        app.screen.dismiss(("hn1", 102))
        await pilot.pause()
        table = table_of(app)
        assert table.cursor_key == "hn1/102"
        assert table.filter is None


async def test_host_text_is_never_markup() -> None:
    evil = container(301, name="[bold red]x[/]", hostname="\x1b]52;c;aGk=\x07evil", status=CtStatus.RUNNING)
    snapshots = standard_snapshots()
    cluster = FakeCluster({**snapshots, "hn2": replace(snapshots["hn2"], containers=MappingProxyType({301: evil}))})
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = table_of(app)
        assert table.cell_text("hn2/301", "name").startswith("[bold red]")
        assert "\x1b" not in table.cell_text("hn2/301", "hostname")


@pytest.mark.parametrize("size", [(80, 24)])
async def test_small_terminal_still_shows_table_rows(size: tuple[int, int]) -> None:
    app = make_app(FakeCluster(standard_snapshots()))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        table = table_of(app)
        assert table.size.height >= 4
        assert table.size.width >= 40
        _ = NOW


async def test_cursor_stays_on_the_first_row_while_nodes_report_in_any_order() -> None:
    full = standard_snapshots()
    empty = {
        name: replace(snap, containers=MappingProxyType({}), health=NodeHealth.UNREACHABLE)
        for name, snap in full.items()
    }
    cluster = FakeCluster(empty)
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        cluster.push(full["hn2"])
        await pilot.pause()
        table = table_of(app)
        assert table.cursor_key == "hn2/201"
        cluster.push(full["hn1"])
        await pilot.pause()
        assert table.cursor_key == "hn1/101"
        assert table.scroll_y == 0


async def test_rows_appear_and_vanish_with_marks_of_vanished_rows_dropped() -> None:
    cluster = FakeCluster(standard_snapshots())
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        await pilot.press("down", "space")  # mark 102
        hn1 = cluster.snapshots()["hn1"]
        cts = {ctid: ct for ctid, ct in hn1.containers.items() if ctid != 102}
        cts[110] = container(110, name="new")
        cluster.push(replace(hn1, containers=MappingProxyType(cts)))
        await pilot.pause()
        assert "hn1/102" not in table.order and not table.marks
        assert table.order[3] == "hn1/110"


async def test_palette_lists_registry_commands_with_keys_and_runs_them() -> None:
    from textual.command import CommandPalette

    from vztui.ui.commands import VztuiCommands
    from vztui.ui.screens.failing import FailingScreen

    app = make_app(FakeCluster(standard_snapshots()))
    async with app.run_test(size=SIZE) as pilot:
        main = main_of(app)
        entries = {title: callback for title, _help, callback in VztuiCommands(main)._entries()}
        assert "Stop  (x)" in entries and "Refresh now  (^r f5)" in entries
        entries["Sort by Name"]()
        assert table_of(app).sort_column == "name"
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Failing now")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, FailingScreen)


async def test_theme_key_cycles_to_the_16_colour_theme_and_cells_follow() -> None:
    app = make_app(FakeCluster(standard_snapshots()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("T")
        await pilot.pause()
        assert app.theme == "ansi-dark"
        assert table_of(app).palette.error in ("red", "color(1)")  # the terminal's own red, not RGB


async def test_detail_screens_open_for_the_cursor_row_and_its_node() -> None:
    from vztui.ui.screens.ct_detail import CtDetailScreen
    from vztui.ui.screens.node_detail import NodeDetailScreen

    app = make_app(FakeCluster(standard_snapshots()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CtDetailScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is main_of(app)
        await pilot.press("N")
        await pilot.pause()
        assert isinstance(app.screen, NodeDetailScreen)


async def test_mouse_click_moves_the_cursor_and_a_header_click_sorts() -> None:
    app = make_app(FakeCluster(standard_snapshots()))
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        await pilot.click(CtTable, offset=(10, 3))  # the third row
        assert table.cursor_key == "hn1/103"
        name = next(c for c in table.columns if c.key == "name")
        x = 2 + sum(c.width + 1 for c in table.columns[: table.columns.index(name)])
        await pilot.click(CtTable, offset=(x + 1, 0))
        assert table.sort_column == "name"
        assert table.cursor_key == "hn1/103"


async def test_no_widget_of_the_main_screen_turns_text_into_links() -> None:
    app = make_app(FakeCluster(standard_snapshots()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not [widget for widget in main_of(app).walk_children(with_self=True) if widget.auto_links]


async def test_configured_columns_are_shown_in_order_and_unknown_ones_reported() -> None:
    app = make_app(FakeCluster(standard_snapshots()), columns=("ctid", "status", "bogus", "faildelta"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert [column.key for column in table_of(app).columns] == ["ctid", "status", "faildelta"]
        assert any("bogus" in str(n.message) for n in app._notifications)


async def test_quit_asks_first_while_operations_would_be_killed() -> None:
    from vztui.backend.operation import Operation, OpRequest, OpState
    from vztui.ui.screens.quit import QuitScreen

    cluster = FakeCluster(standard_snapshots())
    request = OpRequest(node="hn1", argv=("vzctl", "stop", "101"), kind="stop", ctids=(101,))
    cluster.ops = [Operation(request, state=OpState.RUNNING)]
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is main_of(app) and app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("y")
        await pilot.pause()
    assert cluster.stopped == 1


async def test_nodes_not_polled_yet_say_connecting_not_unreachable() -> None:
    full = standard_snapshots()
    placeholder = {
        name: NodeSnapshot(node=name, taken_at=0.0, health=NodeHealth.UNREACHABLE, error="not started") for name in full
    }
    cluster = FakeCluster(placeholder)
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = main_of(app).query_one(NodeTree)
        first = tree.root.children[0]
        assert "connecting" in str(first.label) and not first.children
        cluster.push(replace(placeholder["hn1"], error="connection refused"))
        await pilot.pause()
        assert str(first.label).startswith("✖ hn1")
        assert [str(leaf.label) for leaf in first.children] == ["unreachable: connection refused"]


async def test_failing_count_drops_when_a_rise_leaves_the_window() -> None:
    now = [NOW]
    cluster = FakeCluster(standard_snapshots())
    app = make_app(cluster, clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        main = main_of(app)
        cluster.update("hn2", container(202, hostname="ns2.example.com", phys_fail=2))
        await pilot.pause()
        header = main.query_one(HeaderBar)
        assert header.state is not None and header.state.failing == 2  # 102 near its RAM limit, 202 rising
        now[0] += 301
        main._age_failing()
        assert header.state.failing == 1


async def test_narrow_terminal_hides_the_tree_until_t_opens_it() -> None:
    app = make_app(FakeCluster(standard_snapshots()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tree = main_of(app).query_one(NodeTree)
        assert not tree.display or tree.region.width == 0
        table = table_of(app)
        assert table.size.width >= 78
        await pilot.press("t")
        await pilot.pause()
        assert tree.region.width > 0 and tree.has_focus
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert table.scope == "hn2" and table.has_focus
        assert tree.region.width == 0


async def test_incremental_order_always_equals_a_fresh_sort() -> None:
    """Random ticks, filters and sorts: the table's order is what sorting the shown rows from scratch gives."""
    import random

    from vztui.filters import compile_filter
    from vztui.ui.state.columns import sort_order

    rng = random.Random(11)
    cluster = FakeCluster(standard_snapshots())
    app = make_app(cluster)
    filters = ["", "status:running", "node:hn1", "-web", "cpu>10"]
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        for step in range(60):
            node = rng.choice(["hn1", "hn2"])
            snap = cluster.snapshots()[node]
            cpu = {ctid: round(rng.uniform(0, 50), 1) for ctid in snap.containers if rng.random() < 0.6}
            cts = dict(snap.containers)
            victim = rng.choice(list(cts))
            if rng.random() < 0.2:
                del cts[victim]
            elif rng.random() < 0.3:
                cts[victim] = replace(cts[victim], status=rng.choice([CtStatus.RUNNING, CtStatus.STOPPED]))
            if rng.random() < 0.2:
                new = rng.randint(100, 399)
                cts[new] = container(new, name=rng.choice([None, "alpha", "zeta"]))
            cluster.push(replace(snap, containers=MappingProxyType(cts), cpu_percent=MappingProxyType(cpu)))
            if step % 3 == 0:
                table.set_filter(compile_filter(rng.choice(filters)) or None)
            if step % 11 == 0:
                table.sort_by(
                    rng.choice(["cpu", "name", "status", "ctid", "ram", "uptime"]), reverse=rng.random() < 0.5
                )
            await pilot.pause()
            shown = [row for row in table._rows.values() if table._matches(row)]
            expected = sort_order(shown, table.sort_column, reverse=table.sort_reverse, now=NOW)
            assert list(table.order) == expected, f"step {step}: sort {table.sort_column} reverse {table.sort_reverse}"
            assert table.cursor_key is None or table.cursor_key in expected


async def test_a_live_sort_with_many_moves_resorts_once_and_keeps_the_cursor_on_its_screen_row() -> None:
    """Sorted by CPU with every CPU moving: the order goes stale and is sorted once, after the tick's deltas;
    reading it earlier sorts it then. Either way it equals a fresh sort, and the cursor's row stays on the same
    screen line."""
    import random

    from vztui.ui.state.columns import sort_order
    from vztui.ui.widgets.ct_table import BULK_CHANGES

    rng = random.Random(5)
    per_node = 3 * BULK_CHANGES
    snapshots = {
        node: snapshot(
            node, [container(base + i) for i in range(per_node)], cpu=dict.fromkeys(range(base, base + per_node), 1.0)
        )
        for node, base in (("hn1", 1000), ("hn2", 2000))
    }
    cluster = FakeCluster(snapshots)
    app = make_app(cluster)

    def moved_cpu(node: str) -> NodeSnapshot:
        snap = cluster.snapshots()[node]
        cpu = {ctid: round(rng.uniform(0, 99), 1) for ctid in snap.containers}
        return replace(snap, cpu_percent=MappingProxyType(cpu))

    def fresh_sort() -> list[str]:
        shown = [row for row in table._rows.values() if table._matches(row)]
        return sort_order(shown, table.sort_column, reverse=table.sort_reverse, now=NOW)

    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        table.sort_by("cpu", reverse=True)
        await pilot.pause()
        for _ in range(12):
            await pilot.press("down")
        await pilot.pause()
        cursor, line = table.cursor_key, table.cursor_index - int(table.scroll_y)
        for tick in range(3):
            cluster.push(moved_cpu("hn1"))
            cluster.push(moved_cpu("hn2"))
            assert table._order_stale, "every CPU moved: the order should wait for one sort"
            if tick == 1:  # read before the deferred sort ran: sorted on the spot
                assert list(table.order) == fresh_sort()
            await pilot.pause()
            assert not table._order_stale
            assert list(table.order) == fresh_sort(), f"tick {tick}"
            assert table.cursor_key == cursor
            assert table.cursor_index - int(table.scroll_y) == line, "the cursor's row jumped on screen"


async def test_a_row_that_changed_while_filtered_out_returns_in_its_new_place() -> None:
    from vztui.filters import compile_filter

    cluster = FakeCluster(standard_snapshots())
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        table.sort_by("cpu")
        table.set_filter(compile_filter("node:hn1"))
        cluster.push(replace(cluster.snapshots()["hn2"], cpu_percent=MappingProxyType({201: 5.0, 202: 1.0, 203: 99.0})))
        await pilot.pause()
        table.set_filter(None)
        await pilot.pause()
        assert list(table.order)[-3:] == ["hn2/203", "hn1/103", "hn2/204"]


async def test_help_lists_only_what_can_run_with_the_users_keys() -> None:
    from vztui.ui.widgets.help import help_table

    app = make_app(FakeCluster(standard_snapshots()), keymap={"failing": "F"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main = main_of(app)
        runner = main.runner
        assert runner is not None
        runner.available = lambda action_id: action_id != "calc"  # type: ignore[method-assign]
        table = help_table(app.keymap, read_only=False, available=main.command_available)
        keys = [str(cell) for cell in table.columns[0].cells]
        titles = [str(cell) for cell in table.columns[1].cells]
        assert keys[titles.index("Failing now")] == "F"
        assert "Start" in titles and "Destroy" in titles
        assert "Resource usage" not in titles


async def test_a_failing_refresh_is_a_notification_not_a_crash() -> None:
    cluster = FakeCluster(standard_snapshots())
    cluster.refresh_error = OSError("hn1: connection reset by peer")
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await pilot.pause(0.1)
        assert app.is_running
        header = main_of(app).query_one(HeaderBar).state
        assert header is not None and not header.refreshing
        assert any("connection reset" in str(n.message) for n in app._notifications)


def test_node_tally_follows_status_and_ram_limits_only_when_it_must_sum_them() -> None:
    from vztui.backend.delta import compute_delta
    from vztui.ui.widgets.node_tree import NodeTally

    before = standard_snapshots()["hn1"]
    cts = dict(before.containers)
    cts[101] = replace(cts[101], status=CtStatus.STOPPED)
    cts[102] = container(102, name="db102", hostname="db.example.com", physpages=62_000)
    cts[102] = replace(cts[102], resources=MappingProxyType({**cts[102].resources}))
    bigger = dict(cts[104].resources)
    bigger["physpages"] = replace(bigger["physpages"], limit=131_072)
    cts[104] = replace(cts[104], resources=MappingProxyType(bigger))
    after = replace(before, containers=MappingProxyType(cts))
    delta = compute_delta(before, after)
    summing, counting = NodeTally(before), NodeTally(before, with_promised=False)
    assert (summing.running, counting.running) == (3, 3)
    promised = summing.promised
    summing.apply(delta)
    counting.apply(delta)
    assert (summing.running, counting.running) == (2, 2)
    assert summing.promised == promised + 65_536 * 4096
    assert counting.promised == 0


def test_node_tally_reads_the_engines_compact_tables_like_mappings() -> None:
    """The engine hands the UI BeancounterTables (one array per CT); the tally reads their limits directly and must
    promise exactly what the same beancounters as a plain mapping promise."""
    from array import array

    from vztui.openvz.models import BeancounterTable
    from vztui.ui.widgets.node_tree import NodeTally

    def compact(ct: Container) -> Container:
        names = tuple(ct.resources)
        numbers = array(
            "Q", [v for bc in ct.resources.values() for v in (bc.held, bc.maxheld, bc.barrier, bc.limit, bc.failcnt)]
        )
        index = MappingProxyType({name: row for row, name in enumerate(names)})
        return replace(ct, resources=BeancounterTable(names, index, numbers))

    plain = standard_snapshots()["hn1"]
    tables = replace(plain, containers=MappingProxyType({c: compact(ct) for c, ct in plain.containers.items()}))
    assert isinstance(tables.containers[101].resources, BeancounterTable)
    assert tables.containers[101].resources.limit("physpages") == plain.containers[101].resources["physpages"].limit
    assert tables.containers[101].resources.limit("nosuch") is None
    by_table, by_mapping = NodeTally(tables), NodeTally(plain)
    assert by_table.promised == by_mapping.promised > 0
    assert by_table.running == by_mapping.running


async def test_configured_presets_reach_the_create_form_and_the_runner_stops_listening_on_exit() -> None:
    from textual.widgets import Select

    from tests.ui.ops_support import until
    from vztui.openvz.presets import Preset
    from vztui.ui.screens.create import CreateScreen

    small = Preset("small", (("ram", "256M"), ("swap", "256M")))
    large = Preset("large", (("ram", "4G"), ("cpus", "4")))
    cluster = FakeCluster(standard_snapshots())
    app = make_app(cluster, presets={small.name: small, large.name: large})
    async with app.run_test(size=SIZE) as pilot:
        main = main_of(app)
        await until(pilot, lambda: main.runner is not None, what="the action runner")
        runner = main.runner
        assert runner is not None and dict(runner.presets) == {"small": small, "large": large}
        assert runner in cluster.listeners
        main.action_ct_action("create")
        await until(pilot, lambda: isinstance(app.screen, CreateScreen), what="the create form")
        select = app.screen.query_one("#preset", Select)
        await until(pilot, lambda: select.value == "small", what="the first configured preset chosen")
        assert [value for _prompt, value in select._options if isinstance(value, str)] == ["small", "large"]
    assert runner not in cluster.listeners and cluster.listeners == []


async def test_without_configured_presets_the_form_offers_the_builtin_one() -> None:
    from tests.ui.ops_support import until

    cluster = FakeCluster(standard_snapshots())
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        main = main_of(app)
        await until(pilot, lambda: main.runner is not None, what="the action runner")
        assert main.runner is not None and list(main.runner.presets) == ["ispbasic"]


async def test_a_tick_repaints_only_the_changed_cells() -> None:
    """A CPU % change dirties that cell only (Textual writes a partial line from the widget's left edge to the end
    of the dirty region, so cells right of it stay unsent), and a change no shown column depends on nothing."""
    from textual.geometry import Region

    cluster = FakeCluster(standard_snapshots())
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        await pilot.pause()
        calls: list[tuple[Region, ...]] = []
        original = table.refresh

        def spy(*regions: Region, **options: object) -> object:
            calls.append(regions)
            return original(*regions, **options)  # type: ignore[arg-type]

        table.refresh = spy  # type: ignore[method-assign]
        snap = cluster.snapshots()["hn1"]
        cluster.push(replace(snap, cpu_percent=MappingProxyType({**snap.cpu_percent, 101: 77.0})))
        cpu = table.columns.index(next(c for c in table.columns if c.key == "cpu"))
        cpu_end = table._offsets[cpu] + table.columns[cpu].width
        width = table.columns[cpu].width
        assert calls == [(Region(cpu_end - width, 1 + table.order.index("hn1/101"), width, 1),)]
        assert cpu_end < table.scrollable_content_region.width
        calls.clear()
        cluster.update("hn1", replace(snap.containers[102], description="not a column"))
        assert calls == [], "nothing shown changed: nothing to repaint"
        await pilot.pause()
        assert table.cell_text("hn1/101", "cpu").strip() == "77.0"
