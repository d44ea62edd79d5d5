"""Host key policy: unknown and changed keys are refused before any command is sent; trust records exactly one key."""

from __future__ import annotations

import subprocess
from pathlib import Path

import paramiko
import pytest

from tests.sshd import SshdFactory, SshdNode, generate_key
from vztui.backend.hostkeys import HostKey, KnownHosts, Verdict, fetch_host_key, fingerprint, host_pattern
from vztui.backend.transport import HostKeyError
from vztui.backend.transports.paramiko_ssh import ParamikoTransport

ED_KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
OTHER_ED_KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIBV5cIZ2cIM/2ipr4yJkMn1IWBJB51ZxKRG5JqJpLkTX"


def _ssh_keygen_fingerprint(pub: Path) -> str:
    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(pub)], check=True, capture_output=True, text=True
    )
    return out.stdout.split()[1]


def test_fingerprint_is_printed_like_openssh(tmp_path: Path) -> None:
    pair = generate_key(tmp_path, "k", "ed25519")
    assert fingerprint(pair.base64) == _ssh_keygen_fingerprint(tmp_path / "k.pub")
    assert fingerprint(pair.base64).startswith("SHA256:") and not fingerprint(pair.base64).endswith("=")


def test_host_pattern_uses_brackets_only_off_port_22() -> None:
    assert host_pattern("hn1.example", 22) == "hn1.example"
    assert host_pattern("hn1.example", None) == "hn1.example"
    assert host_pattern("10.0.0.1", 2222) == "[10.0.0.1]:2222"


def test_verdicts_known_unknown_changed_revoked(tmp_path: Path) -> None:
    user = tmp_path / "known_hosts"
    user.write_text(
        f"# comment\nhn1,10.0.0.1 ssh-ed25519 {ED_KEY}\n[hn2]:2222 ssh-ed25519 {ED_KEY}\n"
        f"*.dc1.example,!bad.dc1.example ssh-ed25519 {ED_KEY}\n@revoked * ssh-ed25519 {OTHER_ED_KEY}\n"
        "garbage line\n"
    )
    known = KnownHosts(user, tmp_path / "vztui")
    assert known.check("hn1", 22, "ssh-ed25519", ED_KEY) is Verdict.KNOWN
    assert known.check("10.0.0.1", 22, "ssh-ed25519", ED_KEY) is Verdict.KNOWN
    assert known.check("hn2", 2222, "ssh-ed25519", ED_KEY) is Verdict.KNOWN
    assert known.check("hn2", 22, "ssh-ed25519", ED_KEY) is Verdict.UNKNOWN, "port is part of the name"
    assert known.check("a.dc1.example", 22, "ssh-ed25519", ED_KEY) is Verdict.KNOWN
    assert known.check("bad.dc1.example", 22, "ssh-ed25519", ED_KEY) is Verdict.UNKNOWN
    assert known.check("hn1", 22, "ecdsa-sha2-nistp256", ED_KEY) is Verdict.UNKNOWN
    assert known.check("hn9", 22, "ssh-ed25519", ED_KEY) is Verdict.UNKNOWN
    assert known.check("hn1", 22, "ssh-ed25519", OTHER_ED_KEY) is Verdict.REVOKED
    user.write_text(f"hn1 ssh-ed25519 {ED_KEY}\n")
    assert known.check("hn1", 22, "ssh-ed25519", OTHER_ED_KEY) is Verdict.CHANGED, "file re-read after a change"


