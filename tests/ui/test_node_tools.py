"""The capacity tools screen: opened from the node detail screen over a simulated cluster and the real Cluster, its
figures come from the node's vzcpucheck/vzmemcheck; the vzsplit generator makes a preset that is copied as TOML and
offered first in the create form. Plus an SVG snapshot over canned tool output."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Button, Checkbox, DataTable, Input, Select, Static

from tests.ui.fake_cluster import FakeCluster, standard_snapshots
from tests.ui.harness import sim_specs
from tests.ui.ops_support import until
from vztui.backend.capacity import read_capacity
from vztui.backend.cluster import Cluster
from vztui.backend.transport import CommandResult
from vztui.openvz.models import NodeCapacity, NodeInfo, VzConf
from vztui.openvz.split import preset_toml, split_node
from vztui.ui.operations import ActionRunner
from vztui.ui.screens.capacity import CapacityScreen
from vztui.ui.screens.create import CreateScreen
from vztui.ui.screens.node_detail import NodeDetailScreen


@pytest.fixture(autouse=True)
def fast_sim(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VZTUI_SIM_SPEED", "0")


class RunnerScreen(Screen[None]):
    """Stands in for the main screen: owns the ActionRunner the capacity screen looks up."""

    def __init__(self, cluster: Any) -> None:
        super().__init__()
        self.cluster = cluster
        self.runner: ActionRunner | None = None

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        self.runner = ActionRunner(self.app, self.cluster)


class Host(App[None]):
    def __init__(self, cluster: Any, *, start: bool = False) -> None:
        super().__init__()
        self.cluster = cluster
        self.base = RunnerScreen(cluster)
        self.ready = not start

    async def on_mount(self) -> None:
        await self.push_screen(self.base)
        if not self.ready:
            self.run_worker(self._start())

    async def _start(self) -> None:
        await self.cluster.start()
        await self.cluster.refresh()
        self.ready = True


@contextlib.asynccontextmanager
async def hosted(tmp_path: Path, *, read_only: bool = False) -> AsyncIterator[tuple[Host, Any]]:
    """A one-node simulated cluster started from inside the app (as VztuiApp does), so its pollers run in the app's
    context and the screens' delta timers with them."""
    cluster = Cluster(sim_specs(tmp_path / "sim", nodes=1, cts=3), read_only=read_only, journal_dir=str(tmp_path / "j"))
    app = Host(cluster, start=True)
    async with app.run_test(size=(130, 50)) as pilot:
        await until(pilot, lambda: app.ready, within=20, what="the cluster")
        try:
            yield app, pilot
        finally:
            await cluster.stop()


async def _open(pilot: Any, app: Host, node: str) -> CapacityScreen:
    await app.push_screen(NodeDetailScreen(app.cluster, node))
    await pilot.press("c")
    await until(pilot, lambda: isinstance(app.screen, CapacityScreen), what="the capacity screen")
    screen = app.screen
    assert isinstance(screen, CapacityScreen)
    await until(pilot, lambda: screen.report is not None, within=20, what="the capacity report")
    await pilot.pause()
    return screen


async def test_capacity_figures_come_from_the_node_and_the_split_goes_into_the_create_form(tmp_path: Path) -> None:
    async with hosted(tmp_path) as (app, pilot):
        cluster = app.cluster
        node = cluster.nodes[0]
        screen = await _open(pilot, app, node)
        report = screen.report
        assert report is not None
        info = cluster.node_info(node)
        assert info is not None and report.cpu_power == info.capacity.cpu_power > 0
        running = [ct for ct in cluster.snapshots()[node].containers.values() if ct.running]
        assert {ct.ctid for ct in report.cts if ct.memory is not None} == {ct.ctid for ct in running}
        table = screen.query_one("#cap-cts", DataTable)
        assert table.row_count == len(report.cts) > 0
        summary = str(screen.query_one("#cap-summary").render())
        assert f"of power {report.cpu_power:g}" in summary and "MemSwap commit" in summary

        screen.query_one("#split-count", Input).value = "4"
        await pilot.pause()
        expected = split_node(4, report.split).preset(f"split4-{node}")
        assert screen.preset == expected
        assert preset_toml(expected) in str(screen.query_one("#split-result", Static).render())

        await pilot.press("ctrl+y")
        assert app.clipboard == preset_toml(expected)

        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, CreateScreen), what="the create form")
        assert app.screen.query_one("#preset", Select).value == expected.name
        runner = app.base.runner
        assert runner is not None and next(iter(runner.presets)) == expected.name
        assert "ispbasic" in runner.presets


