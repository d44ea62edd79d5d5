"""Host keys end to end: a Cluster never talks to a node whose key it does not know (the refusal names the SHA256
fingerprint, and neither sshd nor the simulated node saw a command), a changed key is a loud hard error, and
``vztui nodes trust`` records exactly the key it showed, only after a typed yes on a terminal."""

from __future__ import annotations

import asyncio
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability.conftest import node_state, vzlist_truth
from tests.sshd import SSH_KEYGEN, SshdFactory, SshdNode
from vztui.backend.cluster import Cluster
from vztui.backend.hostkeys import KnownHosts, default_vztui_known_hosts
from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.backend.operation import OpRequest, OpState
from vztui.backend.snapshot import NodeHealth
from vztui.backend.transport import HostKeyError
from vztui.backend.transports import create_transport

pytestmark = pytest.mark.sshd

OTHER_ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
"""A well-formed ed25519 key that is not the test sshd's: what a re-installed (or impersonated) node presents."""


def keygen_fingerprint(public_key: Path) -> str:
    """What ``ssh-keygen -lf`` prints for the key, the admin's independent check."""
    assert SSH_KEYGEN is not None
    out = subprocess.run([SSH_KEYGEN, "-lf", str(public_key)], capture_output=True, text=True, check=True).stdout
    return out.split()[1]


def _untouched(node: SshdNode) -> None:
    log = node.log
    assert "Accepted publickey" not in log, "vztui authenticated to a node whose host key it does not trust"
    assert "Starting session" not in log


async def _cluster_meets(spec: NodeSpec, tmp_path: Path) -> tuple[NodeHealth, str, OpState, str]:
    """Poll the node once and try one mutation; what the snapshot and the operation say."""
    cluster = Cluster([spec], journal_dir=str(tmp_path / "journal"))
    cluster.set_paused(True)
    await cluster.start()
    try:
        await cluster.refresh()
        snapshot = cluster.snapshots()[spec.name]
        op = await cluster.submit(OpRequest(node=spec.name, argv=("vzctl", "stop", "101"), kind="stop", ctids=(101,)))
        async with asyncio.timeout(20):
            while not op.state.finished:
                await asyncio.sleep(0.02)
        return snapshot.health, snapshot.error, op.state, op.reason
    finally:
        await cluster.stop()


@pytest.mark.parametrize("transport", [TransportKind.PARAMIKO, TransportKind.OPENSSH])
async def test_unknown_host_key_is_refused_with_its_fingerprint_and_no_command_reaches_the_node(
    sshd_factory: SshdFactory, sim: dict[str, Path], tmp_path: Path, home: Path, transport: TransportKind
) -> None:
    root = sim["hn1"]
    node = sshd_factory("hn1", root=root)
    before = node_state(root)
    expected = keygen_fingerprint(node.host_key.private.with_suffix(".pub"))
    health, error, state, reason = await _cluster_meets(node.spec(transport=transport), tmp_path)
    assert health is not NodeHealth.UP
    assert expected in error, error
    assert state is OpState.FAILED, "nothing was sent, so the outcome is known: not interrupted"
    assert expected in reason and "outcome unknown" not in reason, reason
    assert vzlist_truth(root)[101] == "running"
    assert node_state(root) == before
    _untouched(node)
    assert not default_vztui_known_hosts().exists(), "nothing was trusted behind the admin's back"


@pytest.mark.parametrize("transport", [TransportKind.PARAMIKO, TransportKind.OPENSSH])
async def test_changed_host_key_is_refused_loudly(
    sshd_factory: SshdFactory, sim: dict[str, Path], tmp_path: Path, home: Path, transport: TransportKind
) -> None:
    root = sim["hn1"]
    node = sshd_factory("hn1", root=root)
    recorded = f"[127.0.0.1]:{node.port} ssh-ed25519 {OTHER_ED25519}\n"
    (home / ".ssh" / "known_hosts").write_text(recorded)
    before = node_state(root)
    health, error, state, reason = await _cluster_meets(node.spec(transport=transport), tmp_path)
    assert health is not NodeHealth.UP
    assert "CHANGED" in error.upper() or "changed" in error, error
    assert keygen_fingerprint(node.host_key.private.with_suffix(".pub")) in error
    assert state is OpState.FAILED and "changed" in reason.lower(), reason
    assert node_state(root) == before
    _untouched(node)
    assert (home / ".ssh" / "known_hosts").read_text() == recorded, "the user's known_hosts is never rewritten"


