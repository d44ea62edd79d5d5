"""OpenSshTransport (system ssh + ControlMaster) against real sshd processes on 127.0.0.1."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.backend.ssh_transports import openssh_maker
from tests.sshd import SshdFactory, SshdNode
from vztui.backend.hostkeys import KnownHosts, fingerprint
from vztui.backend.nodespec import TransportKind
from vztui.backend.transport import CommandTimeoutError, HostKeyError, LinkState
from vztui.backend.transports import create_transport
from vztui.backend.transports.openssh import OpenSshTransport

MakeTransport = Callable[..., OpenSshTransport]

pytestmark = [
    pytest.mark.sshd,
    pytest.mark.skipif(shutil.which("ssh") is None, reason="OpenSSH client (ssh) not installed"),
]


@pytest.fixture
def node(sshd_factory: SshdFactory) -> SshdNode:
    return sshd_factory("hn1")


@pytest.fixture
async def make(node: SshdNode, tmp_path: Path) -> AsyncIterator[MakeTransport]:
    async with openssh_maker(node, tmp_path) as factory:
        yield factory


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


async def test_concurrent_commands_over_one_master(make: MakeTransport) -> None:
    ssh = make()
    await ssh.run(["true"])
    results = await asyncio.gather(*(ssh.run(["sh", "-c", f"sleep 0.3; echo {i}"]) for i in range(12)))
    assert [r.stdout for r in results] == [f"{i}\n".encode() for i in range(12)]


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
