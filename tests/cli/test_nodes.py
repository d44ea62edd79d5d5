"""``vztui nodes add|remove|test|trust`` through ``main(argv)``, the SSH cases against a real loopback sshd."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.cli.conftest import write
from tests.sshd import SshdFactory, SshdNode, free_port
from vztui.backend.hostkeys import KnownHosts, fingerprint
from vztui.cli import main

COMMENTED = """\
# Production fleet: ask #ops before adding nodes.
[defaults]
user = "root"   # every node logs in as root

[nodes.hn1]
host = "10.0.0.1"  # rack 4, PDU B

# Capacity presets.
[presets.small]
ram = "256M"
"""


def test_nodes_add_keeps_comments_and_layout_and_round_trips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path / "config.toml", COMMENTED)
    argv = ["nodes", "add", "hn2", "10.0.0.2", "--port", "2222", "--sudo", "--config", str(config)]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith(f"added [nodes.hn2] to {config}")
    text = config.read_text()
    assert text == COMMENTED.replace(
        "# Capacity presets.",
        '[nodes.hn2]\nhost = "10.0.0.2"\nport = 2222\nsudo = true\n\n# Capacity presets.',
    )
    assert main(["nodes", "list", "--json", "--config", str(config)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(n["name"], n["host"], n["port"], n["sudo"], n["user"]) for n in listed] == [
        ("hn1", "10.0.0.1", None, False, "root"),
        ("hn2", "10.0.0.2", 2222, True, "root"),
    ]
    assert main(["nodes", "remove", "hn2", "--config", str(config)]) == 0
    assert config.read_text() == COMMENTED


def test_nodes_add_refuses_duplicates_and_bad_values_without_touching_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path / "config.toml", COMMENTED)
    assert main(["nodes", "add", "hn1", "10.9.9.9", "--config", str(config)]) == 2
    assert "node 'hn1' already exists (use --replace to overwrite it)" in capsys.readouterr().err
    assert main(["nodes", "add", "--config", str(config), "hn3", "--", "-oProxyCommand=x"]) == 2
    err = capsys.readouterr().err
    assert 'nodes.hn3.host: "-oProxyCommand=x" is not a host name or address (must not start with "-")' in err
    assert config.read_text() == COMMENTED
    assert main(["nodes", "add", "hn1", "10.9.9.9", "--replace", "--config", str(config)]) == 0
    assert '[nodes.hn1]\nhost = "10.9.9.9"' in config.read_text()
    assert "rack 4" not in config.read_text()
    assert "# Production fleet" in config.read_text()


def test_nodes_add_creates_the_user_file_with_a_header(tmp_path: Path) -> None:
    assert main(["nodes", "add", "hn1"]) == 0
    created = tmp_path / "xdg-config" / "vztui" / "config.toml"
    assert created.read_text().startswith("# vztui configuration")
    assert '[nodes.hn1]\nhost = "hn1"\n' in created.read_text()
    assert created.stat().st_mode & 0o777 == 0o600


def _fake_node_root(root: Path) -> Path:
    """The least a node needs for every check to pass: vzctl, vzlist and the /proc files vztui reads."""
    (root / "bin").mkdir(parents=True)
    for tool, output in (("vzctl", "vzctl version 4.11.1"), ("vzlist", "        101")):
        script = root / "bin" / tool
        script.write_text(f"#!/bin/sh\necho '{output}'\n")
        script.chmod(0o755)
    for name in ("user_beancounters", "vz/vestat", "vz/veinfo", "meminfo"):
        write(root / "proc" / name, "Version: 2.5\n")
    return root


def _node_config(tmp_path: Path, node: SshdNode, root: Path, name: str = "hn1") -> Path:
    return write(
        tmp_path / "config.toml",
        f"""\