async def test_host_key_error_carries_what_a_trust_step_needs(
    sshd_factory: SshdFactory, tmp_path: Path, home: Path
) -> None:
    node = sshd_factory("hn1")
    transport = create_transport(node.spec(), known_hosts=KnownHosts(tmp_path / "none", tmp_path / "vztui"))
    try:
        with pytest.raises(HostKeyError) as info:
            await transport.run(["true"])
    finally:
        await transport.close()
    assert (info.value.key_type, info.value.key_base64) == (node.host_key.key_type, node.host_key.base64)
    assert not info.value.changed


def _trust_on_a_terminal(config: Path, answer: str, env: dict[str, str]) -> tuple[int, str]:
    """Run ``vztui nodes trust hn1`` with a pty as its terminal; answer the prompt with ``answer``."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "vztui.cli", "nodes", "trust", "hn1", "--config", str(config)],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        close_fds=True,
    )
    os.close(terminal)
    seen = b""
    answered = False
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            if not answered and b"Type yes" in seen:
                os.write(controller, answer.encode() + b"\n")
                answered = True
            if process.poll() is not None and not ready:
                break
        code = process.wait(timeout=10)
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
    return code, seen.decode(errors="replace")


def _trust_config(tmp_path: Path, node: SshdNode) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[nodes.hn1]\nhost = "127.0.0.1"\nport = {node.port}\nuser = "{node.user}"\n'
        f'identity_file = "{node.user_key.private}"\n',
        encoding="utf-8",
    )
    return config


def test_nodes_trust_records_exactly_the_key_it_showed_after_yes(
    sshd_factory: SshdFactory, tmp_path: Path, home: Path
) -> None:
    node = sshd_factory("hn1")
    env = {**os.environ, "HOME": str(home)}
    code, screen = _trust_on_a_terminal(_trust_config(tmp_path, node), "yes", env)
    assert code == 0, screen
    shown = keygen_fingerprint(node.host_key.private.with_suffix(".pub"))
    assert shown in screen
    recorded = default_vztui_known_hosts().read_text()
    assert recorded == f"[127.0.0.1]:{node.port} {node.host_key.public_line}\n"
    assert "Accepted publickey" not in node.log, "trusting only looks at the key; it never logs in"
    assert asyncio.run(_echo(node)) == b"in\n", "the recorded key lets the node in"


async def _echo(node: SshdNode) -> bytes:
    transport = create_transport(node.spec())
    try:
        return (await transport.run(["echo", "in"])).stdout
    finally:
        await transport.close()


def test_nodes_trust_records_nothing_without_yes(sshd_factory: SshdFactory, tmp_path: Path, home: Path) -> None:
    node = sshd_factory("hn1")
    env = {**os.environ, "HOME": str(home)}
    code, screen = _trust_on_a_terminal(_trust_config(tmp_path, node), "y", env)
    assert code == 1, screen
    assert "Not trusted" in screen
    assert not default_vztui_known_hosts().exists()


def test_nodes_trust_warns_about_a_changed_key_before_asking(
    sshd_factory: SshdFactory, tmp_path: Path, home: Path
) -> None:
    node = sshd_factory("hn1")
    (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{node.port} ssh-ed25519 {OTHER_ED25519}\n")
    env = {**os.environ, "HOME": str(home)}
    code, screen = _trust_on_a_terminal(_trust_config(tmp_path, node), "no", env)
    assert code == 1
    assert "WARNING" in screen and "intercepting" in screen
    assert screen.index("WARNING") < screen.index("Type yes")
    assert not default_vztui_known_hosts().exists()


def test_vztui_run_on_an_untrusted_node_sends_nothing_and_says_how_to_trust_it(
    sshd_factory: SshdFactory, sim: dict[str, Path], tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from vztui.cli import exitcodes, main

    root = sim["hn1"]
    node = sshd_factory("hn1", root=root)
    config = _trust_config(tmp_path, node)
    config.write_text(config.read_text() + f'root_prefix = "{root}"\n')
    before = node_state(root)
    code = main(["run", "stop", "101", "--yes", "--config", str(config)])
    err = capsys.readouterr().err
    assert code == exitcodes.UNREACHABLE, err
    assert keygen_fingerprint(node.host_key.private.with_suffix(".pub")) in err
    assert "vztui nodes trust hn1" in err
    assert node_state(root) == before
    _untouched(node)
