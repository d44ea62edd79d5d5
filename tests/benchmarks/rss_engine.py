"""rss_10k (engine side): resident memory of a process running vztui's engine for 10,000 CTs on 50 nodes with its
history full (40 ticks, history keeps 30), without the UI. Goal for the whole app: <= 120 MB.

The engine is the real one (``Cluster``: pollers, assemblers, deltas, history, journal, queue); only the transport
is replaced by one that answers each poll with output captured earlier from the simulated nodes (two captures per
node, alternated, so every running CT changes on every tick: the history's worst case). What that leaves out: SSH
connections (paramiko keeps ~0.5 MB per node) and the UI's own widgets and rows, which the UI measures add.

It runs in a fresh child process (``--child DIR``) so nothing of the parent's capture or other measures is counted.
Usage: python tests/benchmarks/rss_engine.py [--quick] [--json FILE]; ``run.py`` calls ``measure_engine_rss``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import REPO, Result, rss_mib
from tests.benchmarks.tick_cpu import RawPoll, capture
from tests.replay import ReplayOnlyTransport
from vztui.backend.batch import POLL_SCRIPT
from vztui.backend.history import DEFAULT_SAMPLES
from vztui.backend.nodeinfo import STATIC_SCRIPT
from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.backend.transport import CommandResult

GOAL_MB = 120.0
HISTORY_TICKS = DEFAULT_SAMPLES + 10
"""Ticks replayed: enough to fill every CT's history ring."""


class ReplayTransport(ReplayOnlyTransport):
    """Answers the poll and the static read from files captured on a simulated node; reads them on every call, as
    a real transport receives fresh bytes every tick (nothing captured stays in memory between calls)."""

    def __init__(self, node: str, directory: Path) -> None:
        self.node = node
        self._dir = directory
        self._polls = 0

    async def run(self, argv: Sequence[str], *, timeout: float = 60.0, stdin: bytes | None = None) -> CommandResult:
        script = argv[2] if len(argv) > 2 else ""
        if script == POLL_SCRIPT:
            name = f"poll{self._polls % 2}"
            self._polls += 1
        elif script == STATIC_SCRIPT:
            name = "static"
        else:
            return CommandResult(tuple(argv), 0, b"", b"", 0.0)
        nonce = argv[5]
        old = (self._dir / f"{name}.nonce").read_text()
        out = (self._dir / f"{name}.out").read_bytes().replace(f"@@{old}".encode(), f"@@{nonce}".encode())
        err = (self._dir / f"{name}.err").read_bytes().replace(f"@@{old}".encode(), f"@@{nonce}".encode())
        return CommandResult(tuple(argv), 0, out, err, 0.0)


def save_replay(directory: Path, roots: Mapping[str, Path], captured: Mapping[str, tuple[RawPoll, RawPoll]]) -> None:
    """One directory per node: both poll captures and a static read captured now."""
    from vztui.backend.batch import new_nonce
    from vztui.backend.nodeinfo import static_argv

    for node, pair in captured.items():
        target = directory / node
        target.mkdir(parents=True, exist_ok=True)
        for index, raw in enumerate(pair):
            (target / f"poll{index}.out").write_text(raw.stdout)
            (target / f"poll{index}.err").write_text(raw.stderr)
            (target / f"poll{index}.nonce").write_text(raw.nonce)
        nonce = new_nonce()
        root = roots[node]
        done = subprocess.run(
            static_argv(str(root), nonce),
            capture_output=True,
            text=True,
            env={"PATH": f"{root / 'bin'}:/usr/bin:/bin"},
            check=False,
        )
        (target / "static.out").write_text(done.stdout)
        (target / "static.err").write_text(done.stderr)
        (target / "static.nonce").write_text(nonce)


