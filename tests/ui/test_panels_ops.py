"""OpsPane behaviour: batched streaming, follow-tail vs the "+N lines" indicator, line filter, retry/cancel keys."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Log, Static

from tests.ui.fake_cluster import NOW, FakeCluster, clock, lines, operation
from vztui.backend.operation import OpState
from vztui.backend.transport import Stream
from vztui.ui.widgets import ops_pane
from vztui.ui.widgets.ops_pane import OpsPane, format_duration


class OpsApp(App[None]):
    CSS_PATH = ops_pane.CSS_FILE

    def __init__(self, cluster: FakeCluster) -> None:
        super().__init__()
        self.cluster = cluster

    def compose(self) -> ComposeResult:
        yield OpsPane(self.cluster, clock=clock)  # type: ignore[arg-type]


def _cluster() -> FakeCluster:
    running = operation(["vzctl", "start", "101"], op_id="op-1")
    cluster = FakeCluster(ops=[running])
    cluster.outputs["op-1"] = lines(f"line {n}" for n in range(5))
    return cluster


async def test_loads_the_queue_and_the_selected_jobs_output_on_mount() -> None:
    app = OpsApp(_cluster())
    async with app.run_test(size=(100, 16)) as pilot:
        await pilot.pause(0.1)
        pane = app.query_one(OpsPane)
        assert pane.selected == "op-1"
        log = pane.query_one(Log)
        assert log.lines == [f"line {n}" for n in range(5)]
        table = pane.query_one(DataTable)
        assert table.get_cell("op-1", "command").plain == "vzctl start 101"
        assert table.get_cell("op-1", "time").plain == "5.0s"


async def test_output_is_written_in_batches() -> None:
    app = OpsApp(_cluster())
    async with app.run_test(size=(100, 16)) as pilot:
        await pilot.pause(0.1)
        pane = app.query_one(OpsPane)
        log = pane.query_one(Log)
        writes: list[int] = []
        original = log.write_lines

        def spy(new_lines: object, scroll_end: bool | None = None) -> Log:
            batch = list(new_lines)  # type: ignore[call-overload]
            writes.append(len(batch))
            return original(batch, scroll_end)

        log.write_lines = spy  # type: ignore[method-assign]
        for n in range(30):
            pane.output_arrived("op-1", lines([f"more {n}"]))
        await pilot.pause(0.15)
        assert writes == [30]
        assert log.line_count == 35


async def test_follows_the_tail_at_the_bottom_and_counts_unseen_lines_when_scrolled_up() -> None:
    app = OpsApp(_cluster())
    async with app.run_test(size=(100, 16)) as pilot:
        await pilot.pause(0.1)
        pane = app.query_one(OpsPane)
        log = pane.query_one(Log)
        more = pane.query_one("#ops-more", Static)
        pane.output_arrived("op-1", lines(f"fill {n}" for n in range(60)))
        await pilot.pause(0.15)
        assert log.is_vertical_scroll_end and log.max_scroll_y > 0
        assert pane.unseen_lines == 0 and not more.display

        log.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        pane.output_arrived("op-1", lines(f"late {n}" for n in range(7)))
        await pilot.pause(0.15)
        assert log.scroll_y == 0  # the reader's place is kept
        assert pane.unseen_lines == 7
        assert more.display and "+7 lines" in str(more.render())

        pane.query_one(DataTable).focus()
        await pilot.press("G")
        await pilot.pause()
        assert log.is_vertical_scroll_end
        assert pane.unseen_lines == 0 and not more.display


async def test_scrolling_back_to_the_bottom_clears_the_indicator() -> None:
    app = OpsApp(_cluster())
    async with app.run_test(size=(100, 16)) as pilot:
        await pilot.pause(0.1)
        pane = app.query_one(OpsPane)
        log = pane.query_one(Log)
        pane.output_arrived("op-1", lines(f"fill {n}" for n in range(60)))
        await pilot.pause(0.15)
        log.scroll_home(animate=False, immediate=True)
        pane.output_arrived("op-1", lines(["late"]))
        await pilot.pause(0.15)
        assert pane.unseen_lines == 1
        log.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        assert pane.unseen_lines == 0


async def test_slash_filters_the_lines_including_new_ones_and_escape_clears() -> None:
    cluster = _cluster()
    cluster.outputs["op-1"] = [
        *lines(["Starting container...", "Container is mounted"]),
        *lines(["Unable to start: error 32"], Stream.STDERR),
    ]
    app = OpsApp(cluster)
    async with app.run_test(size=(100, 16)) as pilot:
        await pilot.pause(0.1)
        pane = app.query_one(OpsPane)
        log = pane.query_one(Log)
        pane.query_one(DataTable).focus()
        await pilot.press("slash", "c", "o", "n", "t")
        await pilot.pause()
        assert log.lines == ["Starting container...", "Container is mounted"]
        pane.output_arrived("op-1", lines(["Container start in progress...", "unrelated"]))
        await pilot.pause(0.15)
        assert log.lines[-1] == "Container start in progress..."
        assert "unrelated" not in log.lines
        await pilot.press("escape")
        await pilot.pause()
        assert log.lines == [
            "Starting container...",
            "Container is mounted",
            "! Unable to start: error 32",
            "Container start in progress...",
            "unrelated",
        ]


async def test_new_job_is_followed_and_other_jobs_output_is_not_mixed_in() -> None:
    cluster = _cluster()
    app = OpsApp(cluster)
    async with app.run_test(size=(100, 16)) as pilot:
        await pilot.pause(0.1)
        pane = app.query_one(OpsPane)
        second = operation(["vzctl", "stop", "102"], ctids=(102,), op_id="op-2", state=OpState.QUEUED)
        pane.operation_changed(second)
        assert pane.selected == "op-2"
        pane.output_arrived("op-1", lines(["from the first job"]))
        pane.output_arrived("op-2", lines(["Stopping container ..."]))
        await pilot.pause(0.15)
        assert pane.query_one(Log).lines == ["Stopping container ..."]


async def test_state_changes_update_the_row_in_place() -> None:
    cluster = _cluster()
    app = OpsApp(cluster)
    async with app.run_test(size=(100, 16)) as pilot:
        await pilot.pause(0.1)
        pane = app.query_one(OpsPane)
        op = cluster.ops[0]
        op.state = OpState.FAILED
        op.exit_code = 32
        op.finished_at = NOW - 1
        op.reason = "exit 32 (VZ_VE_RUNNING): container is running"
        pane.operation_changed(op)
        table = pane.query_one(DataTable)
        assert table.row_count == 1
        assert table.get_cell("op-1", "state").plain == "failed 32"
        assert table.get_cell("op-1", "time").plain == "4.0s"
        assert "VZ_VE_RUNNING" in str(pane.query_one("#ops-title", Static).render())


async def test_retry_and_cancel_keys_call_the_cluster() -> None:
    cluster = _cluster()
    failed = operation(
        ["vzctl", "set", "101", "--ram", "1G", "--save"], op_id="op-0", state=OpState.FAILED, exit_code=1
    )
    failed.finished_at = NOW - 2
    cluster.ops.insert(0, failed)
    app = OpsApp(cluster)
    async with app.run_test(size=(100, 16)) as pilot:
        await pilot.pause(0.1)
        pane = app.query_one(OpsPane)
        table = pane.query_one(DataTable)
        table.focus()
        assert pane.selected == "op-1"
        await pilot.press("r")  # running: refused with a notification, nothing sent
        await pilot.press("x")
        await pilot.pause()
        assert cluster.retried == [] and cluster.cancelled == ["op-1"]
        await pilot.press("up")
        await pilot.pause()
        assert pane.selected == "op-0"
        await pilot.press("x")  # finished: cannot be cancelled
        await pilot.press("r")
        await pilot.pause()
        assert cluster.retried == ["op-0"] and cluster.cancelled == ["op-1"]
        # The engine announces the re-run; the pane shows it although the reader was not on the newest job.
        cluster.outputs["op-0-retry"] = lines(["second attempt"])
        pane.operation_changed(cluster.ops[-1])
        await pilot.pause(0.1)
        assert pane.selected == "op-0-retry"
        assert pane.query_one(Log).lines == ["second attempt"]


def test_format_duration() -> None:
    assert format_duration(None) == ""
    assert format_duration(0.42) == "0.4s"
    assert format_duration(42) == "42s"
    assert format_duration(185) == "3m05s"
    assert format_duration(7800) == "2h10m"