def test_hashed_entries_are_matched(tmp_path: Path) -> None:
    user = tmp_path / "known_hosts"
    user.write_text(f"[hn3.example]:2200 ssh-ed25519 {ED_KEY}\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(user)], check=True, capture_output=True)
    assert user.read_text().startswith("|1|")
    known = KnownHosts(user, tmp_path / "vztui")
    assert known.check("hn3.example", 2200, "ssh-ed25519", ED_KEY) is Verdict.KNOWN
    assert known.check("hn3.example", 2200, "ssh-ed25519", OTHER_ED_KEY) is Verdict.CHANGED
    assert known.check("hn4.example", 2200, "ssh-ed25519", ED_KEY) is Verdict.UNKNOWN


def test_trust_records_exactly_that_key_and_replaces_an_old_one(tmp_path: Path) -> None:
    own = tmp_path / "data" / "known_hosts"
    known = KnownHosts(tmp_path / "absent", own)
    known.trust("hn1", 2222, "ssh-ed25519", OTHER_ED_KEY)
    known.trust("hn5", 22, HostKey("ssh-ed25519", ED_KEY, fingerprint(ED_KEY)))
    known.trust("hn1", 2222, HostKey("ssh-ed25519", ED_KEY, fingerprint(ED_KEY)))
    assert own.read_text().splitlines() == [f"hn5 ssh-ed25519 {ED_KEY}", f"[hn1]:2222 ssh-ed25519 {ED_KEY}"]
    assert own.stat().st_mode & 0o777 == 0o600
    with pytest.raises(ValueError):
        known.trust("hn1", 22, "ssh-ed25519", "not base64!")
    for host, key_type in [("hn1\n* ssh-ed25519", "ssh-ed25519"), ("a,*", "ssh-ed25519"), ("hn1", "x y\n*")]:
        with pytest.raises(ValueError):
            known.trust(host, 22, key_type, ED_KEY)
    assert len(own.read_text().splitlines()) == 2, "nothing injected"


@pytest.fixture
def node(sshd_factory: SshdFactory) -> SshdNode:
    return sshd_factory("hn1")


def _transport(node: SshdNode, known: KnownHosts) -> ParamikoTransport:
    return ParamikoTransport(node.spec(), known_hosts=known, ssh_config=paramiko.SSHConfig(), use_agent=False)


@pytest.mark.sshd
async def test_unknown_host_key_is_refused_with_fingerprint_and_nothing_sent(node: SshdNode, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    ssh = _transport(node, KnownHosts(tmp_path / "empty", tmp_path / "vztui"))
    try:
        with pytest.raises(HostKeyError) as info:
            await ssh.run(["touch", str(marker)])
    finally:
        await ssh.close()
    error = info.value
    assert not error.changed
    assert error.fingerprint == _ssh_keygen_fingerprint(node.host_key.private.with_suffix(".pub"))
    assert error.fingerprint in str(error)
    assert (error.key_type, error.key_base64) == (node.host_key.key_type, node.host_key.base64)
    assert error.hostname == f"[127.0.0.1]:{node.port}"
    assert not marker.exists()
    assert "Accepted publickey" not in node.log, "no authentication was even attempted"


@pytest.mark.sshd
async def test_changed_host_key_is_a_loud_hard_error(node: SshdNode, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    known_file = tmp_path / "known_hosts"
    known_file.write_text(f"[127.0.0.1]:{node.port} ssh-ed25519 {ED_KEY}\n")
    ssh = _transport(node, KnownHosts(known_file, tmp_path / "vztui"))
    try:
        with pytest.raises(HostKeyError, match="CHANGED") as info:
            await ssh.run(["touch", str(marker)])
        assert info.value.changed
        with pytest.raises(HostKeyError):
            await ssh.run(["touch", str(marker)])
    finally:
        await ssh.close()
    assert not marker.exists()


@pytest.mark.sshd
async def test_trusting_the_fetched_key_lets_the_node_in(node: SshdNode, tmp_path: Path) -> None:
    known = KnownHosts(tmp_path / "empty", tmp_path / "vztui")
    fetched = fetch_host_key("127.0.0.1", node.port, timeout=5)
    assert fetched == HostKey(node.host_key.key_type, node.host_key.base64, fingerprint(node.host_key.base64))
    ssh = _transport(node, known)
    try:
        with pytest.raises(HostKeyError):
            await ssh.run(["true"])
        with pytest.raises(HostKeyError):
            await ssh.run(["true"])  # within the backoff: refused again without a new handshake
        known.trust("127.0.0.1", node.port, fetched)
        assert (await ssh.run(["echo", "in"])).stdout == b"in\n"
    finally:
        await ssh.close()
    assert (tmp_path / "vztui").read_text() == f"[127.0.0.1]:{node.port} {node.host_key.public_line}\n"


@pytest.mark.sshd
async def test_hashed_user_known_hosts_entry_is_honoured_over_ssh(node: SshdNode, tmp_path: Path) -> None:
    user = tmp_path / "known_hosts"
    user.write_text(node.known_hosts.read_text())
    subprocess.run(["ssh-keygen", "-H", "-f", str(user)], check=True, capture_output=True)
    ssh = _transport(node, KnownHosts(user, tmp_path / "vztui"))
    try:
        assert (await ssh.run(["true"])).ok
    finally:
        await ssh.close()


@pytest.mark.sshd
async def test_a_known_rsa_key_is_used_even_when_the_server_prefers_ed25519(
    sshd_factory: SshdFactory, tmp_path: Path
) -> None:
    node = sshd_factory("hn1", rsa_host_key_too=True)
    rsa = node.extra_host_keys[0]
    known_file = tmp_path / "known_hosts"
    known_file.write_text(f"[127.0.0.1]:{node.port} {rsa.public_line}\n")
    ssh = _transport(node, KnownHosts(known_file, tmp_path / "vztui"))
    try:
        assert (await ssh.run(["echo", "rsa"])).stdout == b"rsa\n"
    finally:
        await ssh.close()
