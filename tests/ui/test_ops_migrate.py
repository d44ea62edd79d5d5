"""Migration pre-flight: every reason a move would fail, for all chosen containers at once, shown as a table."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Button, Select, Static

from tests.ui.ops_support import StaticCluster, ct, info, snap, until
from vztui.backend.preflight import Level, Preflight, check_only, static_checks
from vztui.backend.transport import CommandResult
from vztui.ui.operations import ActionRunner
from vztui.ui.screens.migrate import MigrateScreen

SNAPSHOTS = {
    "hn1": snap(
        "hn1",
        ct(101, ips=["10.0.0.11"], ram_gib=2),
        ct(102, ips=["10.0.0.12"], ram_gib=2),
        ct(103, "suspended"),
        ct(104, ips=["10.0.0.50"], ostemplate="gentoo-2030"),
        ct(105, ips=["10.0.0.77"], ram_gib=1),
        ct(106, ips=["10.0.0.77"], ram_gib=1),
    ),
    "hn2": snap("hn2", ct(102, ram_gib=4), ct(220, ips=["10.0.0.50"], ram_gib=8)),
    "hn3": snap("hn3"),
}
INFOS = {"hn1": info(), "hn2": info(), "hn3": info(private="/srv/vz/private/$VEID")}
CAPACITY_GIB = 16 + 4  # info(): 16 GiB RAM + 4 GiB swap


def _by_ct(results: list[Preflight]) -> dict[int, Preflight]:
    return {result.ctid: result for result in results}


def test_path_drift_blocks_with_the_reason() -> None:
    (result,) = static_checks([("hn1", 101)], "hn3", SNAPSHOTS, INFOS)
    assert not result.ok
    assert result.reason == ("paths: VE_PRIVATE is /vz/private/$VEID on hn1 but /srv/vz/private/$VEID on hn3")


def test_every_blocker_is_reported_per_container() -> None:
    moves = [("hn1", ctid) for ctid in (101, 102, 103, 104, 105, 106)]
    results = _by_ct(static_checks(moves, "hn2", SNAPSHOTS, INFOS))
    assert results[101].ok
    assert results[102].reason == "ctid: CTID 102 already exists on hn2"
    assert results[103].reason == "state: suspended: resume it first"
    assert results[104].reason == "template: gentoo-2030 is not in hn2's template cache"
    assert results[105].ok
    assert results[106].reason == "ips: 10.0.0.77 is used by 105 (moving too)"
    live = _by_ct(static_checks([("hn1", 103)], "hn2", SNAPSHOTS, INFOS, live=True))
    assert not live[103].ok


def test_capacity_counts_what_is_already_promised_plus_the_incoming() -> None:
    light = {**SNAPSHOTS, "hn2": snap("hn2", ct(230, ram_gib=4))}
    moves = [("hn1", 101), ("hn1", 102), ("hn1", 105)]
    results = _by_ct(static_checks(moves, "hn2", light, INFOS))
    first, second = results[101].check("capacity"), results[105].check("capacity")
    assert first is not None and first.level is Level.OK
    assert first.detail == f"{100 * (8 + 4) / CAPACITY_GIB:.0f}% of hn2's RAM+swap promised after the move"
    assert second is not None and second.level is Level.OK
    assert second.detail == f"{100 * (8 + 4 + 4 + 2) / CAPACITY_GIB:.0f}% of hn2's RAM+swap promised after the move"
    heavy = {**SNAPSHOTS, "hn2": snap("hn2", ct(230, ram_gib=9))}
    (over,) = static_checks([("hn1", 101)], "hn2", heavy, INFOS)
    check = over.check("capacity")
    assert check is not None and check.level is Level.WARN and over.ok
    assert check.detail.startswith("110%")


async def test_check_only_runs_only_when_the_static_checks_pass() -> None:
    calls: list[tuple[str, tuple[str, ...]]] = []

    async def refuse(node: str, argv: Any) -> CommandResult:
        calls.append((node, tuple(argv)))
        return CommandResult(tuple(argv), 12, b"", b"Error: IP address(es) already in use\n", 0.1)

    ok, blocked = static_checks([("hn1", 101), ("hn1", 102)], "hn2", SNAPSHOTS, INFOS)
    checked = await check_only(ok, "hn2.example.com", refuse)
    assert calls == [("hn1", ("vzmigrate", "--check-only", "hn2.example.com", "101"))]
    final = checked.check("check-only")
    assert final is not None and final.level is Level.FAIL
    assert "exit 12" in final.detail and "already in use" in final.detail
    skipped = (await check_only(blocked, "hn2", refuse)).check("check-only")
    assert skipped is not None and skipped.detail.startswith("not run: ctid:")
    assert len(calls) == 1


class _RunnerHost(App[None]):
    def __init__(self, cluster: StaticCluster, targets: list[tuple[str, int]]) -> None:
        super().__init__()
        self.cluster = cluster
        self.targets = targets

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        runner = ActionRunner(self, self.cluster)  # type: ignore[arg-type]
        self.push_screen(MigrateScreen(runner, self.targets))


async def _preflight(pilot: Any, app: _RunnerHost, dest: str) -> MigrateScreen:
    await until(pilot, lambda: isinstance(app.screen, MigrateScreen) and app.screen.query("#check"))
    screen = app.screen
    assert isinstance(screen, MigrateScreen)
    screen.query_one("#dest", Select).value = dest
    await pilot.pause()
    screen.run_preflight(dest, False)  # not Button.press(): its 200 ms highlight would make snapshots racy
    await until(pilot, lambda: bool(screen.results), what="the pre-flight")
    await pilot.pause()
    return screen


async def test_migrate_screen_blocks_a_drifted_target_and_shows_why() -> None:
    app = _RunnerHost(StaticCluster(SNAPSHOTS, INFOS), [("hn1", 101), ("hn1", 105)])
    async with app.run_test(size=(150, 30)) as pilot:
        screen = await _preflight(pilot, app, "hn3")
        assert screen.query_one("#migrate", Button).disabled
        assert str(screen.query_one("#status", Static).render()) == "0 of 2 ready to migrate to hn3."
        assert all("VE_PRIVATE is /vz/private/$VEID on hn1" in result.reason for result in screen.results)


def test_migrate_preflight_snapshot(snap_compare: Any) -> None:
    app = _RunnerHost(StaticCluster(SNAPSHOTS, INFOS), [("hn1", ctid) for ctid in (101, 102, 103, 104, 105, 106)])

    async def run_before(pilot: Any) -> None:
        await _preflight(pilot, app, "hn2")

    assert snap_compare(app, terminal_size=(150, 30), run_before=run_before)
