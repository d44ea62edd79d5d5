"""OpenSshTransport (system ssh + ControlMaster) against real sshd processes on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from tests.sshd import SshdFactory, SshdNode
from vztui.backend.hostkeys import KnownHosts, fingerprint
from vztui.backend.nodespec import TransportKind
from vztui.backend.transport import (
    CommandTimeoutError,
    ExitStatus,
    HostKeyError,
    LinkState,
    OutputLine,
    Stream,
    TransportError,
)
from vztui.backend.transports import create_transport
from vztui.backend.transports.openssh import OpenSshTransport

pytestmark = [
    pytest.mark.sshd,
    pytest.mark.skipif(shutil.which("ssh") is None, reason="OpenSSH client (ssh) not installed"),
]

MakeTransport = Callable[..., OpenSshTransport]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


async def _gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.fixture
def control_dir() -> Iterator[Path]:
    # Short on purpose: ControlPath sockets must fit in sun_path (108 bytes).
    path = Path(tempfile.mkdtemp(prefix="vzc", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def node(sshd_factory: SshdFactory) -> SshdNode:
    return sshd_factory("hn1")


@pytest.fixture
async def make(node: SshdNode, tmp_path: Path, control_dir: Path) -> AsyncIterator[MakeTransport]:
    made: list[OpenSshTransport] = []

    def factory(target: SshdNode = node, *, known: KnownHosts | None = None, **spec: object) -> OpenSshTransport:
        hosts = known or KnownHosts(target.known_hosts, tmp_path / "vztui_known_hosts")
        transport = OpenSshTransport(
            target.spec(transport=TransportKind.OPENSSH, **spec),
            known_hosts=hosts,
            control_dir=control_dir,
            ssh_config_file="/dev/null",
        )
        made.append(transport)
        return transport

    yield factory
    for transport in made:
        await transport.close()


def test_create_transport_picks_openssh(node: SshdNode) -> None:
    transport = create_transport(node.spec(transport=TransportKind.OPENSSH))
    assert isinstance(transport, OpenSshTransport)


async def test_run_output_exit_code_and_one_shared_master(make: MakeTransport, node: SshdNode) -> None:
    ssh = make()
    result = await ssh.run(["sh", "-c", "echo out; echo err >&2; exit 7"])
    assert (result.stdout, result.stderr, result.exit_code) == (b"out\n", b"err\n", 7)
    assert ssh.link_status().state is LinkState.CONNECTED
    check = subprocess.run(
        [ssh.ssh_binary, *ssh.ssh_options(), "-O", "check", "--", node.host],
        check=False,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    for _ in range(3):
        await ssh.run(["true"])
    assert node.log.count("Accepted publickey") == 1, "later commands reuse the master connection"


async def test_remote_exit_255_is_not_a_transport_error(make: MakeTransport) -> None:
    assert (await make().run(["sh", "-c", "echo fine >&2; exit 255"])).exit_code == 255


async def test_shell_metacharacters_arrive_literally(make: MakeTransport, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = ["a b", f"$(touch {marker})", f"`touch {marker}`", "; touch x", "it's", "*", "$HOME"]
    result = await make().run(["printf", "%s\\n", *hostile])
    assert result.stdout.decode().splitlines() == hostile
    assert not marker.exists()


async def test_stdin_reaches_the_command(make: MakeTransport) -> None:
    assert (await make().run(["cat"], stdin=b"abc\x00\n")).stdout == b"abc\x00\n"


async def test_timeout_kills_a_command_fed_stdin(make: MakeTransport, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    with pytest.raises(CommandTimeoutError):
        await make().run(["sh", "-c", 'echo $$ > "$1"; exec sleep 30', "sh", str(pidfile)], stdin=b"x", timeout=1)
    assert await _gone(int(pidfile.read_text()))


async def test_stream_lines_then_one_exit_status(make: MakeTransport) -> None:
    events = [e async for e in make().stream(["sh", "-c", "echo a; echo b >&2; exit 2"])]
    lines = sorted((e.stream, e.text) for e in events if isinstance(e, OutputLine))
    assert lines == [(Stream.STDERR, "b"), (Stream.STDOUT, "a")]
    assert events[-1] == ExitStatus(2)


@pytest.mark.parametrize("pty", [False, True], ids=["pipes", "pty"])
async def test_closing_the_stream_kills_the_remote_process(make: MakeTransport, pty: bool) -> None:
    ssh = make()
    async with contextlib.aclosing(ssh.stream(["sh", "-c", "sleep 30 & echo $!; wait"], pty=pty)) as events:
        async for event in events:
            assert isinstance(event, OutputLine)
            pid = int(event.text)
            assert _alive(pid)
            break
    assert await _gone(pid)


async def test_timeout_kills_the_remote_command(make: MakeTransport, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    with pytest.raises(CommandTimeoutError):
        await make().run(["sh", "-c", 'echo $$ > "$1"; exec sleep 30', "sh", str(pidfile)], timeout=1.0)
    assert await _gone(int(pidfile.read_text()))


async def test_concurrent_commands_over_one_master(make: MakeTransport) -> None:
    ssh = make()
    await ssh.run(["true"])
    results = await asyncio.gather(*(ssh.run(["sh", "-c", f"sleep 0.3; echo {i}"]) for i in range(12)))
    assert [r.stdout for r in results] == [f"{i}\n".encode() for i in range(12)]


async def test_read_file_honours_root_prefix(make: MakeTransport, tmp_path: Path) -> None:
    (tmp_path / "r" / "proc").mkdir(parents=True)
    (tmp_path / "r" / "proc" / "loadavg").write_text("0.00 0.01 0.05 1/2 3\n")
    ssh = make(root_prefix=str(tmp_path / "r"))
    assert await ssh.read_file("/proc/loadavg") == b"0.00 0.01 0.05 1/2 3\n"
    with pytest.raises(FileNotFoundError):
        await ssh.read_file("/proc/nothing")


async def test_unknown_host_key_refused_with_fingerprint_nothing_sent(
    make: MakeTransport, node: SshdNode, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    ssh = make(known=KnownHosts(tmp_path / "empty", tmp_path / "vztui"))
    with pytest.raises(HostKeyError) as info:
        await ssh.run(["touch", str(marker)])
    assert not info.value.changed
    assert info.value.key_base64 == node.host_key.base64
    assert info.value.fingerprint == fingerprint(node.host_key.base64)
    assert not marker.exists()
    assert ssh.link_status().state is LinkState.UNREACHABLE


async def test_changed_host_key_refused(make: MakeTransport, node: SshdNode, tmp_path: Path) -> None:
    other = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    known_file = tmp_path / "kh"
    known_file.write_text(f"[127.0.0.1]:{node.port} ssh-ed25519 {other}\n")
    marker = tmp_path / "marker"
    with pytest.raises(HostKeyError) as info:
        await make(known=KnownHosts(known_file, tmp_path / "vztui")).run(["touch", str(marker)])
    assert info.value.changed
    assert info.value.fingerprint == fingerprint(node.host_key.base64)
    assert "CHANGED" in str(info.value)
    assert not marker.exists()


async def test_sshd_killed_mid_command_is_a_transport_error(make: MakeTransport, node: SshdNode) -> None:
    ssh = make()
    await ssh.run(["true"])
    task = asyncio.create_task(ssh.run(["sleep", "30"], timeout=20))
    await asyncio.sleep(0.3)
    node.kill()
    with pytest.raises(TransportError) as info:
        await asyncio.wait_for(task, 5)
    assert not isinstance(info.value, CommandTimeoutError)
    assert ssh.link_status().state is LinkState.RECONNECTING


async def test_frozen_sshd_times_out_without_hanging(make: MakeTransport, node: SshdNode) -> None:
    ssh = make()
    await ssh.run(["true"])
    node.freeze()
    try:
        started = time.monotonic()
        with pytest.raises(CommandTimeoutError):
            await ssh.run(["echo", "x"], timeout=1.0)
        assert time.monotonic() - started < 4
    finally:
        node.thaw()


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


async def test_cancelling_run_kills_the_remote_command(make: MakeTransport, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    task = asyncio.create_task(make().run(["sh", "-c", 'echo $$ > "$1"; exec sleep 30', "sh", str(pidfile)]))
    while not pidfile.exists() or not pidfile.read_text().strip():
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _gone(int(pidfile.read_text()))
