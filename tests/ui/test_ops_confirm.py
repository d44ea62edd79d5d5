"""The confirmation dialog and the plan behind it: exact command lines, targets, hidden marks, skip reasons,
Cancel focused, typed confirmation for destroy and protected nodes."""

from __future__ import annotations

from textual.widgets import Button, Input, Static

from tests.ui.ops_support import Host, ct, snap
from vztui.backend.snapshot import NodeHealth
from vztui.openvz.actions import ACTIONS
from vztui.ui.action_plan import plan_action
from vztui.ui.operations import IMPLEMENTED
from vztui.ui.screens.confirm import ConfirmScreen, skip_summary, target_summary

SNAPSHOTS = {
    "hn1": snap("hn1", ct(101, "stopped"), ct(102, "running"), ct(103, "suspended")),
    "hn2": snap("hn2", ct(201, "stopped")),
    "hn3": snap("hn3", ct(301, "stopped"), health=NodeHealth.UNREACHABLE),
}


def _text(screen: ConfirmScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def test_the_runner_carries_out_every_registry_action() -> None:
    assert set(ACTIONS) == IMPLEMENTED


def test_plan_builds_exact_argvs_and_gives_a_reason_for_every_skip() -> None:
    targets = [("hn1", 101), ("hn1", 102), ("hn2", 201), ("hn3", 301), ("hn1", 999), ("hn1", 101)]
    plan = plan_action(ACTIONS["start"], targets, SNAPSHOTS, hidden_marked=2)
    assert [(t.node, t.ctid) for t in plan.runnable] == [("hn1", 101), ("hn2", 201)]
    assert plan.command_lines() == [("hn1", "vzctl start 101"), ("hn2", "vzctl start 201")]
    assert plan.skip_lines() == [
        "102 (hn1): already running",
        "301 (hn3): node hn3 is unreachable: its state is not known",
        "999 (hn1): not found on hn1",
    ]
    request = plan.runnable[0].requests[0]
    assert request.expect_states and "running" not in request.expect_states
    assert plan.typed_confirmation is None


def test_plan_skips_read_only_nodes_and_protected_nodes_need_typing() -> None:
    plan = plan_action(ACTIONS["start"], [("hn1", 101), ("hn2", 201)], SNAPSHOTS, read_only_nodes={"hn2"})
    assert plan.skip_lines() == ["201 (hn2): node hn2 is read-only"]
    protected = plan_action(ACTIONS["start"], [("hn1", 101)], SNAPSHOTS, protected_nodes={"hn1"})
    assert protected.typed_confirmation == "101"
    inspection = plan_action(ACTIONS["status"], [("hn1", 101)], SNAPSHOTS, protected_nodes={"hn1"})
    assert inspection.typed_confirmation is None


def test_destroy_refuses_running_and_asks_for_the_count_in_bulk() -> None:
    plan = plan_action(ACTIONS["destroy"], [("hn1", 101), ("hn1", 102), ("hn2", 201)], SNAPSHOTS)
    assert plan.skip_lines() == ["102 (hn1): running: stop it first"]
    assert plan.typed_confirmation == "2"
    single = plan_action(ACTIONS["destroy"], [("hn1", 101)], SNAPSHOTS)
    assert single.typed_confirmation == "101"


async def test_confirm_shows_commands_targets_hidden_marks_and_skips_with_cancel_focused() -> None:
    plan = plan_action(ACTIONS["start"], [("hn1", 101), ("hn1", 102), ("hn2", 201)], SNAPSHOTS, hidden_marked=1)
    app = Host(lambda: ConfirmScreen(plan))
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        assert _text(screen, "#targets") == "2 containers on hn1, hn2: 101 201"
        assert "1 marked container is hidden by the current filter" in _text(screen, "#hidden")
        commands = _text(screen, "#command-lines")
        assert "hn1: vzctl start 101" in commands and "hn2: vzctl start 201" in commands
        assert _text(screen, "#skipped") == "102 (hn1): already running"
        assert app.focused is not None and app.focused.id == "cancel"
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [False]


async def test_run_button_confirms_a_plain_action() -> None:
    plan = plan_action(ACTIONS["stop"], [("hn1", 102)], SNAPSHOTS)
    app = Host(lambda: ConfirmScreen(plan))
    async with app.run_test() as pilot:
        await pilot.click("#run")
        await pilot.pause()
    assert app.results == [True]


async def test_destroy_runs_only_after_the_ctid_is_typed() -> None:
    plan = plan_action(ACTIONS["destroy"], [("hn1", 101)], SNAPSHOTS)
    app = Host(lambda: ConfirmScreen(plan))
    async with app.run_test() as pilot:
        run = app.screen.query_one("#run", Button)
        assert run.disabled
        app.screen.query_one("#typed", Input).focus()
        await pilot.press("1", "0", "2")
        await pilot.pause()
        assert run.disabled
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == []
        await pilot.press("backspace", "1", "enter")
        await pilot.pause()
    assert app.results == [True]


async def test_nothing_runnable_offers_only_cancel() -> None:
    plan = plan_action(ACTIONS["destroy"], [("hn1", 102)], SNAPSHOTS)
    app = Host(lambda: ConfirmScreen(plan))
    async with app.run_test() as pilot:
        assert not app.screen.query("#run")
        assert _text(app.screen, "#targets") == "No container can run this action."
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [False]


def test_huge_bulk_names_the_first_ctids_and_counts_the_rest() -> None:
    many = {"hn1": snap("hn1", *(ct(ctid, "stopped") for ctid in range(1000, 1100)))}
    targets = [("hn1", ctid) for ctid in range(1000, 1100)] + [("hn1", ctid) for ctid in range(5000, 5045)]
    plan = plan_action(ACTIONS["start"], targets, many)
    summary = target_summary(plan)
    assert summary.startswith("100 containers on hn1: 1000 1001 ") and " 1039 … and 60 more" in summary
    assert len(plan.command_lines()) == 100
    skipped = skip_summary(plan).splitlines()
    assert len(skipped) == 41 and skipped[-1] == "… and 5 more"