[nodes.{name}]
host = "{node.host}"
port = {node.port}
user = "{node.user}"
identity_file = "{node.user_key.private}"
root_prefix = "{root}"
connect_timeout = 5
""",
    )


@pytest.mark.sshd
def test_nodes_test_good_node_passes_every_check(
    sshd_factory: SshdFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _fake_node_root(tmp_path / "hn1")
    node = sshd_factory("hn1", bin_dir=root / "bin")
    KnownHosts().trust(node.host, node.port, "ssh-ed25519", node.host_key.public_line.split()[1])
    config = _node_config(tmp_path, node, root)
    assert main(["nodes", "test", "--json", "--config", str(config)]) == 0
    checks = json.loads(capsys.readouterr().out)
    assert [(c["node"], c["name"], c["result"]) for c in checks] == [
        ("hn1", "reachability", "ok"),
        ("hn1", "host key", "ok"),
        ("hn1", "authentication", "ok"),
        ("hn1", "sudo", "skip"),
        ("hn1", "vzctl", "ok"),
        ("hn1", "vzlist", "ok"),
        ("hn1", "/proc", "ok"),
    ]
    assert checks[4]["detail"] == "vzctl version 4.11.1"
    assert checks[6]["detail"] == f"4 files readable under {root}"
    assert main(["nodes", "test", "hn1", "--config", str(config)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["NODE", "CHECK", "RESULT", "DETAIL"]
    assert len(table) == 8
    assert table[2].startswith("hn1   host key        ok      ssh-ed25519 SHA256:")


@pytest.mark.sshd
def test_nodes_test_wrong_host_key_stops_before_authenticating(
    sshd_factory: SshdFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _fake_node_root(tmp_path / "hn1")
    node = sshd_factory("hn1", bin_dir=root / "bin")
    impostor = sshd_factory.key("impostor", "ed25519")
    KnownHosts().trust(node.host, node.port, "ssh-ed25519", impostor.public_line.split()[1])
    config = _node_config(tmp_path, node, root)
    assert main(["nodes", "test", "--json", "--config", str(config)]) == 3
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert checks["reachability"]["result"] == "ok"
    assert checks["host key"]["result"] == "FAIL"
    assert "is CHANGED" in checks["host key"]["detail"]
    assert {checks[n]["result"] for n in ("authentication", "sudo", "vzctl", "vzlist", "/proc")} == {"skip"}
    assert "Accepted publickey" not in node.log


def test_nodes_test_dead_port_is_unreachable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    config = write(tmp_path / "config.toml", f'[nodes.dead]\nhost = "127.0.0.1"\nport = {port}\nconnect_timeout = 2\n')
    assert main(["nodes", "test", "--config", str(config)]) == 3
    out = capsys.readouterr().out
    assert f"dead  reachability    FAIL    127.0.0.1:{port}: Connection refused" in out
    assert out.count("skip") == 6


@pytest.mark.sshd
def test_nodes_trust_needs_yes_or_a_matching_fingerprint(
    sshd_factory: SshdFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _fake_node_root(tmp_path / "hn1")
    node = sshd_factory("hn1", bin_dir=root / "bin")
    config = str(_node_config(tmp_path, node, root))
    expected = fingerprint(node.host_key.public_line.split()[1])
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))  # not a TTY: typing yes into a pipe is not enough
    assert main(["nodes", "trust", "hn1", "--config", config]) == 2
    captured = capsys.readouterr()
    assert "refusing to trust a host key nobody looked at" in captured.err
    shown = captured.out.splitlines()[1].strip()
    assert shown.startswith("SHA256:")
    assert shown == expected
    assert main(["nodes", "trust", "hn1", "--fingerprint", "SHA256:wrong", "--config", config]) == 1
    assert "key NOT trusted" in capsys.readouterr().err
    assert not KnownHosts().vztui_file.exists()

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Tty("no\n"))
    assert main(["nodes", "trust", "hn1", "--config", config]) == 1
    assert not KnownHosts().vztui_file.exists()
    monkeypatch.setattr("sys.stdin", Tty("yes\n"))
    assert main(["nodes", "trust", "hn1", "--config", config]) == 0
    assert "Trusted: recorded in" in capsys.readouterr().out
    assert main(["nodes", "trust", "hn1", "--fingerprint", shown, "--config", config]) == 0
    assert "already trusted" in capsys.readouterr().out
    assert main(["nodes", "test", "hn1", "--config", config]) == 0
