"""What every SSH transport promises, asserted on each against real sshd processes on 127.0.0.1.

The poller, the queue and the CLI do not care whether a node is reached through paramiko or the system's ssh (the
route for CentOS 6's sshd): both must carry argv literally, feed stdin, stream live, time out and cancel by killing
the remote command, survive a restarted or killed sshd, and decode hostile bytes the same way. Each test here runs
once per transport (the system ssh twice: against a modern sshd and a CentOS 6-style one); what only one
transport does (one ControlMaster, paramiko's channels and keepalives) stays in its own test module.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.backend.processes import alive, gone
from tests.backend.ssh_transports import MakeTransport, openssh_maker, paramiko_maker
from tests.sshd import SshdFactory, SshdNode
from vztui.backend.transport import (
    CommandTimeoutError,
    ExitStatus,
    LinkState,
    OutputLine,
    Stream,
    Transport,
    TransportError,
)
from vztui.backend.transports.openssh import LEGACY_OPTIONS

pytestmark = pytest.mark.sshd

SLEEPER = ["sh", "-c", 'echo $$ > "$1"; exec sleep 30', "sh"]
"""Writes its pid to the file named after it, then sleeps (as the same process) for longer than any test."""


@pytest.fixture(params=["paramiko", "openssh", "openssh-centos6"])
def flavour(request: pytest.FixtureRequest) -> str:
    """Which transport, and for the system ssh also a CentOS 6-style sshd (ssh-rsa/SHA-1 only, reached with
    ``LEGACY_OPTIONS``): the route the README gives for OpenVZ 6 nodes must keep every promise too."""
    if request.param.startswith("openssh") and shutil.which("ssh") is None:
        pytest.skip("OpenSSH client (ssh) not installed")
    return str(request.param)


@pytest.fixture
def node(sshd_factory: SshdFactory, flavour: str) -> SshdNode:
    return sshd_factory("hn1", legacy=flavour == "openssh-centos6")


@pytest.fixture
async def make(flavour: str, node: SshdNode, tmp_path: Path) -> AsyncIterator[MakeTransport]:
    if flavour == "paramiko":
        async with paramiko_maker(node, tmp_path) as make_paramiko:
            yield make_paramiko
        return
    async with openssh_maker(node, tmp_path) as make_openssh:
        if flavour == "openssh":
            yield make_openssh
            return

        def make_legacy(*args: object, **spec: object) -> Transport:
            return make_openssh(*args, **{"ssh_options": LEGACY_OPTIONS, **spec})

        yield make_legacy


async def test_shell_metacharacters_in_argv_arrive_literally(make: MakeTransport, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = ["a b", f"$(touch {marker})", f"`touch {marker}`", "; touch x", "it's", 'say "hi"', "*", "\\n", "$HOME"]
    result = await make().run(["printf", "%s\\n", *hostile])
    assert result.stdout.decode().splitlines() == hostile
    assert not marker.exists()


async def test_stdin_reaches_the_command(make: MakeTransport) -> None:
    ssh = make()
    result = await ssh.run(["sh", "-c", "cat; echo done"], stdin=b"\x00binary\xff\nline")
    assert result.stdout == b"\x00binary\xff\nlinedone\n"
    big = bytes(range(256)) * 4096
    assert (await ssh.run(["cat"], stdin=big)).stdout == big
    assert (await ssh.run(["cat"], stdin=b"")).stdout == b""


async def test_remote_exit_255_is_the_commands_not_a_transport_error(make: MakeTransport) -> None:
    assert (await make().run(["sh", "-c", "echo fine >&2; exit 255"])).exit_code == 255


async def test_timeout_kills_a_command_fed_stdin_that_ignores_eof(make: MakeTransport, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    with pytest.raises(CommandTimeoutError):
        await make().run([*SLEEPER, str(pidfile)], stdin=b"data", timeout=0.8)
    assert await gone(int(pidfile.read_text()))


async def test_run_timeout_kills_the_remote_command_and_the_transport_stays_usable(
    make: MakeTransport, tmp_path: Path
) -> None:
    pidfile = tmp_path / "pid"
    ssh = make()
    started = time.monotonic()
    with pytest.raises(CommandTimeoutError):
        await ssh.run([*SLEEPER, str(pidfile)], timeout=0.8)
    assert time.monotonic() - started < 3
    assert await gone(int(pidfile.read_text()))
    assert (await ssh.run(["echo", "still usable"])).stdout == b"still usable\n"


async def test_cancelling_run_kills_the_remote_command(make: MakeTransport, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    task = asyncio.create_task(make().run([*SLEEPER, str(pidfile)]))
    while not pidfile.exists() or not pidfile.read_text().strip():
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await gone(int(pidfile.read_text()))


async def test_stream_yields_lines_live_then_exactly_one_exit_status(make: MakeTransport) -> None:
    events = []
    start = time.monotonic()
    async for event in make().stream(["sh", "-c", "echo one; sleep 0.5; echo two >&2; printf three; exit 4"]):
        events.append((time.monotonic() - start, event))
    lines = [(e.stream, e.text) for _, e in events if isinstance(e, OutputLine)]
    assert lines == [(Stream.STDOUT, "one"), (Stream.STDERR, "two"), (Stream.STDOUT, "three")]
    assert [e for _, e in events if isinstance(e, ExitStatus)] == [ExitStatus(4)]
    assert isinstance(events[-1][1], ExitStatus)
    assert events[0][0] < events[-1][0] - 0.3, "the first line arrived before the command finished"


@pytest.mark.parametrize("pty", [False, True], ids=["pipes", "pty"])
async def test_closing_the_stream_kills_the_remote_process(make: MakeTransport, pty: bool) -> None:
    async with contextlib.aclosing(make().stream(["sh", "-c", "sleep 30 & echo $!; wait"], pty=pty)) as events:
        async for event in events:
            assert isinstance(event, OutputLine)
            pid = int(event.text)
            assert alive(pid)
            break
    assert await gone(pid), "the remote sleep must die when the stream is closed"


async def test_cancelling_the_consumer_task_kills_the_remote_process(make: MakeTransport) -> None:
    ssh = make()
    pids: list[int] = []

    async def consume() -> None:
        async with contextlib.aclosing(ssh.stream(["sh", "-c", "echo $$; exec sleep 30"])) as events:
            async for event in events:
                if isinstance(event, OutputLine):
                    pids.append(int(event.text))

    task = asyncio.create_task(consume())
    while not pids:
        await asyncio.sleep(0.02)
    assert alive(pids[0])
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await gone(pids[0])


async def test_pty_stream_has_a_terminal(make: MakeTransport) -> None:
    events = [e async for e in make().stream(["sh", "-c", "test -t 1 && echo tty"], pty=True)]
    assert [e.text for e in events if isinstance(e, OutputLine)] == ["tty"]
    assert events[-1] == ExitStatus(0)


async def test_stream_timeout_ends_with_minus_one(make: MakeTransport) -> None:
    events = [e async for e in make().stream(["sleep", "30"], timeout=0.5)]
    assert len(events) == 1 and isinstance(events[0], ExitStatus)
    assert events[0].exit_code == -1 and "timed out" in events[0].reason


async def test_large_output_arrives_intact_through_run_and_stream(make: MakeTransport) -> None:
    ssh = make()
    argv = [
        "sh",
        "-c",
        "i=0; while [ $i -lt 40000 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done",
    ]
    result = await ssh.run(argv)
    assert len(result.stdout.splitlines()) == 40000
    lines = [e.text async for e in ssh.stream(argv) if isinstance(e, OutputLine)]
    assert len(lines) == 40000 and lines[-1].startswith("line-39999-")


async def test_invalid_utf8_and_control_bytes_are_decoded_with_replacement(make: MakeTransport) -> None:
    events = [e async for e in make().stream(["printf", "ok\\377\\033]52;c;x\\007\\n"])]
    assert isinstance(events[0], OutputLine) and events[0].text == "ok\ufffd\x1b]52;c;x\x07"


async def test_read_file_honours_root_prefix_and_commands_are_never_rewritten(
    make: MakeTransport, tmp_path: Path
) -> None:
    root = tmp_path / "noderoot"
    (root / "proc" / "vz").mkdir(parents=True)
    (root / "proc" / "vz" / "vestat").write_bytes(b"Version: 2.2\n")
    ssh = make(root_prefix=str(root))
    assert await ssh.read_file("/proc/vz/vestat") == b"Version: 2.2\n"
    with pytest.raises(FileNotFoundError):
        await ssh.read_file("/proc/user_beancounters")
    assert "noderoot" not in ssh.remote_command(["vzlist"])  # type: ignore[attr-defined]


async def test_reconnects_after_sshd_restart(make: MakeTransport, node: SshdNode) -> None:
    ssh = make()
    assert (await ssh.run(["echo", "a"])).ok
    node.restart()
    deadline = time.monotonic() + 8
    while True:
        try:
            result = await ssh.run(["echo", "b"])
            break
        except TransportError:
            assert time.monotonic() < deadline, "no reconnect within 8 s"
            await asyncio.sleep(0.1)
    assert result.stdout == b"b\n"
    assert ssh.link_status().state is LinkState.CONNECTED


async def test_sshd_killed_mid_command_fails_fast_with_transport_error(make: MakeTransport, node: SshdNode) -> None:
    ssh = make()
    await ssh.run(["true"])
    task = asyncio.create_task(ssh.run(["sleep", "30"], timeout=20))
    await asyncio.sleep(0.3)
    node.kill()
    started = time.monotonic()
    with pytest.raises(TransportError) as info:
        await asyncio.wait_for(task, 5)
    assert not isinstance(info.value, CommandTimeoutError)
    assert time.monotonic() - started < 3
    assert ssh.link_status().state is LinkState.RECONNECTING
    with pytest.raises(TransportError):
        await ssh.run(["true"], timeout=3)
    assert ssh.link_status().state in (LinkState.RECONNECTING, LinkState.UNREACHABLE)
    assert ssh.link_status().reason
