"""NodeDetailScreen: vz.conf drift flagged against the other nodes, capacity figures, live update, refresh key."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Static

from tests.ui.fake_cluster import FakeCluster, clock, detailed_container, detailed_snapshot, info
from vztui.ui.screens import node_detail as node_detail_module
from vztui.ui.screens.node_detail import NodeDetailScreen, cpu_units_committed, drift_report


def three_nodes() -> FakeCluster:
    """hn3's VE_ROOT differs from hn1 and hn2 (which agree)."""
    return FakeCluster(
        node_snapshots={
            "hn1": detailed_snapshot(
                "hn1",
                [detailed_container(101), detailed_container(102, cpuunits=500)],
                node_info=info("hn1.example.org"),
            ),
            "hn2": detailed_snapshot("hn2", []),
            "hn3": detailed_snapshot("hn3", [detailed_container(301)]),
        },
        infos={
            "hn1": info("hn1.example.org"),
            "hn2": info("hn2.example.org"),
            "hn3": info("hn3.example.org", ve_root="/vz2/root/$VEID"),
        },
    )


class NodeApp(App[None]):
    def __init__(self, cluster: FakeCluster, node: str) -> None:
        super().__init__()
        self.cluster = cluster
        self.node = node
        self.closed = False

    def on_mount(self) -> None:
        def done(_result: None) -> None:
            self.closed = True

        self.push_screen(NodeDetailScreen(self.cluster, self.node, clock=clock), done)  # type: ignore[arg-type]


def _section(app: App[None], section: str) -> str:
    return str(app.screen.query_one(f"#node-{section}", Static).render())


def test_drift_report_names_the_majority_value_and_its_nodes() -> None:
    infos = three_nodes().infos
    assert drift_report(infos, "hn3") == {"VE_ROOT": ("/vz/root/$VEID", ("hn1", "hn2"))}
    assert drift_report(infos, "hn1") == {}


async def test_drifting_path_is_flagged_with_the_other_nodes_value() -> None:
    app = NodeApp(three_nodes(), "hn3")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        vzconf = _section(app, "vzconf")
        root_line = next(line for line in vzconf.splitlines() if line.startswith("VE_ROOT"))
        assert "/vz2/root/$VEID" in root_line and "drift: hn1, hn2 use /vz/root/$VEID" in root_line
        private_line = next(line for line in vzconf.splitlines() if line.startswith("VE_PRIVATE"))
        assert "drift" not in private_line and "same on all nodes" in private_line
        assert "vzmigrate needs" in vzconf


async def test_agreeing_node_shows_no_drift() -> None:
    app = NodeApp(three_nodes(), "hn1")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        vzconf = _section(app, "vzconf")
        # hn1 agrees with the majority; hn3 being different is hn3's drift, not hn1's.
        assert "drift" not in vzconf and "vzmigrate needs" not in vzconf


async def test_capacity_in_vzcpucheck_and_vzmemcheck_terms() -> None:
    cluster = three_nodes()
    app = NodeApp(cluster, "hn1")
    async with app.run_test(size=(80, 40)) as pilot:
        await pilot.pause()
        capacity = _section(app, "capacity")
        assert cpu_units_committed(cluster.node_snapshots["hn1"]) == 1000 + 500 + 1000
        assert "Current CPU utilization 2500" in capacity
        assert "8 CPUs · RAM 32G · swap 8G" in capacity
        # Two running VSwap CTs promise 256M RAM + 512M swap each.
        assert "RAM+swap promised 1.5G of 40G (est.)" in capacity
        catalog = _section(app, "catalog")
        assert "centos-6-x86_64  (2 CTs)" in catalog and "vswap-256m" in catalog
        filesystems = _section(app, "filesystems")
        assert "/vz" in filesystems and "92%" in filesystems


async def test_updates_on_its_nodes_delta_and_r_refreshes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(node_detail_module, "REFRESH_DELAY", 0.01)
    cluster = three_nodes()
    app = NodeApp(cluster, "hn1")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "2 running of 2" in _section(app, "load")
        cluster.push(detailed_snapshot("hn1", [detailed_container(101)], node_info=info("hn1.example.org")))
        await pilot.pause(0.1)
        assert "1 running of 1" in _section(app, "load")
        await pilot.press("r")
        await pilot.pause()
        assert cluster.refreshed == ["hn1"]
        await pilot.press("escape")
        await pilot.pause()
        assert app.closed and cluster.listeners == []