async def _run_engine(directory: Path, ticks: int) -> dict[str, float | str]:
    from vztui.backend.cluster import Cluster

    nodes = sorted(p.name for p in directory.iterdir() if p.is_dir())
    specs = [NodeSpec(name, transport=TransportKind.LOCAL) for name in nodes]
    journal = tempfile.mkdtemp(prefix="vztui-rss-journal-")
    cluster = Cluster(
        specs, journal_dir=journal, transport_factory=lambda spec: ReplayTransport(spec.name, directory / spec.name)
    )
    gc.collect()
    empty, _ = rss_mib()
    cluster.set_paused(True)
    await cluster.start()
    try:
        for _ in range(ticks):
            await cluster.refresh()
        snapshots = cluster.snapshots()
        cts = sum(len(s.containers) for s in snapshots.values())
        errors = [f"{n}: {s.error}" for n, s in snapshots.items() if s.error]
        gc.collect()
        now, peak = rss_mib()
        trimmed = _rss_after_trim()
        sample = next(iter(snapshots.values()))
        series = len(cluster.history(sample.node, next(iter(sample.containers)), "physpages")) if cts else 0
    finally:
        await cluster.stop()
    return {
        "rss_mb": now,
        "peak_mb": peak,
        "rss_after_trim_mb": trimmed,
        "trims": _trims(),
        "empty_cluster_mb": empty,
        "cts": cts,
        "nodes": len(nodes),
        "ticks": ticks,
        "history_len": series,
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
    }


def _rss_after_trim() -> float:
    """Detail, not the measure: RSS once glibc handed back every free page it can (after ``rss_mb`` was taken), so
    a report tells live memory from freed memory the allocator still kept at that moment; 0.0 without malloc_trim."""
    from vztui.backend.memtrim import _load_trim

    trim = _load_trim()
    if trim is None:
        return 0.0
    trim(0)
    return rss_mib()[0]


def _trims() -> int:
    from vztui.backend.memtrim import trimmer

    return trimmer.trims


def child(directory: Path, ticks: int) -> None:
    """Runs in the fresh process: the engine over the replayed nodes; prints one JSON object."""
    # What the app imports anyway, so the baseline (empty cluster) is comparable.
    import vztui.backend.cluster
    import vztui.openvz.parsers  # noqa: F401

    print(json.dumps(asyncio.run(_run_engine(directory, ticks))))


def measure_engine_rss(replay_dir: Path, *, ticks: int, quick: bool) -> Result:
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(replay_dir), "--ticks", str(ticks)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    if done.returncode != 0:
        raise RuntimeError(f"engine child failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    if data["errors"]:
        raise RuntimeError(f"{data['errors']} nodes reported errors, e.g. {data['first_error']}")
    rss = float(data["rss_mb"])
    return Result(
        "rss_10k",
        round(rss, 1),
        "MB RSS",
        f"<= {GOAL_MB:g} MB (whole app)",
        GOAL_MB,
        rss <= GOAL_MB,
        baseline=round(float(data["empty_cluster_mb"]), 1),
        note=(
            f"{'QUICK: ' if quick else ''}ENGINE ONLY (no UI): {data['cts']} CTs on {data['nodes']} nodes after "
            f"{data['ticks']} ticks (history {data['history_len']}/{DEFAULT_SAMPLES}); baseline = same process "
            f"before polling; peak {data['peak_mb']:.0f} MB; {data['rss_after_trim_mb']:.1f} MB after a final "
            f"malloc_trim ({data['trims']} trims by the engine)"
        ),
        detail={**data, "seconds": round(time.monotonic() - began, 1), "quick": quick},
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 CTs on 10 nodes")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ticks", type=int, default=HISTORY_TICKS)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.ticks)
        return 0
    from tests.benchmarks.tick_cpu import build_sim, capture_cluster

    nodes, ticks = (10, args.ticks) if args.quick else (50, args.ticks)
    with tempfile.TemporaryDirectory(prefix="vztui-rss-") as tmp:
        roots, _ = build_sim(Path(tmp) / "sim", nodes)
        captured = capture_cluster(roots)
        save_replay(Path(tmp) / "replay", roots, captured)
        row = measure_engine_rss(Path(tmp) / "replay", ticks=ticks, quick=args.quick)
    print(f"rss_10k (engine): {row.value} MB - {row.note}")
    if args.json:
        args.json.write_text(json.dumps({"measures": {row.name: row.to_json()}}, indent=2) + "\n")
    return 0


__all__ = ["ReplayTransport", "capture", "measure_engine_rss", "save_replay"]

if __name__ == "__main__":
    raise SystemExit(main())
