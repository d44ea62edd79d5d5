"""A CentOS 6-style node: sshd offering only ssh-rsa host keys/signatures and diffie-hellman-group14-sha1.

Paramiko 5 dropped both, so it must fail with advice to use the OpenSSH transport; the OpenSSH transport with the
legacy options reaches the node.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import paramiko
import pytest

from tests.sshd import SshdFactory, SshdNode
from vztui.backend.hostkeys import KnownHosts, fetch_host_key
from vztui.backend.nodespec import TransportKind
from vztui.backend.transport import TransportError
from vztui.backend.transports.openssh import LEGACY_OPTIONS, OpenSshTransport
from vztui.backend.transports.paramiko_ssh import ParamikoTransport

pytestmark = pytest.mark.sshd


@pytest.fixture
def legacy(sshd_factory: SshdFactory) -> SshdNode:
    return sshd_factory("centos6", legacy=True)


def test_the_fixture_really_is_legacy_only(legacy: SshdNode) -> None:
    config = (legacy.directory / "sshd_config").read_text()
    assert "HostKeyAlgorithms ssh-rsa\n" in config
    assert "KexAlgorithms diffie-hellman-group14-sha1\n" in config
    assert legacy.host_key.key_type == "ssh-rsa"


async def test_paramiko_fails_clearly_and_points_to_openssh(legacy: SshdNode, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    ssh = ParamikoTransport(
        legacy.spec(),
        known_hosts=KnownHosts(legacy.known_hosts, tmp_path / "vztui"),
        ssh_config=paramiko.SSHConfig(),
        use_agent=False,
    )
    try:
        with pytest.raises(TransportError) as info:
            await ssh.run(["touch", str(marker)])
    finally:
        await ssh.close()
    assert 'transport = "openssh"' in info.value.message
    assert "ssh-rsa" in info.value.message
    assert not marker.exists()


@pytest.mark.skipif(shutil.which("ssh") is None, reason="OpenSSH client (ssh) not installed")
async def test_openssh_with_legacy_options_reaches_the_node(legacy: SshdNode, tmp_path: Path) -> None:
    control = Path(tempfile.mkdtemp(prefix="vzc", dir="/tmp"))
    known = KnownHosts(legacy.known_hosts, tmp_path / "vztui")

    def transport(options: tuple[str, ...]) -> OpenSshTransport:
        spec = legacy.spec(transport=TransportKind.OPENSSH, ssh_options=options)
        return OpenSshTransport(spec, known_hosts=known, control_dir=control, ssh_config_file="/dev/null")

    modern_only = transport(())
    reaching = transport(LEGACY_OPTIONS)
    try:
        with pytest.raises(TransportError, match="no matching"):
            await modern_only.run(["true"])
        result = await reaching.run(["sh", "-c", 'echo "legacy $1"', "sh", "node"])
        assert result.stdout == b"legacy node\n"
        assert [e async for e in reaching.stream(["echo", "streamed"])][-1].exit_code == 0  # type: ignore[union-attr]
    finally:
        await modern_only.close()
        await reaching.close()
        shutil.rmtree(control, ignore_errors=True)


def test_fetch_host_key_falls_back_to_keyscan_for_legacy_nodes(legacy: SshdNode) -> None:
    if shutil.which("ssh-keyscan") is None:
        pytest.skip("ssh-keyscan not installed")
    key = fetch_host_key("127.0.0.1", legacy.port, timeout=5)
    assert (key.key_type, key.base64) == ("ssh-rsa", legacy.host_key.base64)
