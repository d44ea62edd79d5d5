"""LocalTransport against real child processes: output, exit codes, timeouts, cancellation, pty, PATH, reads."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.backend.processes import gone
from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.backend.transport import CommandTimeoutError, ExitStatus, LinkState, OutputLine, Stream, StreamEvent
from vztui.backend.transports import LocalTransport, create_transport


@pytest.fixture
async def local() -> AsyncIterator[LocalTransport]:
    transport = LocalTransport(NodeSpec("hn0", transport=TransportKind.LOCAL))
    yield transport
    await transport.close()


async def test_run_returns_stdout_stderr_and_exit_code(local: LocalTransport) -> None:
    result = await local.run(["sh", "-c", "echo out; echo err >&2; exit 7"])
    assert (result.stdout, result.stderr, result.exit_code) == (b"out\n", b"err\n", 7)
    assert result.argv == ("sh", "-c", "echo out; echo err >&2; exit 7")


async def test_run_feeds_stdin(local: LocalTransport) -> None:
    result = await local.run(["cat"], stdin=b"line one\nline two")
    assert result.stdout == b"line one\nline two"


async def test_missing_program_is_exit_127_not_an_exception(local: LocalTransport) -> None:
    result = await local.run(["vztui-no-such-program"])
    assert result.exit_code == 127
    assert b"command not found" in result.stderr


async def test_run_timeout_kills_the_whole_process_group(local: LocalTransport, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    with pytest.raises(CommandTimeoutError):
        await local.run(["sh", "-c", 'sleep 30 & echo $! > "$1"; wait', "sh", str(pidfile)], timeout=0.5)
    assert await gone(int(pidfile.read_text()))


async def test_stream_yields_lines_as_they_arrive_then_one_exit_status(local: LocalTransport) -> None:
    seen: list[tuple[float, StreamEvent]] = []
    start = time.monotonic()
    async for event in local.stream(["sh", "-c", "echo a; sleep 0.5; echo b >&2; printf tail; exit 3"]):
        seen.append((time.monotonic() - start, event))
    events = [event for _, event in seen]
    lines = [(e.stream, e.text) for e in events if isinstance(e, OutputLine)]
    assert lines == [(Stream.STDOUT, "a"), (Stream.STDERR, "b"), (Stream.STDOUT, "tail")]
    assert events[-1] == ExitStatus(3)
    assert sum(isinstance(e, ExitStatus) for e in events) == 1
    assert seen[0][0] < seen[-1][0] - 0.25, "the first line must arrive before the command ends"


async def test_closing_the_stream_early_kills_the_command(local: LocalTransport, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    argv = ["sh", "-c", 'sleep 30 & echo $! > "$1"; echo started; wait', "sh", str(pidfile)]
    async with contextlib.aclosing(local.stream(argv)) as events:
        async for event in events:
            assert event == OutputLine(Stream.STDOUT, "started", event.at)
            break
    assert await gone(int(pidfile.read_text()))


async def test_cancelling_the_consuming_task_kills_the_command(local: LocalTransport, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    started = asyncio.Event()

    async def consume() -> None:
        argv = ["sh", "-c", 'sleep 30 & echo $! > "$1"; echo started; wait', "sh", str(pidfile)]
        async with contextlib.aclosing(local.stream(argv)) as events:
            async for _ in events:
                started.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await gone(int(pidfile.read_text()))


async def test_stream_timeout_ends_with_minus_one_and_reason(local: LocalTransport) -> None:
    events = [event async for event in local.stream(["sleep", "30"], timeout=0.3)]
    assert len(events) == 1
    assert isinstance(events[0], ExitStatus)
    assert events[0].exit_code == -1
    assert "timed out" in events[0].reason


async def test_pty_stream_gives_the_command_a_terminal(local: LocalTransport) -> None:
    events = [e async for e in local.stream(["sh", "-c", "test -t 1 && echo tty; echo err >&2"], pty=True)]
    assert [e.text for e in events if isinstance(e, OutputLine)] == ["tty", "err"]
    assert events[-1] == ExitStatus(0)


async def test_spec_path_is_searched_first(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "vzlist"
    tool.write_text('#!/bin/sh\necho simulated vzlist "$@"\n')
    tool.chmod(0o755)
    transport = create_transport(NodeSpec("hn1", transport=TransportKind.LOCAL, path=str(bin_dir)))
    result = await transport.run(["vzlist", "-a", "$(id)"])
    assert result.stdout == b"simulated vzlist -a $(id)\n"


async def test_read_file_honours_root_prefix(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "loadavg").write_bytes(b"0.01 0.02 0.03 1/77 123\n")
    transport = LocalTransport(NodeSpec("hn1", transport=TransportKind.LOCAL, root_prefix=str(tmp_path)))
    assert await transport.read_file("/proc/loadavg") == b"0.01 0.02 0.03 1/77 123\n"
    with pytest.raises(FileNotFoundError):
        await transport.read_file("/proc/vz/vestat")


async def test_sudo_wraps_the_command_with_sudo_n(tmp_path: Path) -> None:
    transport = LocalTransport(NodeSpec("hn1", transport=TransportKind.LOCAL, sudo=True, path="/opt/vz/bin"))
    assert transport.command_argv(["vzlist", "-a"])[:5] == [
        "sudo",
        "-n",
        "--",
        "env",
        "PATH=/opt/vz/bin:" + os.environ["PATH"],
    ]
    assert transport.command_argv(["vzlist", "-a"])[5:] == ["vzlist", "-a"]


async def test_many_concurrent_commands(local: LocalTransport) -> None:
    results = await asyncio.gather(*(local.run(["sh", "-c", f"sleep 0.2; echo {i}"]) for i in range(12)))
    assert [r.stdout for r in results] == [f"{i}\n".encode() for i in range(12)]


async def test_link_status_is_connected_until_closed(local: LocalTransport) -> None:
    assert local.link_status().state is LinkState.CONNECTED
    await local.close()
    assert local.link_status().state is LinkState.UNREACHABLE


def test_run_interactive_returns_the_exit_code() -> None:
    local = LocalTransport(NodeSpec("hn0", transport=TransportKind.LOCAL))
    assert local.run_interactive(["sh", "-c", "exit 5"]) == 5


async def test_sudo_mode_goes_through_sudo_with_the_spec_path(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sudo").write_text(
        '#!/bin/sh\n[ "$1" = -n ] && [ "$2" = -- ] || exit 99\nshift 2\nVIA_SUDO=yes exec "$@"\n'
    )
    (bin_dir / "vzlist").write_text('#!/bin/sh\necho "vzlist as $VIA_SUDO"\n')
    for tool in ("sudo", "vzlist"):
        (bin_dir / tool).chmod(0o755)
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "loadavg").write_text("1.00 0.50 0.25 2/100 999\n")
    spec = NodeSpec("hn1", transport=TransportKind.LOCAL, sudo=True, path=str(bin_dir), root_prefix=str(tmp_path))
    transport = LocalTransport(spec)
    try:
        assert (await transport.run(["vzlist"])).stdout == b"vzlist as yes\n"
        assert await transport.read_file("/proc/loadavg") == b"1.00 0.50 0.25 2/100 999\n"
        with pytest.raises(FileNotFoundError):
            await transport.read_file("/proc/absent")
    finally:
        await transport.close()


async def test_cancelling_run_kills_the_command(local: LocalTransport, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    task = asyncio.create_task(local.run(["sh", "-c", 'echo $$ > "$1"; exec sleep 30', "sh", str(pidfile)]))
    while not pidfile.exists() or not pidfile.read_text().strip():
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await gone(int(pidfile.read_text()))
