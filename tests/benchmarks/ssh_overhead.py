"""Per-command overhead: vztui's persistent paramiko transport vs ``ssh host cmd`` per command (and ControlMaster).

Runs against a throwaway sshd on 127.0.0.1 (started here), so the numbers are pure per-command cost: no network.
``python tests/benchmarks/ssh_overhead.py [--quick] [--json FILE]``; ``measure()`` is what ``run.py`` calls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import paramiko

from tests.benchmarks.common import Result
from tests.sshd import SshdFactory, SshdNode
from vztui.backend.hostkeys import KnownHosts
from vztui.backend.nodespec import TransportKind
from vztui.backend.transports.openssh import OpenSshTransport
from vztui.backend.transports.paramiko_ssh import ParamikoTransport

GOAL_RATIO = 30.0


def _ssh_base(node: SshdNode) -> list[str]:
    return [
        "ssh",
        "-F",
        "/dev/null",
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        f"UserKnownHostsFile={node.known_hosts}",
        "-o",
        "ControlMaster=no",
        "-o",
        "ControlPath=none",
        "-i",
        str(node.user_key.private),
        "-p",
        str(node.port),
        "-l",
        node.user,
        node.host,
    ]


def _time_plain_ssh(node: SshdNode, count: int) -> list[float]:
    base = _ssh_base(node)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        subprocess.run([*base, "true"], check=True, stdin=subprocess.DEVNULL, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


async def _time_transport(transport: ParamikoTransport | OpenSshTransport, count: int) -> list[float]:
    await transport.run(["true"])  # connect (and for OpenSSH: start the master) outside the measurement
    times = []
    for _ in range(count):
        start = time.perf_counter()
        result = await transport.run(["true"])
        times.append(time.perf_counter() - start)
        assert result.ok, result
    await transport.close()
    return times


def measure(*, quick: bool = False) -> Result:
    """``ssh_command_overhead``: median wall time of ``true`` over the persistent transport vs ``ssh host true``."""
    persistent_count, plain_count = (100, 10) if quick else (500, 40)
    with tempfile.TemporaryDirectory(prefix="vzb") as scratch:
        root = Path(scratch)
        (root / "keys").mkdir()
        factory = SshdFactory(root / "keys", root / "nodes")
        try:
            node = factory("bench")
            known = KnownHosts(node.known_hosts, root / "vztui_known_hosts")
            paramiko_transport = ParamikoTransport(
                node.spec(), known_hosts=known, ssh_config=paramiko.SSHConfig(), use_agent=False
            )
            persistent = asyncio.run(_time_transport(paramiko_transport, persistent_count))
            nagle_transport = ParamikoTransport(
                node.spec(), known_hosts=known, ssh_config=paramiko.SSHConfig(), use_agent=False, tcp_nodelay=False
            )
            nagle = asyncio.run(_time_transport(nagle_transport, plain_count * 2))
            plain = _time_plain_ssh(node, plain_count)
            control = root / "c"
            openssh = OpenSshTransport(
                node.spec(transport=TransportKind.OPENSSH),
                known_hosts=known,
                control_dir=control,
                ssh_config_file="/dev/null",
            )
            multiplexed = asyncio.run(_time_transport(openssh, plain_count * 2))
        finally:
            factory.stop_all()
    vztui_ms = statistics.median(persistent) * 1000
    plain_ms = statistics.median(plain) * 1000
    mux_ms = statistics.median(multiplexed) * 1000
    ratio = plain_ms / vztui_ms
    return Result(
        "ssh_command_overhead",
        round(vztui_ms, 3),
        "ms/command",
        f"ratio >= {GOAL_RATIO:g}",
        GOAL_RATIO,
        ratio >= GOAL_RATIO,
        baseline=round(plain_ms, 3),
        ratio=round(ratio, 1),
        note=f"median of {len(persistent)} vs {len(plain)} runs of `true`; ControlMaster {mux_ms:.2f} ms",
        detail={
            "paramiko_persistent_ms": round(vztui_ms, 3),
            "paramiko_p95_ms": round(sorted(persistent)[int(len(persistent) * 0.95)] * 1000, 3),
            "ssh_per_command_ms": round(plain_ms, 3),
            "openssh_controlmaster_ms": round(mux_ms, 3),
            "paramiko_without_tcp_nodelay_ms": round(statistics.median(nagle) * 1000, 3),
            "samples": {
                "persistent": len(persistent),
                "ssh": len(plain),
                "controlmaster": len(multiplexed),
                "without_tcp_nodelay": len(nagle),
            },
            "quick": quick,
        },
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples (about 5 s)")
    parser.add_argument("--json", type=Path, help="also write the result as JSON")
    args = parser.parse_args(argv)
    if shutil.which("ssh") is None:
        print("ssh (OpenSSH client) is not installed", file=sys.stderr)
        return 2
    row = measure(quick=args.quick)
    detail = row.detail
    print(f"ssh_command_overhead{' (quick)' if args.quick else ''}: loopback sshd, command `true`")
    print(f"  vztui paramiko, persistent + TCP_NODELAY : {detail['paramiko_persistent_ms']:8.2f} ms/command (median)")
    print(f"      p95                                 : {detail['paramiko_p95_ms']:8.2f} ms")
    print(f"  same, TCP_NODELAY off (paramiko default) : {detail['paramiko_without_tcp_nodelay_ms']:8.2f} ms/command")
    print(f"  OpenSSH ControlMaster (transport=openssh): {detail['openssh_controlmaster_ms']:8.2f} ms/command")
    print(f"  baseline `ssh host cmd` per command     : {detail['ssh_per_command_ms']:8.2f} ms/command")
    print(
        f"  ratio baseline / vztui                  : {row.ratio:8.1f}x  (goal >= {GOAL_RATIO:g}x: "
        f"{'met' if row.met else 'NOT met'})"
    )
    if args.json:
        args.json.write_text(json.dumps({"measures": {row.name: row.to_json()}}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
