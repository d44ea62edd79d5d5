"""bulk_set_200x10: 200 ``vzctl set CTID --cpuunits N --save`` across 10 nodes through vztui's queue (persistent
paramiko connections, 4 operations per node at once) vs ``xargs -P8 ssh`` (a new SSH connection per command, 8 at a
time). Goal: vztui >= 1.5x faster. Real loopback sshd processes serve simulated nodes (tests/sshd.py).

Usage: python tests/benchmarks/bulk_set.py [--nodes 10] [--ops 200] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.sshd import BASE_PATH, SKIP_REASON, SSHD, SshdFactory, SshdNode
from vztui.backend.cluster import Cluster
from vztui.backend.hostkeys import KnownHosts
from vztui.backend.nodespec import NodeSpec
from vztui.backend.operation import OpRequest, OpState
from vztui.backend.transport import Transport
from vztui.backend.transports import create_transport

GOAL = 1.5


def plan(cluster_nodes: dict[str, Path], ops: int) -> list[tuple[str, int, int]]:
    """(node, ctid, cpuunits) for each command: round-robin over nodes, each CT touched at most once per pass."""
    ctids: dict[str, list[int]] = {}
    for name, root in cluster_nodes.items():
        conf = root / "etc/vz/conf"
        ctids[name] = sorted(int(p.stem) for p in conf.glob("*.conf") if p.stem.isdigit() and p.stem != "0")
    names = sorted(cluster_nodes)
    work = []
    for i in range(ops):
        node = names[i % len(names)]
        cts = ctids[node]
        work.append((node, cts[(i // len(names)) % len(cts)], 1000 + i))
    return work


def baseline(nodes: dict[str, SshdNode], work: list[tuple[str, int, int]], tmp: Path) -> tuple[float, int]:
    """xargs -P8 ssh: one ssh process (and connection) per command."""
    lines = []
    for node_name, ctid, units in work:
        node = nodes[node_name]
        lines.append(
            " ".join(
                [
                    "-p",
                    str(node.port),
                    "-i",
                    str(node.user_key.private),
                    "-o",
                    "BatchMode=yes",
                    "-o",
                    f"UserKnownHostsFile={node.known_hosts}",
                    "-o",
                    "StrictHostKeyChecking=yes",
                    "-o",
                    "LogLevel=ERROR",
                    f"{node.user}@{node.host}",
                    "vzctl",
                    "set",
                    str(ctid),
                    "--cpuunits",
                    str(units),
                    "--save",
                ]
            )
        )
    commands = tmp / "commands.txt"
    commands.write_text("\n".join(lines) + "\n")
    started = time.monotonic()
    with commands.open() as stdin:
        done = subprocess.run(["xargs", "-P8", "-L1", "ssh"], stdin=stdin, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    return elapsed, done.returncode


async def through_queue(
    nodes: dict[str, SshdNode], roots: dict[str, Path], work: list[tuple[str, int, int]], tmp: Path
) -> tuple[float, int]:
    specs = [nodes[name].spec(root_prefix=str(roots[name])) for name in sorted(nodes)]
    trust = tmp / "vztui_known_hosts"

    def factory(spec: NodeSpec) -> Transport:
        return create_transport(spec, known_hosts=KnownHosts(nodes[spec.name].known_hosts, trust))

    cluster = Cluster(specs, journal_dir=str(tmp / "journal"), transport_factory=factory)
    cluster.set_paused(True)
    await cluster.start()
    try:
        for _ in range(200):  # connected: each node's static facts were read over its connection
            if all(cluster.node_info(name) is not None for name in nodes):
                break
            await asyncio.sleep(0.05)
        started = time.monotonic()
        ops = [
            await cluster.submit(
                OpRequest(node, ("vzctl", "set", str(ctid), "--cpuunits", str(units), "--save"), "set", ctids=(ctid,))
            )
            for node, ctid, units in work
        ]
        while not all(op.state.finished for op in ops):
            await asyncio.sleep(0.005)
        elapsed = time.monotonic() - started
        failed = sum(1 for op in ops if op.state is not OpState.SUCCEEDED)
        if failed:
            print("failures:", [op.reason for op in ops if op.state is not OpState.SUCCEEDED][:3])
        return elapsed, failed
    finally:
        await cluster.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if SSHD is None:
        print(SKIP_REASON)
        return 1
    from vztui.sim.cluster import build_cluster

    with tempfile.TemporaryDirectory(prefix="vztui-bulk-") as raw:
        tmp = Path(raw)
        built = build_cluster(tmp / "sim", nodes=args.nodes, cts=args.ops, seed=3)
        roots = dict(built.nodes)
        factory = SshdFactory(tmp / "keys", tmp / "sshd")
        (tmp / "keys").mkdir()
        try:
            nodes = {
                name: factory(
                    name,
                    bin_dir=root / "bin",
                    options={"SetEnv": f"PATH={root / 'bin'}:{BASE_PATH} VZTUI_SIM_SPEED=0"},
                )
                for name, root in roots.items()
            }
            work = plan(roots, args.ops)
            base_s, base_rc = baseline(nodes, work, tmp)
            ours_s, ours_failed = asyncio.run(through_queue(nodes, roots, work, tmp))
        finally:
            factory.stop_all()
    ratio = base_s / ours_s if ours_s else float("inf")
    print(f"{args.ops} x vzctl set --save over {args.nodes} nodes (loopback sshd, simulated vzctl)")
    print(f"  xargs -P8 ssh:        {base_s:6.2f} s  (exit {base_rc})")
    print(f"  vztui queue:          {ours_s:6.2f} s  ({ours_failed} failed)")
    print(f"  ratio:                {ratio:6.2f}x  (goal >= {GOAL}x: {'met' if ratio >= GOAL else 'NOT met'})")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "measures": {
                        "bulk_set_200x10": {
                            "value": round(ours_s, 3),
                            "unit": "s",
                            "baseline": round(base_s, 3),
                            "ratio": round(ratio, 2),
                            "goal": GOAL,
                            "met": ratio >= GOAL,
                        }
                    }
                },
                indent=2,
            )
        )
    return 0 if not ours_failed else 1


if __name__ == "__main__":
    os.environ.setdefault("VZTUI_SIM_SPEED", "0")
    raise SystemExit(main())
