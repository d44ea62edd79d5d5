"""Nothing a user typed reaches a shell unquoted: hostile values go through the registry's builders, the queue and
both SSH transports to a real sshd, which records the exact string its shell was given (ForceCommand hands it over
in SSH_ORIGINAL_COMMAND); the node-side tool then records the argv it received. Canary files prove nothing ran."""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path

import pytest

from tests.reliability.conftest import trust_in_home
from tests.sshd import SshdFactory, SshdNode
from vztui.backend.cluster import Cluster
from vztui.backend.nodespec import TransportKind
from vztui.backend.operation import OpRequest, OpState
from vztui.backend.transport import TransportError
from vztui.backend.transports import OpenSshTransport, ParamikoTransport, create_transport
from vztui.openvz.actions import build_argvs
from vztui.openvz.errors import ValidationError
from vztui.openvz.validate import validate_form

pytestmark = pytest.mark.sshd

RECORDER = """#!/bin/sh
# ForceCommand: keep the exact command string, then run it as sshd would have (the user's shell with -c).
printf '%s\\0' "$SSH_ORIGINAL_COMMAND" >> {log}
exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"
"""

ARGV_RECORDER = """#!/bin/sh
# The simulated node's vzctl: records the argv it was given in a file of its own, one NUL-terminated element each.
out=$(mktemp {log}/argv.XXXXXX)
for arg in "$@"; do printf '%s\\0' "$arg"; done > "$out"
echo "vzctl ok"
"""


FAKE_SUDO = """#!/bin/sh
# sudo as vztui uses it (sudo -n -- COMMAND...): root already, so run the command exactly as given.
[ "$1" = -n ] && shift
[ "$1" = -- ] && shift
exec "$@"
"""


def hostile_values(canary: Path) -> list[str]:
    """Text that would run something (each variant creates ``canary``) if any shell evaluated it."""
    c = shlex.quote(str(canary))
    return [
        f"x; touch {c}",
        f"$(touch {c})",
        f"`touch {c}`",
        f"x' ; touch {c} ; echo '",
        f'x" ; touch {c} ; echo "',
        f"x && touch {c} || touch {c}",
        f"x | touch {c}",
        f"x > {c}",
        f"${{IFS}}touch${{IFS}}{c}",
        f"\\'; touch {c}; #",
        f"-- ; touch {c}",
        "\x1b]52;c;cm0gLXJmIH4=\x07 \x1b]0;pwned\x07 [bold]markup[/bold] *?[a]~",
    ]


@pytest.fixture
def recorded_node(sshd_factory: SshdFactory, tmp_path: Path) -> tuple[SshdNode, Path, Path]:
    """An sshd whose every exec request is recorded, serving a node whose vzctl records its argv."""
    bin_dir = tmp_path / "node-bin"
    bin_dir.mkdir()
    commands, argvs = tmp_path / "commands.log", tmp_path / "argvs"
    argvs.mkdir()
    vzctl = bin_dir / "vzctl"
    vzctl.write_text(ARGV_RECORDER.format(log=shlex.quote(str(argvs))))
    vzctl.chmod(0o755)
    sudo = bin_dir / "sudo"
    sudo.write_text(FAKE_SUDO)
    sudo.chmod(0o755)
    force = tmp_path / "force-command"
    force.write_text(RECORDER.format(log=shlex.quote(str(commands))))
    force.chmod(0o755)
    node = sshd_factory("hn1", bin_dir=bin_dir, options={"ForceCommand": str(force)})
    return node, commands, argvs


def _records(path: Path) -> list[str]:
    return path.read_bytes().decode().split("\0")[:-1] if path.exists() else []


def _argv_records(directory: Path) -> list[list[str]]:
    return [path.read_bytes().decode().split("\0")[:-1] for path in sorted(directory.glob("argv.*"))]


def _requests(canary: Path) -> list[OpRequest]:
    """Hostile values through every builder that takes free text: exec, set (description, name), snapshots."""
    requests: list[OpRequest] = []
    for index, value in enumerate(hostile_values(canary)):
        candidates: list[tuple[str, dict[str, object]]] = [
            ("exec", {"command": value}),
            ("snapshot_create", {"name": value[:128], "description": value}),
        ]
        changes, _ = validate_form({"description": value})
        if changes is not None:
            candidates.append(("set", {"changes": changes}))
        for action, params in candidates:
            try:
                argvs = build_argvs(action, 101 + index, params)
            except ValidationError:
                continue  # refusing the value outright is as safe as quoting it
            requests += [OpRequest(node="hn1", argv=tuple(a), kind=action, ctids=(101 + index,)) for a in argvs]
    return requests


