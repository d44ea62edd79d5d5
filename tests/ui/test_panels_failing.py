"""FailingScreen: severity order across nodes, live re-ranking with the cursor kept, enter/escape dismiss values."""

from __future__ import annotations

from textual.app import App
from textual.widgets import DataTable, Static

from tests.ui.fake_cluster import (
    NOW,
    FakeCluster,
    bc,
    clock,
    detailed_container,
    detailed_snapshot,
    near,
    rise,
    vswap_resources,
)
from vztui.backend.snapshot import NodeHealth
from vztui.ui.screens import failing as failing_module
from vztui.ui.screens.failing import FailingScreen
from vztui.ui.state.failing import FailcntLog


def failing_cluster() -> tuple[FakeCluster, FailcntLog]:
    """hn1/101 numproc rising now, hn2/201 kmemsize rose 200 s ago, hn2/202 at 100 % and hn1/102 at 95 %."""
    hot = detailed_container(101, name="web", resources=vswap_resources(numproc=100, numproc_fail=7))
    full_ram = detailed_container(102, name="db", resources=vswap_resources(physpages=62_260))
    calm = detailed_container(103, name="calm")
    kmem = {**vswap_resources(), "kmemsize": bc("kmemsize", 11_000_000, 12_000_000, 13_000_000, failcnt=4)}
    older = detailed_container(201, name="mail", resources=kmem)
    at_limit = detailed_container(202, name="cache", resources=vswap_resources(physpages=65_536))
    cluster = FakeCluster(
        node_snapshots={
            "hn1": detailed_snapshot("hn1", [hot, full_ram, calm]),
            "hn2": detailed_snapshot("hn2", [older, at_limit]),
        }
    )
    log = FailcntLog()
    log.add([rise("hn2", 201, "kmemsize", 1, 4, at=NOW - 200), rise("hn1", 101, "numproc", 5, 7, at=NOW - 8)])
    return cluster, log


class FailingApp(App[None]):
    def __init__(self, cluster: FakeCluster, log: FailcntLog | None, near_limit: object = None) -> None:
        super().__init__()
        self.cluster = cluster
        self.failcnt_log = log
        self.near_limit = near_limit
        self.results: list[tuple[str, int] | None] = []

    def on_mount(self) -> None:
        screen = FailingScreen(
            self.cluster,  # type: ignore[arg-type]
            failcnt_log=self.failcnt_log,
            near_limit=self.near_limit,  # type: ignore[arg-type]
            clock=clock,
        )
        self.push_screen(screen, self.results.append)


def _order(screen: FailingScreen) -> list[str]:
    return [entry.key for entry in screen.entries]


async def test_sorted_by_severity_across_nodes_and_enter_dismisses_with_node_and_ctid() -> None:
    cluster, log = failing_cluster()
    app = FailingApp(cluster, log)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FailingScreen)
        assert _order(screen) == ["hn1/101", "hn2/201", "hn2/202", "hn1/102"]
        table = screen.query_one(DataTable)
        assert table.get_cell("hn1/101", "what").plain == "numproc +2"
        assert table.get_cell("hn1/101", "when").plain == "8s"
        assert table.get_cell("hn2/201", "when").plain == "3m"
        assert table.get_cell("hn2/202", "use").plain == "100%"
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.results == [("hn2", 201)]
        assert cluster.listeners == []  # unsubscribed when dismissed


async def test_escape_dismisses_with_none() -> None:
    cluster, log = failing_cluster()
    app = FailingApp(cluster, log)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


async def test_detail_names_the_resource_the_rise_the_held_value_and_the_node() -> None:
    cluster, log = failing_cluster()
    app = FailingApp(cluster, log)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        detail = str(app.screen.query_one("#failing-detail", Static).render())
        assert "CT 101 web" in detail
        assert "numproc" in detail and "failcnt 5 → 7 (+2 in 1 tick, last 8s ago)" in detail
        assert "held 100/100" in detail
        assert "hn1: up" in detail and "2/3 CTs running" not in detail and "3/3 CTs running" in detail


async def test_new_rise_reranks_live_and_keeps_the_cursor_on_its_ct(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(failing_module, "REFRESH_DELAY", 0.01)
    cluster, _log = failing_cluster()
    app = FailingApp(cluster, None)  # the screen keeps its own log: only rises seen while shown count
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FailingScreen)
        # Near limits only, fullest first (ties by CTID): 101 and 202 at 100 %, 102 at 95 %, 201's kmemsize at 92 %.
        assert _order(screen) == ["hn1/101", "hn2/202", "hn1/102", "hn2/201"]
        await pilot.press("down", "down")  # cursor on hn1/102
        snap = cluster.node_snapshots["hn1"]
        db = detailed_container(
            102, name="db", resources=vswap_resources(physpages=62_260, numproc=100, numproc_fail=9)
        )
        new = detailed_snapshot("hn1", [snap.containers[101], db, snap.containers[103]])
        cluster.push(
            new,
            increases=[rise("hn1", 102, "numproc", 0, 9)],
            near_limit=[near("hn1", 102, "physpages", 0.95), near("hn1", 102, "numproc", 1.0)],
        )
        await pilot.pause(0.1)
        # hn1's delta carries its complete near-limit list: 101 is no longer in it.
        assert _order(screen) == ["hn1/102", "hn2/202", "hn2/201"]
        table = screen.query_one(DataTable)
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == "hn1/102"
        assert table.get_cell("hn1/102", "what").plain == "numproc +9 +1 more"


async def test_nothing_failing_says_so_and_stale_nodes_are_named() -> None:
    cluster = FakeCluster(
        node_snapshots={
            "hn1": detailed_snapshot("hn1", [detailed_container(101)]),
            "hn2": detailed_snapshot("hn2", [], health=NodeHealth.UNREACHABLE, error="connection refused"),
        }
    )
    app = FailingApp(cluster, FailcntLog())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        title = str(app.screen.query_one("#failing-title", Static).render())
        assert "nothing failing" in title and "not current: hn2" in title
        assert "No failcnt rose" in str(app.screen.query_one("#failing-detail", Static).render())
        await pilot.press("enter")
        assert app.results == []


async def test_i_and_n_open_the_ct_and_node_detail_of_the_highlighted_row() -> None:
    from vztui.ui.screens.ct_detail import CtDetailScreen
    from vztui.ui.screens.node_detail import NodeDetailScreen

    cluster, log = failing_cluster()
    app = FailingApp(cluster, log)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down", "i")
        await pilot.pause()
        assert isinstance(app.screen, CtDetailScreen) and app.screen.target == ("hn2", 201)
        await pilot.press("escape", "n")
        await pilot.pause()
        assert isinstance(app.screen, NodeDetailScreen) and app.screen.node == "hn2"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, FailingScreen) and app.results == []


async def test_near_limit_lists_passed_in_are_used_as_given() -> None:
    cluster, log = failing_cluster()
    app = FailingApp(cluster, log, near_limit={"hn1": (near("hn1", 102, "physpages", 0.95),), "hn2": ()})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FailingScreen)
        # 202 and 101's numproc are full in the snapshots, but the shell's lists are what the header counted.
        assert _order(screen) == ["hn1/101", "hn2/201", "hn1/102"]
