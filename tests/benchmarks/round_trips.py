"""poll_round_trips: SSH commands per node per poll tick, counted by the sshd servers themselves (goal: exactly 1).

Real loopback sshd processes serve simulated nodes; the Cluster polls them over paramiko at a short interval. Each
sshd logs ``Starting session: command …`` for every command it runs (LogLevel VERBOSE), so the count does not
depend on anything vztui reports about itself. The window opens and closes with polling paused and no poll in
flight, and the static read at connect happens before it opens.

Usage: python tests/benchmarks/round_trips.py [--quick] [--json FILE]; ``measure()`` is what ``run.py`` calls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import Result, sim_env
from tests.sshd import BASE_PATH, SshdFactory, SshdNode
from vztui.backend.cluster import Cluster
from vztui.backend.hostkeys import KnownHosts
from vztui.backend.nodespec import NodeSpec
from vztui.backend.operation import Operation
from vztui.backend.snapshot import NodeDelta, NodeHealth
from vztui.backend.transport import OutputLine, Transport
from vztui.backend.transports import create_transport

SESSION_LINE = "Starting session: command for "
LOGIN_LINE = "Accepted publickey for "


def sessions(node: SshdNode) -> int:
    """Commands this sshd started (exec requests), from its own log."""
    return node.log.count(SESSION_LINE)


def logins(node: SshdNode) -> int:
    """SSH connections this sshd authenticated."""
    return node.log.count(LOGIN_LINE)


class _TickCounter:
    def __init__(self) -> None:
        self.ticks: dict[str, int] = {}

    def on_delta(self, delta: NodeDelta) -> None:
        self.ticks[delta.node] = self.ticks.get(delta.node, 0) + 1

    def on_operation(self, op: Operation) -> None:
        return

    def on_output(self, op_id: str, lines: Sequence[OutputLine]) -> None:
        return


async def observe(
    servers: dict[str, SshdNode], roots: dict[str, Path], scratch: Path, *, seconds: float, refresh: float
) -> dict[str, tuple[int, int, int]]:
    """Poll for ``seconds``; per node (ticks, sshd command sessions, sshd logins) inside the window."""
    trust = scratch / "vztui_known_hosts"

    def factory(spec: NodeSpec) -> Transport:
        return create_transport(spec, known_hosts=KnownHosts(servers[spec.name].known_hosts, trust))

    specs = [servers[name].spec(root_prefix=str(roots[name]), refresh=refresh) for name in sorted(servers)]
    cluster = Cluster(specs, journal_dir=str(scratch / "journal"), transport_factory=factory)
    counter = _TickCounter()
    cluster.subscribe(counter)
    await cluster.start()
    try:
        await cluster.refresh()  # connected, static facts read, first tick done
        broken = {n: s.error for n, s in cluster.snapshots().items() if s.health is not NodeHealth.UP}
        if broken:
            raise RuntimeError(f"nodes not up: {broken}")
        cluster.set_paused(True)
        await cluster.refresh()  # any poll in flight has finished; nothing else will start
        before = {name: (counter.ticks.get(name, 0), sessions(node), logins(node)) for name, node in servers.items()}
        cluster.set_paused(False)
        await asyncio.sleep(seconds)
        cluster.set_paused(True)
        await cluster.refresh()
        after = {name: (counter.ticks.get(name, 0), sessions(node), logins(node)) for name, node in servers.items()}
    finally:
        await cluster.stop()
    return {
        name: (after[name][0] - before[name][0], after[name][1] - before[name][1], after[name][2] - before[name][2])
        for name in servers
    }


def measure(scratch: Path, *, nodes: int = 3, seconds: float = 8.0, refresh: float = 0.5) -> Result:
    """``poll_round_trips``: the worst node's sshd-counted commands per tick."""
    sim_env()
    from tests.benchmarks.tick_cpu import build_sim

    roots, _ = build_sim(scratch / "sim", nodes, per_node=20)
    (scratch / "keys").mkdir(exist_ok=True)
    factory = SshdFactory(scratch / "keys", scratch / "sshd")
    home = scratch / "home"  # a private HOME keeps root's ~/.bashrc (pyenv, slow or locked) out of every command
    home.mkdir(exist_ok=True)
    try:
        servers = {
            name: factory(
                name, bin_dir=root / "bin", options={"SetEnv": f"PATH={root / 'bin'}:{BASE_PATH} HOME={home}"}
            )
            for name, root in roots.items()
        }
        counts = asyncio.run(observe(servers, roots, scratch, seconds=seconds, refresh=refresh))
    finally:
        factory.stop_all()
    per_node = {name: round(cmds / ticks, 3) if ticks else float("inf") for name, (ticks, cmds, _) in counts.items()}
    worst = max(per_node.values())
    reconnects = sum(new for _, _, new in counts.values())
    ticks = sum(t for t, _, _ in counts.values())
    return Result(
        "poll_round_trips",
        worst,
        "SSH commands/node/tick",
        "= 1",
        1.0,
        worst == 1.0 and reconnects == 0,
        note=f"counted by sshd over {ticks} ticks on {nodes} nodes (worst node); {reconnects} new connections",
        detail={
            "per_node": per_node,
            "counts": {n: {"ticks": t, "commands": c, "logins": g} for n, (t, c, g) in counts.items()},
        },
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 nodes, 4 s")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vztui-rt-") as tmp:
        row = measure(Path(tmp), nodes=2 if args.quick else 3, seconds=4.0 if args.quick else 8.0)
    print(f"poll_round_trips: {row.value} {row.unit} ({row.note}) in {time.monotonic() - began:.0f} s")
    print(f"  per node: {row.detail['per_node']}")
    print(f"goal = 1: {'met' if row.met else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps({"measures": {row.name: row.to_json()}}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