@pytest.mark.parametrize(
    ("transport", "sudo"),
    [(TransportKind.PARAMIKO, False), (TransportKind.OPENSSH, False), (TransportKind.PARAMIKO, True)],
)
async def test_hostile_values_arrive_as_single_argv_elements_through_queue_and_ssh(
    recorded_node: tuple[SshdNode, Path, Path], tmp_path: Path, home: Path, transport: TransportKind, sudo: bool
) -> None:
    node, commands, argvs = recorded_node
    trust_in_home(home, node)
    canary = tmp_path / "canary"
    requests = _requests(canary)
    assert len(requests) >= 20, "most hostile values are accepted and quoted, not only refused"
    spec = node.spec(transport=transport, sudo=sudo)
    cluster = Cluster([spec], journal_dir=str(tmp_path / "journal"))
    cluster.set_paused(True)
    await cluster.start()
    try:
        ops = [await cluster.submit(request) for request in requests]
        async with asyncio.timeout(60):
            while not all(op.state.finished for op in ops):
                await asyncio.sleep(0.02)
        ssh = cluster.transport("hn1")
        assert isinstance(ssh, ParamikoTransport | OpenSshTransport)
        expected = [ssh.remote_command(r.argv) for r in requests]
    finally:
        await cluster.stop()
    assert [op.state for op in ops] == [OpState.SUCCEEDED] * len(ops), [op.reason for op in ops]
    sent = [c for c in _records(commands) if "vzctl" in c]
    assert all(c.startswith("sudo -n -- sh -c ") == sudo for c in sent)
    assert sorted(sent) == sorted(expected), "the shell received exactly remote_command(argv)"
    for command, request in zip(expected, requests, strict=True):
        assert shlex.split(command)[-len(request.argv) :] == list(request.argv)
    received = sorted(_argv_records(argvs))
    assert received == sorted(list(r.argv[1:]) for r in requests), "vzctl got every value as one element"
    assert not canary.exists(), "a hostile value was executed by a shell"


@pytest.mark.parametrize("kind", [TransportKind.PARAMIKO, TransportKind.OPENSSH])
async def test_newline_and_nul_in_a_raw_argv_never_split_the_command(
    recorded_node: tuple[SshdNode, Path, Path], tmp_path: Path, home: Path, kind: TransportKind
) -> None:
    """Builders refuse newlines in commands; a raw argv that still carries one stays one argument, and a NUL
    (which would cut the C string a shell receives) is refused before anything is sent."""
    node, commands, argvs = recorded_node
    trust_in_home(home, node)
    canary = tmp_path / "canary"
    transport = create_transport(node.spec(transport=kind))
    try:
        result = await transport.run(["vzctl", "set", "101", "--description", f"a\ntouch {canary}\n"])
        assert result.ok, result.stderr_text
        assert _argv_records(argvs) == [["set", "101", "--description", f"a\ntouch {canary}\n"]]
        with pytest.raises(ValueError, match="NUL"):
            await transport.run(["vzctl", "set", "101", "--description", f"a\0; touch {canary}"])
        assert (await transport.run(["vzctl", "status", "101"])).ok, "the connection survived the refusal"
    finally:
        await transport.close()
    assert not canary.exists()
    assert len([c for c in _records(commands) if "vzctl" in c]) == 2, "the NUL argv was never sent"


def test_the_config_refuses_a_host_or_user_that_looks_like_an_ssh_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from vztui.cli import exitcodes, main

    smuggled = f"-oProxyCommand=touch {tmp_path / 'canary'}"
    config = tmp_path / "config.toml"
    for key in ("host", "user"):
        config.write_text(f'[nodes.hn1]\ntransport = "openssh"\n{key} = "{smuggled}"\n')
        assert main(["ls", "--config", str(config)]) == exitcodes.USAGE
        assert f"nodes.hn1.{key}" in capsys.readouterr().err
    assert not (tmp_path / "canary").exists()


async def test_a_hostile_host_never_becomes_an_ssh_option(tmp_path: Path, home: Path) -> None:
    """A NodeSpec built by other code than the config loader still cannot smuggle ``-oProxyCommand``: ssh's
    options all come before ``--``, the destination after it."""
    from vztui.backend.nodespec import NodeSpec

    canary = tmp_path / "canary"
    smuggled = f"-oProxyCommand=touch {canary}"
    transport = OpenSshTransport(NodeSpec("hn1", host=smuggled, transport=TransportKind.OPENSSH, connect_timeout=2))
    argv = transport.ssh_argv(["vzctl", "status", "101"])
    assert argv[argv.index("--") + 1] == smuggled, "the host is the destination, after --"
    assert not any(arg.startswith("-oProxyCommand") for arg in argv[: argv.index("--")])
    try:
        with pytest.raises(TransportError):
            await transport.run(["vzctl", "status", "101"], timeout=5)
    finally:
        await transport.close()
    assert not canary.exists()
