"""SVG snapshots of F2's panels and screens at 80×24 with frozen data and a frozen clock.

Update after an intended visual change with ``pytest tests/ui/test_panels_snapshots.py --snapshot-update`` and
look at the SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import TabbedContent

from tests.ui.fake_cluster import (
    NOW,
    FakeCluster,
    bc,
    clock,
    detailed_container,
    detailed_snapshot,
    info,
    lines,
    operation,
    rise,
    vswap_resources,
)
from vztui.backend.operation import OpState
from vztui.backend.transport import Stream
from vztui.openvz.models import CtConfig, PloopSnapshot
from vztui.ui.screens.ct_detail import CtDetailScreen
from vztui.ui.screens.failing import FailingScreen
from vztui.ui.screens.node_detail import NodeDetailScreen
from vztui.ui.state.failing import FailcntLog
from vztui.ui.widgets import beancounters, ops_pane
from vztui.ui.widgets.beancounters import BeancounterPanel
from vztui.ui.widgets.ops_pane import OpsPane

SERIES: dict[str, list[int]] = {
    "physpages": [40_000, 45_000, 50_000, 52_000, 58_000, 60_000, 59_000, 60_500],
    "numproc": [50, 60, 90, 98, 99, 100],
    "cpu": [10, 20, 33, 30, 31, 45, 33],
}


def _history(resource: str) -> Sequence[int]:
    return SERIES.get(resource, [])


class BeancounterApp(App[None]):
    CSS_PATH = beancounters.CSS_FILE

    def compose(self) -> ComposeResult:
        yield BeancounterPanel()

    def on_mount(self) -> None:
        resources = vswap_resources(physpages=60_500, numproc=100, numproc_fail=9)
        resources["kmemsize"] = bc("kmemsize", 9_000_000, 12_000_000, 13_000_000)
        ct = detailed_container(101, name="web", cpulimit=50, cpus=2, resources=resources)
        snap = detailed_snapshot("hn1", [ct], cpu={101: 33.3}, node_info=info("hn1.example.org"))
        self.query_one(BeancounterPanel).show(snap, 101, [rise("hn1", 101, "numproc", 5, 9)], _history)


class OpsApp(App[None]):
    CSS_PATH = ops_pane.CSS_FILE

    def compose(self) -> ComposeResult:
        cluster = FakeCluster(
            ops=[
                operation(
                    ["vzctl", "set", "101", "--ram", "1G", "--save"],
                    op_id="op-0",
                    state=OpState.SUCCEEDED,
                    started=NOW - 62,
                    finished=NOW - 60,
                    exit_code=0,
                ),
                operation(
                    ["vzctl", "start", "102"],
                    ctids=(102,),
                    op_id="op-1",
                    state=OpState.FAILED,
                    started=NOW - 21,
                    finished=NOW - 20,
                    exit_code=32,
                ),
                operation(["vzctl", "exec", "103", "yum", "-y", "update"], ctids=(103,), op_id="op-2"),
            ]
        )
        cluster.outputs["op-2"] = [
            *lines(f"Updating package {n}/40 ..." for n in range(30)),
            *lines(["warning: rpmdb altered outside of yum"], Stream.STDERR),
        ]
        yield OpsPane(cluster, clock=clock)  # type: ignore[arg-type]


class ScreenApp(App[None]):
    def __init__(self, make_screen: object) -> None:
        super().__init__()
        self.make_screen = make_screen

    def on_mount(self) -> None:
        self.push_screen(self.make_screen())  # type: ignore[operator]


def failing_screen() -> FailingScreen:
    hot = detailed_container(101, name="web", resources=vswap_resources(numproc=100, numproc_fail=7))
    full_ram = detailed_container(102, name="db", resources=vswap_resources(physpages=62_260))
    kmem = {**vswap_resources(), "kmemsize": bc("kmemsize", 11_000_000, 12_000_000, 13_000_000, failcnt=4)}
    cluster = FakeCluster(
        node_snapshots={
            "hn1": detailed_snapshot("hn1", [hot, full_ram, detailed_container(103)]),
            "hn2": detailed_snapshot("hn2", [detailed_container(201, name="mail", resources=kmem)]),
        }
    )
    log = FailcntLog()
    log.add([rise("hn2", 201, "kmemsize", 1, 4, at=NOW - 200), rise("hn1", 101, "numproc", 5, 7, at=NOW - 8)])
    return FailingScreen(cluster, failcnt_log=log, clock=clock)  # type: ignore[arg-type]


def node_screen() -> NodeDetailScreen:
    cluster = FakeCluster(
        node_snapshots={
            "hn1": detailed_snapshot("hn1", [detailed_container(101), detailed_container(102)]),
            "hn2": detailed_snapshot("hn2", []),
            "hn3": detailed_snapshot("hn3", [detailed_container(301)]),
        },
        infos={
            "hn1": info("hn1.example.org"),
            "hn2": info("hn2.example.org"),
            "hn3": info("hn3.example.org", ve_root="/vz2/root/$VEID"),
        },
    )
    return NodeDetailScreen(cluster, "hn3", clock=clock)  # type: ignore[arg-type]


def ct_screen() -> CtDetailScreen:
    base = "{aaaaaaaa-1111-2222-3333-444444444444}"
    cluster = FakeCluster(
        node_snapshots={"hn1": detailed_snapshot("hn1", [detailed_container(101, name="web")])},
        configs={
            ("hn1", 101): CtConfig(
                101,
                {
                    "PHYSPAGES": "0:65536",
                    "SWAPPAGES": "0:131072",
                    "HOSTNAME": "web.example.org",
                    "IP_ADDRESS": "10.0.0.101 10.0.0.7",
                    "VE_LAYOUT": "ploop",
                    "OSTEMPLATE": "centos-6-x86_64",
                },
            )
        },
        ploop={
            ("hn1", 101): [
                PloopSnapshot(base, "", False, "2026-12-01 10:00:00", "before-upgrade", "yum update"),
                PloopSnapshot("{bbbbbbbb-1111-2222-3333-444444444444}", base, True, "2026-12-04 09:30:00", "nightly"),
            ]
        },
    )
    return CtDetailScreen(cluster, "hn1", 101, clock=clock)  # type: ignore[arg-type]


async def _settle(pilot: Pilot[None]) -> None:
    await pilot.pause(0.2)


def _tab(tab: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause(0.2)
        pilot.app.screen.query_one(TabbedContent).active = tab
        await pilot.pause(0.2)

    return run_before


def test_beancounter_panel_with_a_rising_failcnt(snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(beancounters, "FLASH_SECONDS", 600.0)
    assert snap_compare(BeancounterApp(), terminal_size=(80, 24), run_before=_settle)


def test_ops_pane_streaming(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(OpsApp(), terminal_size=(80, 24), run_before=_settle)


def test_failing_screen(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(ScreenApp(failing_screen), terminal_size=(80, 24), run_before=_settle)


def test_node_detail_with_drift(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(ScreenApp(node_screen), terminal_size=(80, 24), run_before=_settle)


def test_ct_detail_overview(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(ScreenApp(ct_screen), terminal_size=(80, 24), run_before=_settle)


def test_ct_detail_config(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(ScreenApp(ct_screen), terminal_size=(80, 24), run_before=_tab("tab-config"))


def test_ct_detail_snapshots(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(ScreenApp(ct_screen), terminal_size=(80, 24), run_before=_tab("tab-snapshots"))
