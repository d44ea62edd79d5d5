"""tick_cpu_10k and scaling: the engine's CPU time per tick (split the poll output, parse, merge, delta, history) for
10,000 CTs on 50 nodes (goal <= 50 ms), and how that cost grows from 1k to 20k CTs (goal: linear).

Builds a simulated cluster of 200-CT nodes, captures two real poll outputs per node (the poller's own batch script
run against each node's simulated tools and /proc, one round over all nodes, then a second round), then replays the
captured text through the engine in this process:

* cold: fresh assemblers (the first tick after connecting: everything parsed);
* warm: the next tick with the previous tick's caches (the steady state: only changed CTs re-parsed).

Usage: python tests/benchmarks/tick_cpu.py [--quick] [--nodes 50] [--rounds 5] [--json FILE]; ``run.py`` calls
``capture_cluster``, ``tick_result`` and ``scaling_result``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import Result, sim_env
from vztui.backend.assemble import SnapshotAssembler
from vztui.backend.batch import new_nonce, poll_argv, split_sections
from vztui.backend.delta import NearCache, compute_delta
from vztui.backend.history import History
from vztui.backend.snapshot import NodeSnapshot

GOAL_MS = 50.0
CTS_PER_NODE = 200
LINEAR_TOLERANCE = 1.25
"""Scaling counts as linear when the per-CT cost at the largest size is within this factor of the cheapest size."""


@dataclass(frozen=True)
class RawPoll:
    """One poll's output as the transport returned it (the sections are cut inside the measured tick)."""

    stdout: str
    stderr: str
    nonce: str


def capture(root: Path) -> RawPoll:
    """Run the poller's batch script against one simulated node, locally (what sshd would run)."""
    nonce = new_nonce()
    env = {**os.environ, "PATH": f"{root / 'bin'}:{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        poll_argv(str(root), str(root / "vz"), nonce), capture_output=True, text=True, env=env, check=False
    )
    sections = split_sections(done.stdout, done.stderr, nonce)
    broken = [s.problem() for s in sections.values() if s.problem()]
    if broken:
        raise RuntimeError(f"{root.name}: poll sections failed: {broken}")
    return RawPoll(done.stdout, done.stderr, nonce)


def build_sim(directory: Path, nodes: int, per_node: int = CTS_PER_NODE) -> tuple[dict[str, Path], float]:
    """A seeded simulated cluster; (node → ROOT, seconds it took to build)."""
    from vztui.sim.cluster import build_cluster

    sim_env()
    began = time.monotonic()
    cluster = build_cluster(directory, nodes=nodes, cts=per_node, seed=1)
    return dict(cluster.nodes), time.monotonic() - began


def capture_cluster(roots: Mapping[str, Path]) -> dict[str, tuple[RawPoll, RawPoll]]:
    """Two polls per node: one round over every node, then a second round (each node's gap is one round)."""
    first = {node: capture(root) for node, root in roots.items()}
    second = {node: capture(root) for node, root in roots.items()}
    return {node: (first[node], second[node]) for node in roots}


@dataclass(frozen=True)
class TickCost:
    cold_ms: list[float]
    warm_ms: list[float]
    split_ms: float
    history_ms: float
    changed: int
    cts: int
    text_bytes: int

    @property
    def warm(self) -> float:
        return statistics.median(self.warm_ms)

    @property
    def cold(self) -> float:
        return statistics.median(self.cold_ms)


class _Engine:
    """The per-node state the poller and the Cluster keep between ticks, for a set of nodes."""

    def __init__(self, nodes: Sequence[str]) -> None:
        self.assemblers = {node: SnapshotAssembler(node) for node in nodes}
        self.caches: dict[str, NearCache] = {node: {} for node in nodes}
        self.prev: dict[str, NodeSnapshot | None] = dict.fromkeys(nodes)
        self.history = History()

    def tick(self, polls: Mapping[str, RawPoll]) -> tuple[float, float, float, int]:
        """(total CPU ms, of which splitting, of which history, CTs changed or appeared)."""
        gc.collect()
        changed = 0
        split = history = 0.0
        started = time.process_time()
        for node, raw in polls.items():
            t0 = time.process_time()
            sections = split_sections(raw.stdout, raw.stderr, raw.nonce)
            split += time.process_time() - t0
            snapshot = self.assemblers[node].build(sections, prev=self.prev[node], taken_at=time.time())
            delta = compute_delta(self.prev[node], snapshot, near_cache=self.caches[node])
            touched = delta.appeared | delta.changed.keys()
            t0 = time.process_time()
            self.history.record(snapshot, touched)
            history += time.process_time() - t0
            changed += len(touched)
            self.prev[node] = snapshot
        total = time.process_time() - started
        return total * 1000.0, split * 1000.0, history * 1000.0, changed


