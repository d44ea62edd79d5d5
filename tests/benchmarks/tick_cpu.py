"""tick_cpu_10k: CPU time per tick for parse + merge + delta of 10,000 CTs on 50 nodes (goal: <= 50 ms).

Builds a simulated cluster, captures two real poll outputs per node (the same fixed batch script the poller sends,
run against each node's simulated tools and /proc, ``--gap`` seconds apart), then measures on that captured text:

* cold: a fresh assembler per node (the first tick after connecting: everything parsed);
* warm: the next tick with the previous tick's caches (the steady state: only changed CTs re-parsed).

Usage: python tests/benchmarks/tick_cpu.py [--nodes 50] [--cts 10000] [--gap 2] [--rounds 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from vztui.backend.assemble import SnapshotAssembler
from vztui.backend.batch import Section, new_nonce, poll_argv, split_sections
from vztui.backend.delta import NearCache, compute_delta
from vztui.backend.snapshot import NodeSnapshot

GOAL_MS = 50.0


def capture(root: Path) -> Mapping[str, Section]:
    nonce = new_nonce()
    env = {**os.environ, "PATH": f"{root / 'bin'}:{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        poll_argv(str(root), str(root / "vz"), nonce), capture_output=True, text=True, env=env, check=False
    )
    sections = split_sections(done.stdout, done.stderr, nonce)
    broken = [s.problem() for s in sections.values() if s.problem()]
    if broken:
        raise SystemExit(f"{root.name}: poll sections failed: {broken}")
    return sections


def tick(
    assemblers: dict[str, SnapshotAssembler],
    captured: dict[str, Mapping[str, Section]],
    prev: dict[str, NodeSnapshot | None],
    caches: dict[str, NearCache],
) -> tuple[float, dict[str, NodeSnapshot], int]:
    gc.collect()
    changed = 0
    out: dict[str, NodeSnapshot] = {}
    started = time.process_time()
    for node, sections in captured.items():
        snapshot = assemblers[node].build(sections, prev=prev[node], taken_at=time.time())
        delta = compute_delta(prev[node], snapshot, near_cache=caches[node])
        changed += len(delta.changed) + len(delta.appeared)
        out[node] = snapshot
    return (time.process_time() - started) * 1000.0, out, changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--cts", type=int, default=10_000, help="containers in the whole cluster")
    parser.add_argument("--gap", type=float, default=2.0, help="seconds between the two captured ticks")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from vztui.sim.cluster import build_cluster

    os.environ.setdefault("VZTUI_SIM_SPEED", "0")
    with tempfile.TemporaryDirectory(prefix="vztui-tick-") as tmp:
        began = time.monotonic()
        cluster = build_cluster(Path(tmp), nodes=args.nodes, cts=args.cts, seed=args.seed)
        print(f"built {args.nodes} nodes / {args.cts} CTs in {time.monotonic() - began:.1f} s", flush=True)
        roots = dict(cluster.nodes)
        began = time.monotonic()
        first = {node: capture(root) for node, root in roots.items()}
        time.sleep(args.gap)
        second = {node: capture(root) for node, root in roots.items()}
        print(f"captured 2 ticks x {len(roots)} nodes in {time.monotonic() - began:.1f} s", flush=True)

    size = sum(len(s.text) for sections in second.values() for s in sections.values())
    total_cts = 0
    cold: list[float] = []
    warm: list[float] = []
    changed_counts: list[int] = []
    for _ in range(args.rounds):
        assemblers = {node: SnapshotAssembler(node) for node in first}
        caches: dict[str, NearCache] = {node: {} for node in first}
        none: dict[str, NodeSnapshot | None] = dict.fromkeys(first)
        ms, snaps, _ = tick(assemblers, first, none, caches)
        cold.append(ms)
        total_cts = sum(len(s.containers) for s in snaps.values())
        prev: dict[str, NodeSnapshot | None] = dict(snaps)
        ms, _, changed = tick(assemblers, second, prev, caches)
        warm.append(ms)
        changed_counts.append(changed)

    best_warm, best_cold = min(warm), min(cold)
    print(f"tick input: {size / 1e6:.1f} MB of text, {total_cts} CTs on {len(first)} nodes")
    print(
        f"changed CTs between the two ticks: {changed_counts[0]} ({100 * changed_counts[0] / max(1, total_cts):.0f} %)"
    )
    print(f"cold tick (everything parsed):  best {best_cold:7.1f} ms CPU  (median {sorted(cold)[len(cold) // 2]:.1f})")
    print(f"warm tick (steady state):       best {best_warm:7.1f} ms CPU  (median {sorted(warm)[len(warm) // 2]:.1f})")
    print(f"goal <= {GOAL_MS:.0f} ms per tick: {'met' if best_warm <= GOAL_MS else 'NOT met'}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "measures": {
                        "tick_cpu_10k": {
                            "value": round(best_warm, 1),
                            "unit": "ms",
                            "baseline": round(best_cold, 1),
                            "ratio": round(best_cold / best_warm, 2) if best_warm else None,
                            "goal": GOAL_MS,
                            "met": best_warm <= GOAL_MS,
                        }
                    }
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
