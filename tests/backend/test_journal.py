"""The journal: records with everything an audit needs, output files, rotation, a full disk that never stops the
queue, and recovery after ``kill -9``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.backend.engine_helpers import CountingTransport, local_spec, wait_finished
from vztui.backend.journal import Journal
from vztui.backend.operation import OpRequest, OpState
from vztui.backend.queue import OperationQueue

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def queue_in(tmp_path: Path) -> AsyncIterator[tuple[OperationQueue, Journal]]:
    journal = Journal(tmp_path / "state")
    journal.open()
    transport = CountingTransport(local_spec("hn1"))
    queue = OperationQueue({"hn1": local_spec("hn1")}, transport_for=lambda _: transport, journal=journal)
    yield queue, journal
    await queue.close()
    await journal.close()
    await transport.close()


def request(script: str, *, ctids: tuple[int, ...] = (101,)) -> OpRequest:
    return OpRequest(node="hn1", argv=("sh", "-c", script), kind="raw", ctids=ctids, title="test op")


async def test_records_carry_argv_node_ctids_user_exit_code_duration_and_reason(
    queue_in: tuple[OperationQueue, Journal],
) -> None:
    queue, journal = queue_in
    ok = queue.submit(request("echo hello; echo warn >&2"))
    bad = queue.submit(request("exit 5", ctids=(102,)))
    await wait_finished([ok, bad])
    await journal.drain()
    records = list(journal.records())
    assert [r["event"] for r in records if r["op"] == ok.id] == ["queued", "started", "finished"]
    queued = next(r for r in records if r["op"] == ok.id and r["event"] == "queued")
    assert queued["argv"] == ["sh", "-c", "echo hello; echo warn >&2"]
    assert queued["node"] == "hn1" and queued["ctids"] == [101] and queued["user"] == ok.user
    assert queued["pid"] == os.getpid() and queued["host"] == socket.gethostname()
    finished = next(r for r in records if r["op"] == bad.id and r["event"] == "finished")
    assert finished["state"] == "failed" and finished["exit_code"] == 5
    assert finished["duration"] >= 0 and "exit 5" in finished["reason"]
    assert journal.read_output(ok.id).splitlines()[-2:] == ["out hello", "err warn"]
    assert journal.path.stat().st_mode & 0o777 == 0o600


async def test_every_record_is_one_json_line(queue_in: tuple[OperationQueue, Journal]) -> None:
    queue, journal = queue_in
    op = queue.submit(request('printf "%s\\n" "quote \\" and newline-free"'))
    await wait_finished([op])
    await journal.drain()
    for line in journal.path.read_text().splitlines():
        assert isinstance(json.loads(line), dict)


async def test_a_full_disk_is_an_error_state_not_a_crash(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "journal.jsonl").symlink_to("/dev/full")
    journal = Journal(state)
    journal.open()
    seen: list[str | None] = []
    journal.on_error = seen.append
    transport = CountingTransport(local_spec("hn1"))
    queue = OperationQueue({"hn1": local_spec("hn1")}, transport_for=lambda _: transport, journal=journal)
    try:
        first = queue.submit(request("echo still runs"))
        await wait_finished([first])
        assert first.state is OpState.SUCCEEDED
        await journal.drain()
        assert journal.error is not None and "No space left on device" in journal.error
        assert str(state / "journal.jsonl") in journal.error
        assert journal.lost_records >= 3
        # The disk frees up: the next record succeeds and the error clears.
        (state / "journal.jsonl").unlink()
        second = queue.submit(request("echo again"))
        await wait_finished([second])
        await journal.drain()
        assert journal.error is None
        assert seen[0] is not None and seen[-1] is None
        assert any(r["op"] == second.id for r in journal.records())
    finally:
        await queue.close()
        await journal.close()
        await transport.close()


async def test_an_unwritable_directory_is_an_error_state(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    journal = Journal(blocker / "state")
    journal.open()
    try:
        assert journal.error is not None and "unusable" in journal.error
    finally:
        await journal.close()


async def test_journal_rotates_by_size_and_still_reads_across_files(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "state", max_bytes=2000, keep=3)
    journal.open()
    transport = CountingTransport(local_spec("hn1"))
    queue = OperationQueue({"hn1": local_spec("hn1")}, transport_for=lambda _: transport, journal=journal)
    try:
        ops = [queue.submit(request("true", ctids=(100 + i,))) for i in range(12)]
        await wait_finished(ops)
        await journal.drain()
    finally:
        await queue.close()
        await journal.close()
        await transport.close()
    names = sorted(p.name for p in (tmp_path / "state").glob("journal*.jsonl"))
    assert "journal.1.jsonl" in names and len(names) <= 4
    assert all(p.stat().st_size <= 2000 for p in (tmp_path / "state").glob("journal*.jsonl"))
    finished = [e for e in journal.entries() if e.state is OpState.SUCCEEDED]
    assert finished, "rotated files are read too"


def test_recover_marks_started_as_interrupted_and_queued_as_cancelled_once(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    dead = _dead_pid()
    host = socket.gethostname()
    base = {"v": 1, "node": "hn1", "kind": "stop", "title": "", "user": "root", "mutating": True, "plan": None}
    lines = [
        {
            **base,
            "event": "queued",
            "op": "a",
            "at": 1.0,
            "argv": ["vzctl", "stop", "101"],
            "ctids": [101],
            "step": 0,
            "pid": dead,
            "host": host,
        },
        {"v": 1, "event": "started", "op": "a", "at": 2.0},
        {
            **base,
            "event": "queued",
            "op": "b",
            "at": 1.5,
            "argv": ["vzctl", "stop", "102"],
            "ctids": [102],
            "step": 0,
            "pid": dead,
            "host": host,
        },
        {
            **base,
            "event": "queued",
            "op": "live",
            "at": 1.5,
            "argv": ["vzctl", "stop", "103"],
            "ctids": [103],
            "step": 0,
            "pid": os.getppid(),
            "host": host,
        },
        {"v": 1, "event": "started", "op": "live", "at": 2.0},
    ]
    (state / "journal.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines) + '{"torn": ')
    journal = Journal(state)
    journal.open()
    try:
        pending = journal.recover()
        assert [(e.op_id, e.state, e.ctids) for e in pending] == [("a", OpState.INTERRUPTED, (101,))]
        entries = {e.op_id: e for e in journal.entries()}
        assert entries["a"].state is OpState.INTERRUPTED and "outcome unknown" in entries["a"].reason
        assert entries["b"].state is OpState.CANCELLED and "never started" in entries["b"].reason
        assert entries["live"].state is None, "another live vztui's operation is left alone"
        # Still unreconciled: offered again, but not marked twice.
        assert [e.op_id for e in journal.recover()] == ["a"]
        assert sum(1 for r in journal.records() if r.get("op") == "a" and r["event"] == "finished") == 1
    finally:
        journal.close_sync()


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from vztui.backend.journal import Journal
    from vztui.backend.nodespec import NodeSpec, TransportKind
    from vztui.backend.operation import OpRequest
    from vztui.backend.queue import OperationQueue
    from vztui.backend.transports import LocalTransport

    async def main():
        spec = NodeSpec("hn1", transport=TransportKind.LOCAL)
        journal = Journal(sys.argv[1]); journal.open()
        transport = LocalTransport(spec)
        queue = OperationQueue({"hn1": spec}, transport_for=lambda _: transport, journal=journal)
        done = queue.submit(OpRequest("hn1", ("sh", "-c", "echo quick"), "raw", ctids=(100,)))
        while not done.state.finished:
            await asyncio.sleep(0.01)
        queue.submit(OpRequest("hn1", ("sh", "-c", "echo working; sleep 30"), "raw", ctids=(101,)))
        queue.submit(OpRequest("hn1", ("sh", "-c", "echo later"), "raw", ctids=(101,)))
        while True:
            await journal.drain()
            if any(r.get("event") == "started" and r["op"] != done.id for r in journal.records()):
                print("STARTED", flush=True)
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(60)

    asyncio.run(main())
    """
)


def test_journal_survives_kill_9_mid_operation(tmp_path: Path) -> None:
    state = tmp_path / "state"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(state)], stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "STARTED"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    journal = Journal(state)
    journal.open()
    try:
        pending = journal.recover()
        entries = {e.ctids: e for e in journal.entries()}
        assert entries[(100,)].state is OpState.SUCCEEDED
        assert entries[(101,)].state in (OpState.INTERRUPTED, OpState.CANCELLED)
        assert [e.ctids for e in pending] == [(101,)]
        assert pending[0].argv == ("sh", "-c", "echo working; sleep 30")
        cancelled = [e for e in journal.entries() if e.state is OpState.CANCELLED]
        assert [e.argv[-1] for e in cancelled] == ["echo later"], "queued work is never re-run"
    finally:
        journal.close_sync()


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    time.sleep(0.01)
    return proc.pid
