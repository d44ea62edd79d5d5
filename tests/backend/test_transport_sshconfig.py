"""~/.ssh/config support: HostName, User, Port, IdentityFile, ConnectTimeout and ProxyJump, over real sshd."""

from __future__ import annotations

from pathlib import Path

import paramiko
import pytest

from tests.sshd import SshdFactory
from vztui.backend.hostkeys import KnownHosts
from vztui.backend.nodespec import NodeSpec
from vztui.backend.sshconfig import JumpHost, parse_proxy_jump, resolve, resolve_spec
from vztui.backend.transports.paramiko_ssh import ParamikoTransport


def _config(text: str) -> paramiko.SSHConfig:
    return paramiko.SSHConfig.from_text(text)


def test_alias_resolves_every_honoured_key() -> None:
    config = _config(
        "Host hn1\n  HostName 10.1.2.3\n  User admin\n  Port 2200\n  IdentityFile ~/.ssh/vz_key\n"
        "  ConnectTimeout 4\n  ProxyJump ops@bastion:2222\n"
    )
    target = resolve("hn1", config=config)
    assert (target.hostname, target.user, target.port, target.connect_timeout) == ("10.1.2.3", "admin", 2200, 4.0)
    assert target.identity_files == (str(Path.home() / ".ssh" / "vz_key"),)
    assert target.explicit_identity
    assert target.proxy_jump == (JumpHost("bastion", 2222, "ops"),)


def test_node_spec_fields_win_over_the_file_but_hostname_still_resolves() -> None:
    config = _config("Host hn1\n  HostName 10.1.2.3\n  User admin\n  Port 2200\n")
    target = resolve_spec(NodeSpec("hn1", port=22, user="root", identity_file="/k"), config)
    assert (target.hostname, target.user, target.port, target.identity_files) == ("10.1.2.3", "root", 22, ("/k",))


def test_without_config_default_keys_are_tried() -> None:
    target = resolve("plain.example", user="root", config=_config(""))
    assert target.hostname == "plain.example" and target.port == 22
    assert [Path(p).name for p in target.identity_files] == ["id_ed25519", "id_ecdsa", "id_rsa"]
    assert not target.explicit_identity and target.proxy_jump == ()


@pytest.mark.parametrize(
    ("value", "hops"),
    [
        ("none", ()),
        ("bastion", (JumpHost("bastion"),)),
        ("u@b1:22,b2", (JumpHost("b1", 22, "u"), JumpHost("b2"))),
        ("ssh://u@[::1]:2022", (JumpHost("::1", 2022, "u"),)),
    ],
)
def test_proxy_jump_forms(value: str, hops: tuple[JumpHost, ...]) -> None:
    assert parse_proxy_jump(value) == hops


@pytest.mark.sshd
async def test_alias_from_ssh_config_reaches_the_node(sshd_factory: SshdFactory, tmp_path: Path) -> None:
    node = sshd_factory("hn1")
    config = _config(
        f"Host hn-alias\n  HostName 127.0.0.1\n  Port {node.port}\n  User {node.user}\n"
        f"  IdentityFile {node.user_key.private}\n"
    )
    known = KnownHosts(node.known_hosts, tmp_path / "vztui")
    ssh = ParamikoTransport(NodeSpec("hn-alias"), known_hosts=known, ssh_config=config, use_agent=False)
    try:
        assert (await ssh.run(["echo", "via alias"])).stdout == b"via alias\n"
    finally:
        await ssh.close()


@pytest.mark.sshd
async def test_proxy_jump_goes_through_the_bastion(sshd_factory: SshdFactory, tmp_path: Path) -> None:
    bastion = sshd_factory("bastion")
    target = sshd_factory("hn1")
    known_file = tmp_path / "known_hosts"
    known_file.write_text(bastion.known_hosts.read_text() + target.known_hosts.read_text())
    config = _config(
        f"Host hn1\n  HostName 127.0.0.1\n  Port {target.port}\n  ProxyJump {bastion.user}@127.0.0.1:{bastion.port}\n"
        f"Host *\n  IdentityFile {target.user_key.private}\n  User {target.user}\n"
    )
    ssh = ParamikoTransport(
        NodeSpec("hn1"), known_hosts=KnownHosts(known_file, tmp_path / "vztui"), ssh_config=config, use_agent=False
    )
    try:
        assert (await ssh.run(["echo", "jumped"])).stdout == b"jumped\n"
        assert len(ssh._jumps) == 1
    finally:
        await ssh.close()
    assert "Accepted publickey" in bastion.log
    assert "Accepted publickey" in target.log


@pytest.mark.sshd
async def test_proxy_command_carries_the_connection(sshd_factory: SshdFactory, tmp_path: Path) -> None:
    import shutil

    if shutil.which("ssh") is None:
        pytest.skip("OpenSSH client not installed")
    bastion = sshd_factory("bastion")
    target = sshd_factory("hn1")
    known_file = tmp_path / "known_hosts"
    known_file.write_text(bastion.known_hosts.read_text() + target.known_hosts.read_text())
    hop = (
        f"ssh -F /dev/null -o BatchMode=yes -o UserKnownHostsFile={known_file} -i {bastion.user_key.private} "
        f"-p {bastion.port} -l {bastion.user} -W %h:%p 127.0.0.1"
    )
    config = _config(
        f"Host hn1\n  HostName 127.0.0.1\n  Port {target.port}\n  User {target.user}\n"
        f"  IdentityFile {target.user_key.private}\n  ProxyCommand {hop}\n"
    )
    assert resolve("hn1", config=config).proxy_command.endswith(f"-W 127.0.0.1:{target.port} 127.0.0.1")
    ssh = ParamikoTransport(
        NodeSpec("hn1"), known_hosts=KnownHosts(known_file, tmp_path / "vztui"), ssh_config=config, use_agent=False
    )
    try:
        assert (await ssh.run(["echo", "proxied"])).stdout == b"proxied\n"
    finally:
        await ssh.close()
    assert "Accepted publickey" in bastion.log