def tick_costs(captured: Mapping[str, tuple[RawPoll, RawPoll]], rounds: int) -> TickCost:
    """Cold and warm tick CPU time over ``rounds`` fresh engines (fresh caches each round)."""
    cold: list[float] = []
    warm: list[float] = []
    splits: list[float] = []
    histories: list[float] = []
    changed = cts = 0
    first = {node: pair[0] for node, pair in captured.items()}
    second = {node: pair[1] for node, pair in captured.items()}
    for _ in range(rounds):
        engine = _Engine(list(captured))
        ms, _, _, _ = engine.tick(first)
        cold.append(ms)
        cts = sum(len(s.containers) for s in engine.prev.values() if s is not None)
        ms, split, history, changed = engine.tick(second)
        warm.append(ms)
        splits.append(split)
        histories.append(history)
    size = sum(len(raw.stdout) for raw in second.values())
    return TickCost(cold, warm, statistics.median(splits), statistics.median(histories), changed, cts, size)


def tick_result(captured: Mapping[str, tuple[RawPoll, RawPoll]], *, rounds: int, quick: bool) -> Result:
    cost = tick_costs(captured, rounds)
    share = 100 * cost.changed / max(1, cost.cts)
    return Result(
        "tick_cpu_10k",
        round(cost.warm, 1),
        "ms CPU/tick",
        f"<= {GOAL_MS:g} ms",
        GOAL_MS,
        cost.warm <= GOAL_MS,
        baseline=round(cost.cold, 1),
        ratio=round(cost.cold / cost.warm, 2) if cost.warm else None,
        note=(
            f"{'QUICK: ' if quick else ''}{cost.cts} CTs on {len(captured)} nodes, median warm tick of {rounds} "
            f"({share:.0f} % of CTs changed); baseline = cold tick (everything parsed)"
        ),
        detail={
            "cts": cost.cts,
            "nodes": len(captured),
            "warm_ms": [round(x, 1) for x in cost.warm_ms],
            "cold_ms": [round(x, 1) for x in cost.cold_ms],
            "split_ms": round(cost.split_ms, 1),
            "history_ms": round(cost.history_ms, 1),
            "changed_cts": cost.changed,
            "tick_text_mb": round(cost.text_bytes / 1e6, 2),
            "quick": quick,
        },
    )


def scaling_result(
    captured: Mapping[str, tuple[RawPoll, RawPoll]], sizes: Sequence[int], *, rounds: int, quick: bool
) -> Result:
    """Warm tick CPU at each size (the first size/200 nodes), the least-squares slope and how linear it is."""
    nodes = list(captured)
    points: list[tuple[int, float]] = []
    for size in sizes:
        count = max(1, size // CTS_PER_NODE)
        subset = {node: captured[node] for node in nodes[:count]}
        cost = tick_costs(subset, rounds)
        points.append((cost.cts, cost.warm))
    xs = [float(x) for x, _ in points]
    ys = [y for _, y in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    intercept = mean_y - slope * mean_x
    ss_tot = sum((y - mean_y) ** 2 for y in ys)
    ss_res = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    r2 = 1 - ss_res / ss_tot if ss_tot else 1.0
    per_ct = [y / x for x, y in points]
    growth = per_ct[-1] / min(per_ct)
    linear = growth <= LINEAR_TOLERANCE
    per_1k = slope * 1000
    table = ", ".join(f"{x // 1000 if x >= 1000 else x}{'k' if x >= 1000 else ''}: {y:.1f} ms" for x, y in points)
    return Result(
        "scaling",
        round(per_1k, 2),
        "ms CPU per 1k CTs (slope)",
        f"linear (per-CT cost at the top within {LINEAR_TOLERANCE:g}x)",
        LINEAR_TOLERANCE,
        linear,
        ratio=round(growth, 2),
        note=f"{'QUICK: ' if quick else ''}warm tick {table}; r^2 {r2:.3f}; ratio = per-CT cost at top / cheapest",
        detail={
            "points": [{"cts": x, "warm_ms": round(y, 2)} for x, y in points],
            "slope_ms_per_1k": round(per_1k, 3),
            "intercept_ms": round(intercept, 2),
            "r2": round(r2, 4),
            "quick": quick,
        },
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 CTs on 10 nodes")
    parser.add_argument("--nodes", type=int, default=50, help="200-CT nodes (default 50: 10,000 CTs)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    nodes = 10 if args.quick else args.nodes
    with tempfile.TemporaryDirectory(prefix="vztui-tick-") as tmp:
        roots, built = build_sim(Path(tmp) / "sim", nodes)
        print(f"built {nodes} nodes / {nodes * CTS_PER_NODE} CTs in {built:.1f} s", flush=True)
        began = time.monotonic()
        captured = capture_cluster(roots)
        print(f"captured 2 ticks x {nodes} nodes in {time.monotonic() - began:.1f} s", flush=True)
    row = tick_result(captured, rounds=args.rounds, quick=args.quick)
    print(f"tick_cpu: warm {row.value} ms CPU (cold {row.baseline} ms) - {row.note}")
    print(f"  of which split {row.detail['split_ms']} ms, history {row.detail['history_ms']} ms")
    print(f"goal <= {GOAL_MS:.0f} ms per tick: {'met' if row.met else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps({"measures": {row.name: row.to_json()}}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
