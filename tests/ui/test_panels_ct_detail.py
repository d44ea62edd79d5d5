"""CtDetailScreen: overview with live IPs vs config, config file as plain text, ploop snapshots, errors in place."""

from __future__ import annotations

from textual.app import App
from textual.widgets import DataTable, Static, TabbedContent

from tests.ui.fake_cluster import FakeCluster, clock, detailed_container, detailed_snapshot
from vztui.openvz.models import CtConfig, Layout, PloopSnapshot

BASE = "{aaaaaaaa-1111-2222-3333-444444444444}"
TOP = "{bbbbbbbb-1111-2222-3333-444444444444}"


def ct_cluster() -> FakeCluster:
    return FakeCluster(
        node_snapshots={
            "hn1": detailed_snapshot(
                "hn1", [detailed_container(101, name="web"), detailed_container(102, name="old", layout=Layout.SIMFS)]
            )
        },
        configs={
            ("hn1", 101): CtConfig(
                101,
                {
                    "PHYSPAGES": "0:65536",
                    "HOSTNAME": "web.example.org",
                    "IP_ADDRESS": "10.0.0.101 10.0.0.7",
                    "DESCRIPTION": "[bold]not markup[/bold]",
                },
            )
        },
        ploop={
            ("hn1", 101): [
                PloopSnapshot(BASE, "", False, "2026-12-01 10:00:00", "before-upgrade", "yum update"),
                PloopSnapshot(TOP, BASE, True, "2026-12-04 09:30:00", "nightly"),
            ]
        },
    )


class CtApp(App[None]):
    def __init__(self, cluster: FakeCluster, node: str, ctid: int) -> None:
        super().__init__()
        self.cluster = cluster
        self.node = node
        self.ctid = ctid
        self.closed = False

    def on_mount(self) -> None:
        from vztui.ui.screens.ct_detail import CtDetailScreen

        def done(_result: None) -> None:
            self.closed = True

        self.push_screen(CtDetailScreen(self.cluster, self.node, self.ctid, clock=clock), done)  # type: ignore[arg-type]


def _text(app: App[None], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_overview_shows_live_ips_and_flags_addresses_only_in_the_config() -> None:
    app = CtApp(ct_cluster(), "hn1", 101)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        overview = _text(app, "#ct-overview")
        ips = next(line for line in overview.splitlines() if line.startswith("IPs"))
        assert "10.0.0.101" in ips and "in config only: 10.0.0.7" in ips
        assert "running · up 2h00m" in overview
        assert "UGID  on,active" in _text(app, "#ct-quota")


async def test_config_is_shown_verbatim_as_plain_text() -> None:
    app = CtApp(ct_cluster(), "hn1", 101)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("2")
        await pilot.pause()
        assert app.screen.query_one(TabbedContent).active == "tab-config"
        config = _text(app, "#ct-config")
        assert 'PHYSPAGES="0:65536"' in config
        assert 'DESCRIPTION="[bold]not markup[/bold]"' in config  # host text is never parsed as markup


async def test_snapshots_are_listed_with_the_current_one_marked() -> None:
    app = CtApp(ct_cluster(), "hn1", 101)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        screen = app.screen
        assert [snap.name for snap in screen.ploop_snapshots or []] == ["before-upgrade", "nightly"]
        table = screen.query_one("#ct-snapshots", DataTable)
        assert table.get_cell(TOP, "current").plain == "*"
        assert table.get_cell(BASE, "current").plain == ""
        assert "2 snapshots" in _text(app, "#ct-snapshots-status")


async def test_simfs_ct_explains_why_there_are_no_snapshots_and_missing_config_is_reported() -> None:
    app = CtApp(ct_cluster(), "hn1", 102)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        assert "need the ploop layout" in _text(app, "#ct-snapshots-status")
        assert "Could not read the config: /etc/vz/conf/102.conf: no such file on hn1" in _text(app, "#ct-config")
        await pilot.press("escape")
        await pilot.pause()
        assert app.closed and app.cluster.listeners == []


async def test_snapshot_listing_failure_is_shown_in_place() -> None:
    cluster = ct_cluster()

    async def broken(node: str, ctid: int) -> list[PloopSnapshot]:
        raise OSError("vzctl snapshot-list: exit 1")

    cluster.ploop_snapshots = broken  # type: ignore[method-assign]
    app = CtApp(cluster, "hn1", 101)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        assert "Could not list snapshots: vzctl snapshot-list: exit 1" in _text(app, "#ct-snapshots-status")
        assert not app.screen.query_one("#ct-snapshots", DataTable).display