async def test_a_split_the_node_cannot_hold_is_refused_with_its_maximum() -> None:
    app = Host(CannedCluster(standard_snapshots(), read_only=True))
    async with app.run_test(size=(130, 50)) as pilot:
        await app.push_screen(CapacityScreen(app.cluster, "hn1"))
        screen = app.screen
        assert isinstance(screen, CapacityScreen)
        await until(pilot, lambda: screen.report is not None, what="the canned report")
        assert screen.query_one("#use", Button).disabled, "read-only: no create from here"
        await pilot.press("ctrl+n")
        assert not isinstance(app.screen, CreateScreen) and app.base.runner is not None
        assert list(app.base.runner.presets) == ["ispbasic"], "nothing offered to a form that cannot run"
        assert not screen.query_one("#copy", Button).disabled
        screen.query_one("#split-count", Input).value = "9999"
        await pilot.pause()
        assert screen.preset is None
        assert "The maximum allowed value is 4639" in screen.split_error  # (24 GiB - 50 MiB) / 5542912
        assert screen.query_one("#copy", Button).disabled
        screen.query_one("#split-count", Input).value = "2"
        screen.query_one("#split-name", Input).value = "web+db"
        await pilot.pause()
        assert screen.preset is None and "preset name" in screen.split_error, "the config could not load it"
        screen.query_one("#split-name", Input).value = "web2"
        screen.query_one("#split-vswap", Checkbox).value = False
        await pilot.pause()
        assert screen.preset is not None and screen.preset.value("numproc") is not None
        assert screen.preset.value("ram") is None and screen.preset.name == "web2"


# -- snapshot over canned output ------------------------------------------------------------------------------------

CANNED = {
    "vzcpucheck": "VEID\t\tCPUUNITS\n-------------------------\n0\t\t1000\n101\t\t1000\n102\t\t2000\n"
    "Current CPU utilization: 4000\nPower of the node: 479992\n",
    "vzmemcheck": "Output values in %\n"
    "CTID        LowMem  LowMem     RAM MemSwap MemSwap   Alloc   Alloc   Alloc\n"
    "              util  commit    util    util  commit    util  commit   limit\n"
    "101           0.31    0.31    2.00    1.12    2.17    2.69    4.25    2.69\n"
    "102           0.03    0.03    1.82    0.37   12.09    1.76   14.18    1.76\n"
    "--------------------------------------------------------------------------\n"
    "Summary:      0.34    0.34    3.82    1.49   14.26    4.45   18.43    4.45\n",
    "vzcalc 102": "Resource     Current(%)  Promised(%)  Max(%)\nMemory            1.82       12.09      14.18\n",
    "vzcalc 101": "Resource     Current(%)  Promised(%)  Max(%)\nMemory            2.00        2.17       4.25\n",
    "df-k": "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda3 524288000 1000 524287000 1% /vz\n",
    "df-i": "Filesystem Inodes IUsed IFree IUse% Mounted on\n/dev/sda3 32768000 100 32767900 1% /vz\n",
    "cat": "254618\n",
}
INFO = NodeInfo(
    hostname="hn1.example.com",
    kernel="2.6.32-042stab134.8",
    vz=VzConf(),
    capacity=NodeCapacity(cpus=4, ram_bytes=16 * 1024**3, swap_bytes=8 * 1024**3, cpu_power=479992),
)


class CannedCluster(FakeCluster):
    """Answers the capacity screen's inspections with fixed tool output."""

    def node_info(self, node: str) -> NodeInfo | None:
        return INFO

    async def run_read(self, node: str, argv: Sequence[str], *, timeout: float | None = None) -> CommandResult:
        key = f"{argv[0]}{argv[2]}" if argv[0] == "df" else " ".join(argv[::2]) if argv[0] == "vzcalc" else argv[0]
        return CommandResult(tuple(argv), 0, CANNED[key].encode(), b"", 0.0)


def test_capacity_screen_snapshot(snap_compare: Any) -> None:
    app = Host(CannedCluster(standard_snapshots()))

    async def run_before(pilot: Any) -> None:
        await app.push_screen(CapacityScreen(app.cluster, "hn1"))
        screen = app.screen
        assert isinstance(screen, CapacityScreen)
        await until(pilot, lambda: screen.report is not None, what="the canned report")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 42), run_before=run_before)


async def test_the_canned_report_reads_every_tool() -> None:
    """Guards the snapshot: the canned text parses (a parser change would otherwise hide rows silently)."""
    cluster = CannedCluster(standard_snapshots())
    report = await read_capacity("hn1", lambda argv: cluster.run_read("hn1", argv), info=INFO)
    assert report.problems == ()
    assert [ct.ctid for ct in report.cts] == [102, 101]
    assert report.cts[0].calc is not None and report.cts[0].calc.promised == pytest.approx(12.09)
    assert report.split.threads_max == 254618 and report.split.disk_inodes == 32768000
