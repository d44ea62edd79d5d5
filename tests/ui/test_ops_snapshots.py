"""SVG snapshots of every operations dialog, over fixed hand-made data (update with ``--snapshot-update``)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from tests.ui.ops_support import CONF_101, Host, StaticCluster, ct, info, snap, until
from vztui.openvz.actions import ACTIONS
from vztui.openvz.models import Layout, PloopSnapshot
from vztui.openvz.presets import ISPBASIC
from vztui.ui.action_plan import plan_action
from vztui.ui.operations import EXEC_FIELDS, ActionRunner, check_exec
from vztui.ui.screens.confirm import ConfirmScreen
from vztui.ui.screens.create import CreateRequest, CreateScreen, plan_create
from vztui.ui.screens.prompt import PromptScreen
from vztui.ui.screens.setform import SetFormScreen, preview
from vztui.ui.screens.snapshots import CREATE_FIELDS, SnapshotsScreen, check_create

SNAPSHOTS = {
    "hn1": snap("hn1", ct(101, ips=["10.0.0.11"]), ct(102, "stopped"), ct(103), ct(104, "suspended")),
    "hn2": snap("hn2", ct(201), ct(202, "stopped")),
}
INFOS = {"hn1": info(), "hn2": info(samples=["ispbasic"])}
SIZE = (110, 36)


def test_bulk_restart_confirmation(snap_compare: Any) -> None:
    targets = [("hn1", 101), ("hn1", 102), ("hn1", 103), ("hn1", 104), ("hn2", 201), ("hn2", 202)]
    plan = plan_action(ACTIONS["restart"], targets, SNAPSHOTS, hidden_marked=2)
    assert snap_compare(Host(lambda: ConfirmScreen(plan)), terminal_size=SIZE)


def test_destroy_confirmation_asks_for_the_ctid(snap_compare: Any) -> None:
    plan = plan_action(ACTIONS["destroy"], [("hn1", 101), ("hn1", 102)], SNAPSHOTS)
    assert snap_compare(Host(lambda: ConfirmScreen(plan)), terminal_size=SIZE)


def test_create_confirmation_lists_every_step(snap_compare: Any) -> None:
    request = CreateRequest("hn1", 205, "centos-6-x86_64", "ploop", ISPBASIC, "new.example.com", ("10.0.0.60",))
    plan = plan_create(request, INFOS["hn1"], root_prefix="")
    assert snap_compare(Host(lambda: ConfirmScreen(plan)), terminal_size=(110, 60))


def test_create_form(snap_compare: Any) -> None:
    cluster = StaticCluster(SNAPSHOTS, INFOS)
    assert snap_compare(Host(lambda: CreateScreen(cluster, "hn1", {"ispbasic": ISPBASIC})), terminal_size=(90, 36))  # type: ignore[arg-type]


def test_set_form_preview(snap_compare: Any) -> None:
    cluster = StaticCluster(SNAPSHOTS, INFOS, {"/etc/vz/conf/101.conf": CONF_101})

    async def fill(pilot: Any) -> None:
        await pilot.pause()
        pilot.app.screen.query_one("#ram", Input).value = "2G"
        pilot.app.screen.query_one("#hostname", Input).value = "web2.example.com"
        await pilot.pause()

    app = Host(lambda: SetFormScreen(cluster, "hn1", 101, host_cpus=4))  # type: ignore[arg-type]
    assert snap_compare(app, terminal_size=(140, 40), run_before=fill)


def test_exec_prompt(snap_compare: Any) -> None:
    app = Host(lambda: PromptScreen("Run a command in 101 103", EXEC_FIELDS, check_exec, submit="Run…"))
    assert snap_compare(app, terminal_size=(90, 20))


class _SnapshotsHost(Host):
    """The snapshots screen needs a runner, which needs a mounted app."""

    def __init__(self, cluster: StaticCluster, node: str, ctid: int) -> None:
        super().__init__(lambda: SnapshotsScreen(ActionRunner(self, cluster), node, ctid))  # type: ignore[arg-type]


def _ploop_cluster() -> StaticCluster:
    snapshots = {"hn1": snap("hn1", ct(101, layout=Layout.PLOOP), ct(103, layout=Layout.SIMFS))}
    cluster = StaticCluster(snapshots, INFOS)
    cluster.ploop[("hn1", 101)] = [
        PloopSnapshot("{aaaaaaaa-0000-4000-8000-000000000001}", "", False, "2026-11-30 02:00:00", "nightly"),
        PloopSnapshot(
            "{aaaaaaaa-0000-4000-8000-000000000002}",
            "{aaaaaaaa-0000-4000-8000-000000000001}",
            True,
            "2026-12-04 18:30:12",
            "before-upgrade",
            "php 8.3",
        ),
    ]
    return cluster


def test_snapshots_screen_lists_ploop_snapshots(snap_compare: Any) -> None:
    async def loaded(pilot: Any) -> None:
        await until(pilot, lambda: "2 snapshots" in str(pilot.app.screen.query_one("#status").render()))

    app = _SnapshotsHost(_ploop_cluster(), "hn1", 101)
    assert snap_compare(app, terminal_size=(120, 24), run_before=loaded)


def test_snapshots_screen_explains_simfs(snap_compare: Any) -> None:
    assert snap_compare(_SnapshotsHost(_ploop_cluster(), "hn1", 103), terminal_size=(100, 20))


def test_snapshot_prompt(snap_compare: Any) -> None:
    app = Host(lambda: PromptScreen("New snapshot of CT 101", CREATE_FIELDS, check_create, submit="Create…"))
    assert snap_compare(app, terminal_size=(90, 20))


def test_set_confirmation_shows_the_line_and_the_diff(snap_compare: Any) -> None:
    result = preview({"ram": "2G", "onboot": "yes"}, 101, CONF_101)
    assert result.changes is not None
    plan = plan_action(ACTIONS["set"], [("hn1", 101)], SNAPSHOTS, {"changes": result.changes})
    details = ("Config change of CT 101 on hn1:", *result.diff)
    assert snap_compare(Host(lambda: ConfirmScreen(plan, details=details)), terminal_size=SIZE)
