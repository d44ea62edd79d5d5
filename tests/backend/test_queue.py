"""The operation queue against real child processes: streaming, limits, per-CT serialisation, plans, cancel,
retry, the state re-check and the read-only guard."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.backend.engine_helpers import CountingTransport, local_spec, wait_finished, wait_for
from tests.backend.processes import alive
from vztui.backend.journal import Journal
from vztui.backend.nodespec import NodeSpec
from vztui.backend.operation import Operation, OpRequest, OpState, ReadOnlyError
from vztui.backend.queue import OperationQueue
from vztui.backend.transport import OutputLine


class Harness:
    def __init__(self, tmp: Path, specs: list[NodeSpec], **kwargs: object) -> None:
        self.transports = {spec.name: CountingTransport(spec) for spec in specs}
        self.journal = Journal(tmp / "journal")
        self.journal.open()
        self.events: list[tuple[str, OpState]] = []
        self.batches: list[dict[str, list[OutputLine]]] = []
        self.running_now = 0
        self.max_running = 0
        self.queue = OperationQueue(
            {spec.name: spec for spec in specs},
            transport_for=self.transports.__getitem__,
            journal=self.journal,
            on_operation=self._on_op,
            on_output=self.batches.append,
            **kwargs,  # type: ignore[arg-type]
        )
        self._seen_running: set[str] = set()

    def _on_op(self, op: Operation) -> None:
        self.events.append((op.id, op.state))
        if op.state is OpState.RUNNING:
            self._seen_running.add(op.id)
            self.running_now += 1
            self.max_running = max(self.max_running, self.running_now)
        elif op.state.finished and op.id in self._seen_running:
            self.running_now -= 1

    async def close(self) -> None:
        await self.queue.close()
        await self.journal.close()
        for transport in self.transports.values():
            await transport.close()


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path, [local_spec("hn1", max_parallel=4), local_spec("hn2", max_parallel=2)])
    yield h
    await h.close()


def sh(node: str, script: str, *args: str, ctids: tuple[int, ...] = (), **kwargs: object) -> OpRequest:
    return OpRequest(node=node, argv=("sh", "-c", script, "sh", *args), kind="raw", ctids=ctids, **kwargs)  # type: ignore[arg-type]


async def test_operation_streams_output_in_batches_and_keeps_all_of_it(harness: Harness) -> None:
    op = harness.queue.submit(
        sh("hn1", 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; echo bye >&2')
    )
    await wait_finished([op])
    assert op.state is OpState.SUCCEEDED and op.exit_code == 0
    delivered = [line.text for batch in harness.batches for line in batch.get(op.id, [])]
    assert delivered[:2] == ["line 0", "line 1"] and len(delivered) == 2001
    assert len(harness.batches) < 100, "output must be coalesced, not one callback per line"
    kept = harness.queue.output(op.id)
    assert [line.text for line in kept] == delivered
    await harness.journal.drain()
    text = harness.journal.read_output(op.id)
    assert "out line 1999" in text and "err bye" in text


async def test_per_node_concurrency_limit_is_respected(harness: Harness) -> None:
    ops = [harness.queue.submit(sh("hn2", "sleep 0.2", ctids=(100 + i,))) for i in range(6)]
    await wait_finished(ops)
    assert all(op.state is OpState.SUCCEEDED for op in ops)
    assert harness.max_running == 2


async def test_fifty_requests_on_five_cts_never_overlap_on_one_ct(harness: Harness, tmp_path: Path) -> None:
    locks = tmp_path / "locks"
    locks.mkdir()
    # Like vzctl: a second command on a CT whose lock is held exits 9 at once.
    script = 'mkdir "$1" 2>/dev/null || { echo "Container already locked" >&2; exit 9; }; sleep 0.02; rmdir "$1"'
    requests = [sh("hn1", script, str(locks / str(101 + i % 5)), ctids=(101 + i % 5,)) for i in range(50)]
    submitted = [harness.queue.submit(request) for request in requests]
    await wait_finished(submitted, within=60)
    assert [op.exit_code for op in submitted] == [0] * 50
    assert harness.max_running <= 4
    # Per CT, operations ran in the order they were submitted.
    for ct in range(101, 106):
        mine = [op for op in submitted if op.ctids == (ct,)]
        starts = [op.started_at or 0.0 for op in mine]
        assert starts == sorted(starts)
    await harness.journal.drain()
    finished = [e for e in harness.journal.entries() if e.state is OpState.SUCCEEDED]
    assert len(finished) == 50


async def test_plan_stops_at_first_failure_and_skips_the_rest_with_a_reason(harness: Harness) -> None:
    steps = harness.queue.submit_plan(
        [sh("hn1", "echo one", ctids=(200,)), sh("hn1", "exit 3", ctids=(200,)), sh("hn1", "echo three", ctids=(200,))]
    )
    await wait_finished(steps)
    assert [op.state for op in steps] == [OpState.SUCCEEDED, OpState.FAILED, OpState.SKIPPED]
    assert steps[1].exit_code == 3 and "exit 3" in steps[1].reason
    assert "step 2" in steps[2].reason and "failed" in steps[2].reason
    assert ("stream", steps[2].request.argv) not in harness.transports["hn1"].calls


async def test_plan_steps_run_in_order_even_across_nodes(harness: Harness, tmp_path: Path) -> None:
    marker = tmp_path / "order"
    steps = harness.queue.submit_plan(
        [
            sh("hn1", 'sleep 0.1; echo a >> "$1"', str(marker)),
            sh("hn2", 'echo b >> "$1"', str(marker)),
            sh("hn1", 'echo c >> "$1"', str(marker)),
        ]
    )
    await wait_finished(steps)
    assert marker.read_text() == "a\nb\nc\n"


async def test_cancel_queued_drops_it_and_cancel_running_kills_the_command(harness: Harness, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    running = harness.queue.submit(sh("hn1", 'echo $$ > "$1"; exec sleep 30', str(pidfile), ctids=(300,)))
    queued = harness.queue.submit(sh("hn1", "echo never", ctids=(300,)))
    await wait_for(lambda: pidfile.exists() and pidfile.read_text().strip() != "", what="command start")
    pid = int(pidfile.read_text())
    assert await harness.queue.cancel(queued.id)
    assert queued.state is OpState.CANCELLED and "before it started" in queued.reason
    started = time.monotonic()
    assert await harness.queue.cancel(running.id)
    assert running.state is OpState.CANCELLED and "killed" in running.reason
    assert time.monotonic() - started < 5
    await wait_for(lambda: not alive(pid), what="the cancelled command to die")
    assert ("stream", queued.request.argv) not in harness.transports["hn1"].calls
    assert not await harness.queue.cancel(running.id)


async def test_retry_runs_the_same_argv_again_as_a_new_operation(harness: Harness, tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    script = '[ -e "$1" ] || { touch "$1"; exit 4; }; echo ok'
    first = harness.queue.submit(sh("hn1", script, str(flag)))
    await wait_finished([first])
    assert first.state is OpState.FAILED
    again = harness.queue.retry(first.id)
    assert again.id != first.id and again.request == first.request
    await wait_finished([again])
    assert again.state is OpState.SUCCEEDED


async def test_retry_of_a_failed_plan_step_requeues_the_skipped_steps(harness: Harness, tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    steps = harness.queue.submit_plan(
        [sh("hn1", '[ -e "$1" ] || { touch "$1"; exit 4; }', str(flag)), sh("hn1", "echo after")]
    )
    await wait_finished(steps)
    assert [op.state for op in steps] == [OpState.FAILED, OpState.SKIPPED]
    again = harness.queue.retry(steps[0].id)
    await wait_finished([again])
    redo = [op for op in harness.queue.operations() if op.plan_id == again.plan_id]
    await wait_finished(redo)
    assert [op.state for op in redo] == [OpState.SUCCEEDED, OpState.SUCCEEDED]


async def test_state_recheck_skips_an_action_the_ct_no_longer_allows(tmp_path: Path) -> None:
    h = Harness(
        tmp_path,
        [local_spec("hn1")],
        state_of=lambda node, ctid: ("running", time.time()),
    )
    try:
        op = h.queue.submit(
            OpRequest(
                node="hn1", argv=("vzctl", "start", "102"), kind="start", ctids=(102,), expect_states=("stopped",)
            )
        )
        await wait_finished([op])
        assert op.state is OpState.SKIPPED
        assert op.reason == "102: already running"
        assert h.transports["hn1"].calls == []
    finally:
        await h.close()


async def test_state_recheck_asks_the_node_when_the_snapshot_predates_our_own_change(tmp_path: Path) -> None:
    asked: list[int] = []

    async def read_status(node: str, ctid: int) -> str | None:
        asked.append(ctid)
        return "stopped"

    snapshot_time = time.time()
    h = Harness(
        tmp_path, [local_spec("hn1")], state_of=lambda n, c: ("running", snapshot_time), read_status=read_status
    )
    try:
        stop = h.queue.submit(
            OpRequest(node="hn1", argv=("true",), kind="stop", ctids=(5,), expect_states=("running",))
        )
        start = h.queue.submit(
            OpRequest(node="hn1", argv=("true",), kind="start", ctids=(5,), expect_states=("stopped",))
        )
        await wait_finished([stop, start])
        assert [stop.state, start.state] == [OpState.SUCCEEDED, OpState.SUCCEEDED]
        assert asked == [5], "the stale snapshot said running; the node was asked instead"
    finally:
        await h.close()


@pytest.mark.parametrize("session_ro,node_ro", [(True, False), (False, True)])
async def test_read_only_refuses_mutations_before_they_reach_the_transport(
    tmp_path: Path, session_ro: bool, node_ro: bool
) -> None:
    h = Harness(tmp_path, [local_spec("hn1", read_only=node_ro)], read_only=session_ro)
    try:
        with pytest.raises(ReadOnlyError) as refused:
            h.queue.submit(OpRequest(node="hn1", argv=("vzctl", "stop", "101"), kind="stop", ctids=(101,)))
        assert "read-only" in str(refused.value) and "vzctl stop 101" in str(refused.value)
        # Mislabelled as non-mutating: still refused, the argv decides.
        with pytest.raises(ReadOnlyError):
            h.queue.submit(
                OpRequest(node="hn1", argv=("vzctl", "destroy", "101"), kind="raw", ctids=(101,), mutating=False)
            )
        with pytest.raises(ReadOnlyError):
            h.queue.submit_plan(
                [
                    OpRequest(node="hn1", argv=("vzlist", "-a"), kind="raw", mutating=False),
                    OpRequest(node="hn1", argv=("vzctl", "start", "101"), kind="start", ctids=(101,)),
                ]
            )
        assert h.queue.operations() == []
        inspect = h.queue.submit(OpRequest(node="hn1", argv=("uname", "-r"), kind="raw", mutating=False))
        await wait_finished([inspect])
        assert inspect.state is OpState.SUCCEEDED
        assert h.transports["hn1"].calls == [("stream", ("uname", "-r"))]
        await h.journal.drain()
        refusals = [r for r in h.journal.records() if r["event"] == "refused"]
        assert len(refusals) == 3
    finally:
        await h.close()


async def test_timeout_ends_the_operation_with_a_reason(harness: Harness) -> None:
    op = harness.queue.submit(sh("hn1", "sleep 30", timeout=0.3, mutating=False))
    await wait_finished([op])
    assert op.state is OpState.FAILED
    assert "timed out" in op.reason


async def test_close_cancels_queued_and_kills_running(tmp_path: Path) -> None:
    h = Harness(tmp_path, [local_spec("hn1", max_parallel=1)])
    running = h.queue.submit(sh("hn1", "sleep 30"))
    queued = h.queue.submit(sh("hn1", "echo later"))
    await wait_for(lambda: running.state is OpState.RUNNING)
    await h.close()
    assert running.state is OpState.CANCELLED and queued.state is OpState.CANCELLED
    assert "never started" in queued.reason


async def test_an_informational_exit_succeeds_with_its_meaning_and_the_same_code_elsewhere_fails(
    harness: Harness, tmp_path: Path
) -> None:
    """vzquota's exit 9 from ``stat -t`` is a report (user/group quota inactive); vzctl's exit 9 is a lock failure."""
    tools = {}
    for name in ("vzquota", "vzctl"):
        tool = tmp_path / name
        tool.write_text("#!/bin/sh\necho report\nexit 9\n")
        tool.chmod(0o755)
        tools[name] = str(tool)
    quota = harness.queue.submit(
        OpRequest(node="hn1", argv=(tools["vzquota"], "stat", "101", "-t"), kind="quota", mutating=False)
    )
    locked = harness.queue.submit(
        OpRequest(node="hn2", argv=(tools["vzctl"], "status", "101"), kind="status", mutating=False)
    )
    await wait_finished([quota, locked])
    assert quota.state is OpState.SUCCEEDED
    assert quota.exit_code == 9
    assert "second-level quota inactive" in quota.reason
    assert locked.state is OpState.FAILED
    assert "VZ_LOCKED" in locked.reason
