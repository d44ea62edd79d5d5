"""Simulator scale benchmark: build a 50-node x 200-CT cluster, then time `vzlist -a -j` on one 200-CT node.

Prints the figures the simulator issue asks for, against their targets and against the bare cost of starting the
interpreter (the floor for any tool call). Run: ``.venv/bin/python tests/benchmarks/sim_scale.py [--nodes N --cts M]``;
``run.py`` calls ``vzlist_result`` on the cluster it builds anyway.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import Result
from vztui.sim.cluster import build_cluster

BUILD_TARGET_S = 60.0
VZLIST_TARGET_S = 0.5
VZLIST_GOAL_S = 0.15


def timed(argv: list[str], runs: int, *, pause: float = 0.0) -> list[float]:
    samples = []
    for _ in range(runs):
        if pause:
            time.sleep(pause)
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - started)
    return samples


def describe(label: str, samples: list[float], target: float | None = None) -> None:
    median = statistics.median(samples)
    low, high = min(samples) * 1000, max(samples) * 1000
    line = f"{label:<48} median {median * 1000:7.1f} ms  min {low:7.1f} ms  max {high:7.1f} ms"
    if target:
        line += f"  ({median / target:.2f}x of {target * 1000:.0f} ms target)"
    print(line)


def vzlist_result(bin_dir: Path, cts: int, *, runs: int = 9) -> Result:
    """``sim_vzlist_200``: median wall time of the simulator's ``vzlist -a -j`` on one node, against the bare start of
    the interpreter every simulated tool pays (``python -I -S -c pass``)."""
    floor = statistics.median(timed([sys.executable, "-I", "-S", "-c", "pass"], runs))
    warm = statistics.median(timed([str(bin_dir / "vzlist"), "-a", "-j"], runs))
    return Result(
        "sim_vzlist_200",
        round(warm * 1000, 1),
        "ms",
        f"<= {VZLIST_GOAL_S * 1000:.0f} ms (simulator)",
        VZLIST_GOAL_S * 1000,
        warm <= VZLIST_GOAL_S,
        baseline=round(floor * 1000, 1),
        ratio=round(floor / warm, 2),
        note=f"simulator, not vztui: `vzlist -a -j` on a {cts}-CT node; baseline = interpreter start alone",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--cts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the cluster directory")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="vztui-sim-scale-"))
    started = time.perf_counter()
    cluster = build_cluster(directory / "cluster", nodes=args.nodes, cts=args.cts, seed=0)
    build = time.perf_counter() - started
    total = args.nodes * args.cts
    print(
        f"cluster: {args.nodes} nodes x {args.cts} CTs = {total} CTs in {build:.1f} s "
        f"({build / BUILD_TARGET_S:.2f}x of the {BUILD_TARGET_S:.0f} s target; {build / total * 1000:.2f} ms/CT)"
    )
    vzlist = [str(cluster.bin_dir("hn1") / "vzlist"), "-a", "-j"]
    floor = timed([sys.executable, "-I", "-S", "-c", "pass"], args.runs)
    describe("baseline: python -I -S -c pass", floor)
    describe("baseline: python -c pass (site, venv)", timed([sys.executable, "-c", "pass"], args.runs))
    warm = timed(vzlist, args.runs)
    describe(f"vzlist -a -j, {args.cts} CTs, /proc fresh", warm, VZLIST_GOAL_S)
    stale = timed(vzlist, max(5, args.runs // 2), pause=0.6)
    describe(f"vzlist -a -j, {args.cts} CTs, /proc stale (refresh)", stale, VZLIST_GOAL_S)
    worst = max(statistics.median(warm), statistics.median(stale))
    print(
        f"hard limit {VZLIST_TARGET_S * 1000:.0f} ms: {'met' if worst < VZLIST_TARGET_S else 'MISSED'} "
        f"(worst median {worst * 1000:.1f} ms = {worst / statistics.median(floor):.1f}x interpreter start)"
    )
    status = timed([str(cluster.bin_dir("hn1") / "vzctl"), "status", "101"], args.runs)
    describe("vzctl status 101 (C2's vzctl through the same runner)", status)
    if args.keep:
        print(f"kept: {directory}")
    else:
        subprocess.run(["rm", "-rf", str(directory)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
