"""ParamikoTransport against real sshd processes on 127.0.0.1: no paramiko mocks anywhere."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import paramiko
import pytest

from tests.backend.ssh_transports import paramiko_maker
from tests.sshd import SshdFactory, SshdNode
from vztui.backend.hostkeys import KnownHosts
from vztui.backend.transport import (
    AuthenticationError,
    CommandTimeoutError,
    ExitStatus,
    LinkState,
    OutputLine,
    TransportError,
)
from vztui.backend.transports import Launch
from vztui.backend.transports._command import WATCHDOG_SCRIPT
from vztui.backend.transports.paramiko_ssh import ParamikoTransport

pytestmark = pytest.mark.sshd

MakeTransport = Callable[..., ParamikoTransport]


@pytest.fixture
def node(sshd_factory: SshdFactory, tmp_path: Path) -> SshdNode:
    bin_dir = tmp_path / "root" / "bin"
    bin_dir.mkdir(parents=True)
    tool = bin_dir / "vzlist"
    tool.write_text('#!/bin/sh\necho "simulated vzlist $*"\n')
    tool.chmod(0o755)
    return sshd_factory("hn1", bin_dir=bin_dir)


@pytest.fixture
async def make(node: SshdNode, tmp_path: Path) -> AsyncIterator[MakeTransport]:
    async with paramiko_maker(node, tmp_path) as factory:
        yield factory


async def test_run_returns_output_and_exit_code_and_connects_once(make: MakeTransport) -> None:
    ssh = make()
    assert ssh.link_status().state is LinkState.CONNECTING
    result = await ssh.run(["sh", "-c", "echo out; echo err >&2; exit 7"])
    assert (result.stdout, result.stderr, result.exit_code) == (b"out\n", b"err\n", 7)
    assert ssh.link_status().state is LinkState.CONNECTED
    conn = ssh._conn
    await ssh.run(["true"])
    assert ssh._conn is conn, "commands share one persistent connection"
    assert conn is not None and isinstance(conn.sock, socket.socket)
    assert conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), "Nagle off: no 40 ms delayed-ACK stalls"


async def test_remote_command_string_is_one_shlex_join(make: MakeTransport) -> None:
    plain = make()
    assert plain.remote_command(["vzctl", "set", "101", "--description", "a'b $x"], launch=Launch.EXEC) == shlex.join(
        ["vzctl", "set", "101", "--description", "a'b $x"]
    )
    with_path = make(path="/opt/sim bin", sudo=True)
    command = with_path.remote_command(["vzlist", "-a"])
    words = shlex.split(command)
    assert words[:5] == ["sudo", "-n", "--", "sh", "-c"]
    assert words[5] == WATCHDOG_SCRIPT
    assert words[6:] == ["vztui", "/opt/sim bin", "", "vzlist", "-a"]
    assert command == shlex.join(words)
    fed = shlex.split(with_path.remote_command(["vzctl", "set", "101", "--userpasswd", "x"], stdin_size=12))
    assert fed[6:] == ["vztui", "/opt/sim bin", "12", "vzctl", "set", "101", "--userpasswd", "x"]


async def test_spec_path_leads_the_remote_path(make: MakeTransport, node: SshdNode, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "vzlist").write_text('#!/bin/sh\necho "from spec.path $*"\n')
    (other / "vzlist").chmod(0o755)
    assert (await make().run(["vzlist", "-a"])).stdout == b"simulated vzlist -a\n"
    assert (await make(path=str(other)).run(["vzlist", "-j"])).stdout == b"from spec.path -j\n"


async def test_sudo_mode_runs_everything_through_sudo_n(make: MakeTransport, tmp_path: Path) -> None:
    # A stand-in sudo first on PATH: it insists on exactly `-n --` and marks the environment, then runs the rest.
    (tmp_path / "root" / "bin" / "sudo").write_text(
        '#!/bin/sh\n[ "$1" = -n ] && [ "$2" = -- ] || exit 99\nshift 2\nVIA_SUDO=yes exec "$@"\n'
    )
    (tmp_path / "root" / "bin" / "sudo").chmod(0o755)
    (tmp_path / "f").write_text("secret\n")
    ssh = make(sudo=True)
    assert (await ssh.run(["sh", "-c", 'echo "$VIA_SUDO"'])).stdout == b"yes\n"
    assert (await ssh.run(["sh", "-c", 'echo "$VIA_SUDO"'], stdin=b"")).stdout == b"yes\n"
    assert await ssh.read_file(str(tmp_path / "f")) == b"secret\n"


async def test_more_commands_than_channels_all_complete(make: MakeTransport) -> None:
    ssh = make()
    started = time.monotonic()
    results = await asyncio.gather(*(ssh.run(["sh", "-c", f"sleep 0.4; echo {i}"]) for i in range(12)))
    elapsed = time.monotonic() - started
    assert [r.stdout for r in results] == [f"{i}\n".encode() for i in range(12)]
    assert 0.8 <= elapsed < 4, "12 commands over 8 channels take two waves, not twelve"


async def test_a_session_refused_at_the_servers_maxsessions_is_retried_not_failed(
    make: MakeTransport, sshd_factory: SshdFactory
) -> None:
    """sshd answers "Connect failed" past MaxSessions (here 3); the transport (8 channels) waits for one to free."""
    tight = sshd_factory("tight", options={"MaxSessions": "3"})
    ssh = make(tight)
    results = await asyncio.gather(*(ssh.run(["sh", "-c", f"sleep 0.3; echo {i}"]) for i in range(6)))
    assert [r.stdout for r in results] == [f"{i}\n".encode() for i in range(6)]
    assert all(r.exit_code == 0 for r in results)


async def test_stream_cut_by_dead_sshd_ends_with_reason(make: MakeTransport, node: SshdNode) -> None:
    ssh = make()
    events = []
    async for event in ssh.stream(["sh", "-c", "echo up; sleep 30"]):
        events.append(event)
        if isinstance(event, OutputLine):
            node.kill()
    assert isinstance(events[-1], ExitStatus) and events[-1].exit_code == -1
    assert "lost" in events[-1].reason


async def test_frozen_sshd_times_out_without_hanging(make: MakeTransport, node: SshdNode) -> None:
    ssh = make(keepalive_interval=0.5, keepalive_count=2)
    await ssh.run(["true"])
    node.freeze()
    try:
        started = time.monotonic()
        with pytest.raises(CommandTimeoutError):
            await ssh.run(["echo", "x"], timeout=1.0)
        assert time.monotonic() - started < 2.5
        deadline = time.monotonic() + 5
        while ssh.link_status().state is LinkState.CONNECTED and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert ssh.link_status().state is LinkState.RECONNECTING, "the silent node lost its connection"
        with pytest.raises(TransportError):
            await asyncio.wait_for(ssh.run(["true"], timeout=1.0), 8)
    finally:
        node.thaw()


async def test_sshd_frozen_mid_stream_ends_it_by_keepalive_not_by_its_long_timeout(
    make: MakeTransport, node: SshdNode
) -> None:
    ssh = make(keepalive_interval=0.4, keepalive_count=2)
    events = []
    try:
        started = 0.0
        async for event in ssh.stream(["sh", "-c", "echo up; sleep 30"], timeout=60):
            events.append(event)
            if isinstance(event, OutputLine):
                node.freeze()
                started = time.monotonic()
        assert time.monotonic() - started < 4
    finally:
        node.thaw()
    assert isinstance(events[-1], ExitStatus) and events[-1].exit_code == -1
    assert "lost" in events[-1].reason


async def test_keys_from_ssh_agent_are_used(node: SshdNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    socket_path = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket_path)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while not socket_path.exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        env = {"SSH_AUTH_SOCK": str(socket_path), "PATH": os.environ["PATH"]}
        subprocess.run(["ssh-add", "-q", str(node.user_key.private)], env=env, check=True, capture_output=True)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(socket_path))
        monkeypatch.setenv("HOME", str(tmp_path / "empty-home"))  # no default key files to fall back on
        ssh = ParamikoTransport(
            node.spec(identity_file=None),
            known_hosts=KnownHosts(node.known_hosts, tmp_path / "vztui"),
            ssh_config=paramiko.SSHConfig(),
        )
        try:
            assert (await ssh.run(["echo", "agent"])).stdout == b"agent\n"
        finally:
            await ssh.close()
    finally:
        agent.terminate()
        agent.wait()


async def test_unknown_identity_is_an_authentication_error(make: MakeTransport, tmp_path: Path) -> None:
    import subprocess

    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    ssh = make(identity_file=str(stranger))
    with pytest.raises(AuthenticationError, match="refused every key"):
        await ssh.run(["true"])
    assert ssh.link_status().state is LinkState.UNREACHABLE


async def test_unreachable_port_reports_the_reason(make: MakeTransport) -> None:
    from tests.sshd import free_port

    ssh = make(port=free_port())
    with pytest.raises(TransportError, match="refused"):
        await ssh.run(["true"])
    status = ssh.link_status()
    assert status.state is LinkState.UNREACHABLE and "refused" in status.reason
    with pytest.raises(TransportError, match="next attempt"):
        await ssh.run(["true"])


def test_run_interactive_returns_the_exit_code(node: SshdNode, tmp_path: Path) -> None:
    ssh = ParamikoTransport(
        node.spec(),
        known_hosts=KnownHosts(node.known_hosts, tmp_path / "kh"),
        ssh_config=paramiko.SSHConfig(),
        use_agent=False,
    )
    read_fd, write_fd = os.pipe()
    os.close(write_fd)
    saved = os.dup(0)
    os.dup2(read_fd, 0)
    try:
        assert ssh.run_interactive(["sh", "-c", "exit 3"]) == 3
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        os.close(read_fd)
        asyncio.run(ssh.close())


async def test_the_server_receives_exactly_remote_command(sshd_factory: SshdFactory, tmp_path: Path) -> None:
    # ForceCommand hands the client's string over in SSH_ORIGINAL_COMMAND instead of running it.
    echo = sshd_factory("echo", options={"ForceCommand": "printenv SSH_ORIGINAL_COMMAND"})
    ssh = ParamikoTransport(
        echo.spec(path="/opt/vz bin"),
        known_hosts=KnownHosts(echo.known_hosts, tmp_path / "vztui"),
        ssh_config=paramiko.SSHConfig(),
        use_agent=False,
    )
    argv = ["vzctl", "set", "101", "--description", "it's $(reboot) `id` ; | & > \n *"]
    try:
        result = await ssh.run(argv)
    finally:
        await ssh.close()
    assert result.stdout.decode() == ssh.remote_command(argv) + "\n"
    assert shlex.split(ssh.remote_command(argv))[-5:] == argv


async def test_link_status_notices_a_dead_node_without_any_command(make: MakeTransport, node: SshdNode) -> None:
    ssh = make(keepalive_interval=0.2)
    await ssh.run(["true"])
    node.kill()
    deadline = time.monotonic() + 3
    while ssh.link_status().state is LinkState.CONNECTED and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    status = ssh.link_status()
    assert status.state is LinkState.RECONNECTING
    assert status.reason


async def test_reconnecting_turns_unreachable_after_the_grace_period(node: SshdNode, tmp_path: Path) -> None:
    ssh = ParamikoTransport(
        node.spec(),
        known_hosts=KnownHosts(node.known_hosts, tmp_path / "vztui"),
        ssh_config=paramiko.SSHConfig(),
        use_agent=False,
        unreachable_after=0.5,
        backoff_base=0.1,
        backoff_max=0.2,
    )
    try:
        await ssh.run(["true"])
        node.kill()
        states = set()
        deadline = time.monotonic() + 5
        while ssh.link_status().state is not LinkState.UNREACHABLE and time.monotonic() < deadline:
            with contextlib.suppress(TransportError):
                await ssh.run(["true"], timeout=2)
            states.add(ssh.link_status().state)
            await asyncio.sleep(0.05)
        status = ssh.link_status()
        assert LinkState.RECONNECTING in states
        assert status.state is LinkState.UNREACHABLE
        assert "refused" in status.reason
    finally:
        await ssh.close()
