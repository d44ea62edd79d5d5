"""Triage from the failing-now screen over a simulated node and the real Cluster: ``t`` throttles the highlighted CT
live (``vzctl set CTID --cpulimit N`` without --save, after a confirmation showing that command), ``u`` puts the
previous limit back (the command palette lists the same undo); read-only refuses before anything is sent."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.command import CommandList, CommandPalette
from textual.widgets import Button, Input, Static

from tests.ui.harness import sim_specs
from tests.ui.ops_support import until
from vztui.backend.cluster import Cluster
from vztui.backend.operation import Operation, OpRequest, OpState
from vztui.backend.snapshot import NearLimit
from vztui.openvz.errors import ValidationError
from vztui.openvz.triage import check_throttle, cpulimit_live, shown_cpulimit, suggest_throttle
from vztui.ui.screens.confirm import ConfirmScreen
from vztui.ui.screens.failing import FailingScreen
from vztui.ui.screens.prompt import PromptScreen
from vztui.ui.triage import ThrottleEntry, throttle_plan, triage_book, undo_refusal


@pytest.fixture(autouse=True)
def fast_sim(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VZTUI_SIM_SPEED", "0")


class Host(App[None]):
    """Starts the cluster from inside the app (as VztuiApp does) and records notifications."""

    def __init__(self, cluster: Cluster) -> None:
        super().__init__()
        self.cluster = cluster
        self.ready = False
        self.notes: list[str] = []

    def on_mount(self) -> None:
        self.run_worker(self._start())

    async def _start(self) -> None:
        await self.cluster.start()
        await self.cluster.refresh()
        self.ready = True

    def notify(self, message: str, **kwargs: Any) -> None:
        self.notes.append(message)
        super().notify(message, **kwargs)


@contextlib.asynccontextmanager
async def failing_screen(tmp_path: Path, *, read_only: bool = False) -> AsyncIterator[tuple[Host, Any, int]]:
    """A one-node cluster whose first running CT is shown as failing (numproc near its limit)."""
    cluster = Cluster(sim_specs(tmp_path / "sim", nodes=1, cts=3), read_only=read_only, journal_dir=str(tmp_path / "j"))
    app = Host(cluster)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.ready, within=20, what="the cluster")
        node = cluster.nodes[0]
        ctid = min(ct.ctid for ct in cluster.snapshots()[node].containers.values() if ct.running)
        screen = FailingScreen(cluster, near_limit={node: (NearLimit(node, ctid, "numproc", 0.95),)})
        await app.push_screen(screen)
        await pilot.pause()
        try:
            yield app, pilot, ctid
        finally:
            await cluster.stop()


def _live_cpulimit(cluster: Cluster, ctid: int) -> int | None:
    return cluster.snapshots()[cluster.nodes[0]].containers[ctid].cpulimit


async def _finish(pilot: Any, cluster: Cluster, count: int) -> None:
    await until(
        pilot,
        lambda: len(cluster.operations()) >= count and all(op.state.finished for op in cluster.operations()),
        within=20,
        what="the operations",
    )
    await cluster.refresh()


async def test_throttle_runs_live_after_confirmation_and_u_puts_the_limit_back(tmp_path: Path) -> None:
    async with failing_screen(tmp_path) as (app, pilot, ctid):
        cluster = app.cluster
        node = cluster.nodes[0]
        assert _live_cpulimit(cluster, ctid) == 0
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), what="the limit prompt")
        field = app.screen.query_one("#cpulimit", Input)
        assert field.value == "50", "half a CPU is suggested for a CT without a limit"
        field.value = "20"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        confirm = app.screen
        assert str(confirm.query_one("#command-lines", Static).render()) == f"{node}: vzctl set {ctid} --cpulimit 20"
        assert f"vzctl set {ctid} --cpulimit 0" in str(confirm.query_one("#details", Static).render())
        confirm.query_one("#run", Button).press()
        await _finish(pilot, cluster, 1)
        assert cluster.operations()[0].state is OpState.SUCCEEDED
        assert _live_cpulimit(cluster, ctid) == shown_cpulimit(20) == 19
        conf = (Path(cluster.spec(node).root_prefix) / f"etc/vz/conf/{ctid}.conf").read_text()
        assert 'CPULIMIT="20"' not in conf, "a throttle is never saved"
        (entry,) = triage_book(cluster).entries
        assert (entry.node, entry.ctid, entry.previous, entry.applied) == (node, ctid, 0, 20)

        screen = app.screen
        assert isinstance(screen, FailingScreen)
        screen.rerank()
        assert "1 throttle to undo (u)" in str(screen.query_one("#failing-title").render())
        # Reopened (the book outlives the screen) with the CT still listed, its detail names the throttle.
        again = FailingScreen(cluster, near_limit={node: (NearLimit(node, ctid, "numproc", 0.95),)})
        await app.push_screen(again)
        await pilot.pause()
        assert "throttled to cpulimit 20 (live): u undoes it" in str(again.query_one("#failing-detail").render())
        again.dismiss(None)
        await until(pilot, lambda: app.screen is screen, what="the first failing screen")

        await pilot.press("ctrl+p")
        await pilot.press(*"undo throttle")
        palette = app.screen
        assert isinstance(palette, CommandPalette)

        def hits() -> list[str]:
            options = palette.query_one(CommandList)
            return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]

        wanted = f"Undo throttle: CT {ctid} on {node}: cpulimit 20 → back to no limit"
        await until(pilot, lambda: any(wanted in hit for hit in hits()), what="the palette's undo entry")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="the palette to close")
        await pilot.press("u")
        await _finish(pilot, cluster, 2)
        assert cluster.operations()[-1].request.argv == ("vzctl", "set", str(ctid), "--cpulimit", "0")
        assert cluster.operations()[-1].state is OpState.SUCCEEDED
        assert _live_cpulimit(cluster, ctid) == 0
        assert triage_book(cluster).entries == ()
        await pilot.press("u")
        assert app.notes[-1] == "No throttle to undo"


async def test_read_only_refuses_the_throttle_before_anything_is_sent(tmp_path: Path) -> None:
    async with failing_screen(tmp_path, read_only=True) as (app, pilot, _ctid):
        await pilot.press("t")
        await until(pilot, lambda: app.notes, what="the refusal")
        assert "read-only" in app.notes[-1] and "Nothing was sent" in app.notes[-1]
        assert not isinstance(app.screen, PromptScreen | ConfirmScreen)
        assert app.cluster.operations() == []


# -- the pure parts ------------------------------------------------------------------------------------------------


def test_throttle_values_must_actually_throttle() -> None:
    assert check_throttle("25", 0, host_cpus=4) == 25
    assert check_throttle("25", 50, host_cpus=4) == 25
    for value, previous, why in (
        ("0", 0, "removes the limit"),
        ("50", 50, "already limited to 50"),
        ("25%", 0, "not a share"),
        ("500", 0, "above the maximum"),
        ("lots", 0, "not a whole number"),
    ):
        with pytest.raises(ValidationError, match=why):
            check_throttle(value, previous, host_cpus=4)
    assert suggest_throttle(0) == 50 and suggest_throttle(30) == 15 and suggest_throttle(1) == 1
    assert cpulimit_live(101, 25, host_cpus=2) == ["vzctl", "set", "101", "--cpulimit", "25"]


def _op(state: OpState, reason: str = "") -> Operation:
    op = Operation(OpRequest("hn1", ("vzctl", "set", "101", "--cpulimit", "20"), "set", (101,)))
    op.state, op.reason = state, reason
    return op


def test_undo_is_refused_while_running_after_a_failure_and_after_someone_else_changed_the_limit() -> None:
    running, failed, done = _op(OpState.RUNNING), _op(OpState.FAILED, "exit 1"), _op(OpState.SUCCEEDED)

    def entry(op: Operation) -> ThrottleEntry:
        return ThrottleEntry("hn1", 101, 40, 20, op.id)

    assert undo_refusal(entry(running), [running], 19)[0].endswith("wait for it")
    assert undo_refusal(entry(failed), [failed], 40) == (
        "the throttle of CT 101 failed (exit 1): nothing to undo",
        True,
    )
    assert undo_refusal(entry(done), [done], 19) == ("", False)
    assert undo_refusal(entry(done), [done], None) == ("", False)
    back, spent = undo_refusal(entry(done), [done], 39)  # 40 reads back as 39
    assert spent and "already back" in back
    changed, spent = undo_refusal(entry(done), [done], 70)
    assert not spent and "cpulimit is 70 now" in changed


class DialogHost(App[None]):
    def __init__(self, dialog: ConfirmScreen) -> None:
        super().__init__()
        self.dialog = dialog

    def on_mount(self) -> None:
        self.push_screen(self.dialog)


def test_throttle_confirmation_snapshot(snap_compare: Any) -> None:
    plan, details = throttle_plan(ThrottleEntry("hn1", 102, 80, 40, "", host_cpus=4))
    assert plan.command_lines() == [("hn1", "vzctl set 102 --cpulimit 40")]
    assert details[-1].endswith("vzctl set 102 --cpulimit 80")
    assert snap_compare(DialogHost(ConfirmScreen(plan, details=details)), terminal_size=(110, 24))
