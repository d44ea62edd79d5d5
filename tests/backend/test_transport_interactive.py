"""run_interactive in a real terminal: keys reach the remote pty, the exit code comes back, the tty is restored."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.sshd import SshdFactory, SshdNode

pytestmark = pytest.mark.sshd

CHILD = """
import json, sys, termios
import paramiko
from vztui.backend.hostkeys import KnownHosts
from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.backend.transports.openssh import OpenSshTransport
from vztui.backend.transports.paramiko_ssh import ParamikoTransport

a = json.loads(sys.argv[1])
spec = NodeSpec(a["name"], host="127.0.0.1", port=a["port"], user=a["user"], identity_file=a["key"],
                transport=TransportKind(a["kind"]))
known = KnownHosts(a["known"], a["own"])
if a["kind"] == "openssh":
    t = OpenSshTransport(spec, known_hosts=known, control_dir=a["control"], ssh_config_file="/dev/null")
else:
    t = ParamikoTransport(spec, known_hosts=known, ssh_config=paramiko.SSHConfig(), use_agent=False)
before = termios.tcgetattr(0)
code = t.run_interactive(["sh", "-c", "test -t 0 && echo ready; read line; echo got:$line; exit 4"])
after = termios.tcgetattr(0)
print(f"code={code} restored={before == after}", flush=True)
"""


def _drive(node: SshdNode, kind: str, tmp_path: Path, control: str) -> str:
    args = {
        "name": node.name,
        "port": node.port,
        "user": node.user,
        "key": str(node.user_key.private),
        "known": str(node.known_hosts),
        "own": str(tmp_path / "own"),
        "kind": kind,
        "control": control,
    }
    master, slave = os.openpty()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "TERM": "xterm"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(args)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    output = b""
    sent = False
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
            if not sent and b"ready" in output:
                os.write(master, b"hello\r")
                sent = True
            if child.poll() is not None and not ready:
                break
    finally:
        child.kill()
        child.wait()
        os.close(master)
    return output.decode(errors="replace")


@pytest.mark.parametrize("kind", ["paramiko", "openssh"])
def test_interactive_session_round_trip_and_terminal_restored(
    sshd_factory: SshdFactory, tmp_path: Path, kind: str
) -> None:
    if kind == "openssh" and shutil.which("ssh") is None:
        pytest.skip("OpenSSH client not installed")
    node = sshd_factory("hn1")
    control = tempfile.mkdtemp(prefix="vzc", dir="/tmp")
    try:
        output = _drive(node, kind, tmp_path, control)
    finally:
        shutil.rmtree(control, ignore_errors=True)
    assert "got:hello" in output, output
    assert "code=4 restored=True" in output, output
