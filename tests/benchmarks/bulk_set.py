"""bulk_set_200x10: 200 ``vzctl set CTID --cpuunits N --save`` across 10 nodes through vztui's queue (persistent
paramiko connections, 4 operations per node at once) vs ``xargs -P8 ssh`` (a new SSH connection per command, 8 at a
time). Goal: vztui >= 1.5x faster. Real loopback sshd processes serve simulated nodes (tests/sshd.py).

Usage: python tests/benchmarks/bulk_set.py [--nodes 10] [--ops 200] [--json FILE]; ``measure()`` is what
``run.py`` calls. Both sides start with the same simulated nodes (stopped CTs, so each set only rewrites the config)
and run the same argv; vztui's connections are open before the clock starts (a running dashboard's state), while
the baseline pays one SSH handshake per command, as an admin's one-liner does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import Result, sim_env
from tests.sshd import BASE_PATH, SKIP_REASON, SSHD, SshdFactory, SshdNode
from vztui.backend.cluster import Cluster
from vztui.backend.hostkeys import KnownHosts
from vztui.backend.nodespec import NodeSpec
from vztui.backend.operation import OpRequest, OpState
from vztui.backend.transport import Transport
from vztui.backend.transports import create_transport

GOAL = 1.5


def build_nodes(base: Path, nodes: int, per_node: int) -> dict[str, Path]:
    """Simulated nodes with ``per_node`` stopped CTs each (``vzctl set --save`` on them only rewrites the config)."""
    from vztui.sim.provision import init_node, provision_ct

    roots: dict[str, Path] = {}
    for index in range(1, nodes + 1):
        root = base / f"hn{index}"
        node = init_node(root)
        for offset in range(per_node):
            provision_ct(node, 101 + offset, ostemplate="centos-6-x86_64")
        roots[f"hn{index}"] = root
    return roots


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
    cluster.set_paused(True)  # no polling: only the operations use the connections
    await cluster.start()
    try:
        infos = await asyncio.gather(*(cluster.refresh_static(name) for name in sorted(nodes)))
        if any(info is None for info in infos):  # connect (and read static facts) before the clock starts
            raise RuntimeError(f"could not connect to every node: {[cluster.node_info(n) for n in sorted(nodes)]}")
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


def measure(scratch: Path, *, nodes: int = 10, ops: int = 200) -> Result:
    """``bulk_set_200x10``: seconds for ``ops`` sets over ``nodes`` nodes, baseline ``xargs -P8 ssh``."""
    sim_env()
    tmp = scratch
    roots = build_nodes(tmp / "sim", nodes, max(1, ops // nodes))
    (tmp / "keys").mkdir(exist_ok=True)
    factory = SshdFactory(tmp / "keys", tmp / "sshd")
    home = tmp / "home"  # a private HOME keeps root's ~/.bashrc (pyenv, slow or locked) out of every command
    home.mkdir(exist_ok=True)
    try:
        servers = {
            name: factory(
                name,
                bin_dir=root / "bin",
                options={"SetEnv": f"PATH={root / 'bin'}:{BASE_PATH} HOME={home} VZTUI_SIM_SPEED=0"},
            )
            for name, root in roots.items()
        }
        work = plan(roots, ops)
        base_s, base_rc = baseline(servers, work, tmp)
        ours_s, ours_failed = asyncio.run(through_queue(servers, roots, work, tmp))
    finally:
        factory.stop_all()
    ratio = base_s / ours_s if ours_s else float("inf")
    ok = base_rc == 0 and ours_failed == 0
    return Result(
        "bulk_set_200x10",
        round(ours_s, 3),
        "s",
        f"ratio >= {GOAL:g}",
        GOAL,
        ratio >= GOAL and ok,
        baseline=round(base_s, 3),
        ratio=round(ratio, 2),
        note=f"{ops} x vzctl set --save over {nodes} nodes; queue 4/node vs xargs -P8 ssh"
        + ("" if ok else f"; FAILURES: xargs exit {base_rc}, {ours_failed} queue operations failed"),
        detail={"ops": ops, "nodes": nodes, "xargs_exit": base_rc, "queue_failed": ours_failed},
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if SSHD is None:
        print(SKIP_REASON)
        return 1
    with tempfile.TemporaryDirectory(prefix="vztui-bulk-") as raw:
        row = measure(Path(raw), nodes=args.nodes, ops=args.ops)
    print(f"{args.ops} x vzctl set --save over {args.nodes} nodes (loopback sshd, simulated vzctl)")
    print(f"  xargs -P8 ssh:        {row.baseline:6.2f} s  (exit {row.detail['xargs_exit']})")
    print(f"  vztui queue:          {row.value:6.2f} s  ({row.detail['queue_failed']} failed)")
    print(f"  ratio:                {row.ratio:6.2f}x  (goal >= {GOAL}x: {'met' if row.met else 'NOT met'})")
    if args.json:
        args.json.write_text(json.dumps({"measures": {row.name: row.to_json()}}, indent=2) + "\n")
    return 0 if row.detail["queue_failed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
