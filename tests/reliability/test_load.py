"""Load: many nodes refreshed for ten simulated minutes keep memory flat and every engine buffer bounded.

The engine path is the real one: ``Cluster`` with its ``NodePoller``s, ``SnapshotAssembler``s, deltas, ``History``,
queue and journal. Only the transport is replaced, by one that replays poll outputs captured from the simulator at
advancing simulated times (``VZTUI_SIM_NOW`` = t0, t0 + 2 s, …; one round trip of the poller's own batch script per
node and frame). Why not the local transport: one real poll of a 200-CT simulated node costs ~0.2 s of subprocesses,
so 50 nodes x 300 ticks would take ~50 minutes, and what is measured here is the engine's memory, not the
simulator's speed. The frames are replayed in a cycle, so every running CT changes on every tick (the history's
worst case) and, at each wrap, counters fall back as if the CTs were restarted.

Memory is compared at the same phase of the cycle (after the warm-up, which fills every history ring, and at the
end), so a flat engine shows the same figures twice: the bytes held by everything reachable from the Cluster, the
length of each container there (history series, assembler and near-limit caches, listeners, the queue's
operations and outputs, the journal's buffers, asyncio waiters), the interpreter's live blocks, RSS, tasks and
threads. (Not tracemalloc: tracing every allocation makes each tick ~6x slower, past this file's time budget.)
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import os
import re
import subprocess
import sys
import threading
from array import array
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pytest

from tests.replay import ReplayOnlyTransport
from vztui.backend.batch import POLL_SCRIPT, new_nonce, poll_argv, split_sections
from vztui.backend.cluster import Cluster
from vztui.backend.history import CPU, DEFAULT_RESOURCES, DEFAULT_SAMPLES
from vztui.backend.nodeinfo import STATIC_SCRIPT, static_argv
from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.backend.operation import Operation
from vztui.backend.snapshot import NodeDelta
from vztui.backend.transport import (
    CommandResult,
    OutputLine,
    TransportError,
)
from vztui.sim.cluster import build_cluster

SIM_T0 = 1_800_000_000.0
"""The simulated clock of the first frame (any fixed epoch: the captures are reproducible)."""
REFRESH = 2.0
"""Simulated seconds between frames: the default refresh interval."""
FRAMES = 5
"""Distinct captured polls per node, replayed in a cycle."""
CHURN_CTID = 9000
CHURN_ARRIVES = 2
CHURN_LEAVES = 4
"""A CT created between frames 1 and 2 and destroyed between frames 3 and 4: it comes and goes every cycle, and is
gone at both checkpoints (the last frame served before each is frame 4)."""
HISTORY_FIELD = re.compile(r"cluster\._history\.\w+")
CHURN_EVERY = 5
"""Every fifth node (the first of each five) has the churning CT."""

HELD_GROWTH_PER_CT = 64
"""Bytes per CT the engine's own structures may gain between warm-up and the end. Measured: 0, except that a dict
keyed by CT (the history's) doubles its table once as the churning CT's comings and goings use up its free slots
(+9 KB at 200 CTs, one step, never again). An uncapped history gains 7 series x 4 bytes x every tick (> 3 KB a CT
here)."""
BLOCKS_GROWTH_FLOOR = 1000
BLOCKS_GROWTH_PER_NODE_TICK = 0.5
"""Live interpreter blocks may grow by the larger of these between the two points. Measured at 5 nodes: +240 to
+360 over 110 ticks; at 50 nodes x 200 CTs: +386 over 250 ticks. The rate falls the longer it runs (freelists,
resized dicts and type caches settling: no object type grows in number). A leak of one small object (two blocks) a
node and tick exceeds either bound; so did a per-CT counter that passed 256 (one new int object per CT, +9,000
blocks at once: the history ring's row count, which now stops once the ring is full)."""
RSS_GROWTH_MB = 16.0
"""RSS moves with the allocator's arenas (the assembly thread has its own), so its bound is coarse; the engine's
held bytes and the interpreter's blocks are the precise figures. It is read after ``malloc_trim`` (see
``trimmed_rss_mib``)."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One round trip as the transport returned it, kept in files (``path``.out and .err): at 50 nodes x 5 frames
    the captured text is ~170 MB, which would swamp the RSS figures if it stayed in the process. ``nonce`` is the
    delimiter nonce it was captured with."""

    path: Path
    nonce: str

    @classmethod
    def save(cls, path: Path, done: subprocess.CompletedProcess[bytes], nonce: str) -> Frame:
        path.with_suffix(".out").write_bytes(done.stdout)
        path.with_suffix(".err").write_bytes(done.stderr)
        return cls(path, nonce)

    def answer(self, argv: Sequence[str], nonce: str) -> CommandResult:
        """The same output with the caller's nonce in its delimiters, as the node would have printed it (read afresh
        each time, as a transport receives fresh bytes every tick)."""
        old, new = f"@@{self.nonce}".encode(), f"@@{nonce}".encode()
        out = self.path.with_suffix(".out").read_bytes().replace(old, new)
        err = self.path.with_suffix(".err").read_bytes().replace(old, new)
        return CommandResult(tuple(argv), 0, out, err, 0.0)


@dataclass(frozen=True, slots=True)
class NodeCapture:
    static: Frame
    polls: tuple[Frame, ...]


def _run_on_node(root: Path, argv: Sequence[str], at: float) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PATH": f"{root / 'bin'}:{os.environ.get('PATH', '')}", "VZTUI_SIM_NOW": repr(at)}
    return subprocess.run(list(argv), capture_output=True, env=env, check=False)


def _admin(root: Path, at: float, *commands: Sequence[str]) -> None:
    """What an admin does on the node between two polls (through the simulator's own vzctl)."""
    for argv in commands:
        done = _run_on_node(root, argv, at)
        assert done.returncode == 0, f"{root.name}: {' '.join(argv)} exited {done.returncode}: {done.stderr!r}"


def capture_node(root: Path, store: Path, frames: int, *, churn: bool) -> NodeCapture:
    """The static read and ``frames`` polls of one simulated node, REFRESH simulated seconds apart.

    With ``churn``, CHURN_CTID is created and started before frame CHURN_ARRIVES and destroyed before frame
    CHURN_LEAVES, so every cycle of the replay has a CT appear and vanish (its history, caches and near-limit entries
    must go with it)."""
    nonce = new_nonce()
    done = _run_on_node(root, static_argv(str(root), nonce), SIM_T0)
    store.mkdir(parents=True)
    static = Frame.save(store / "static", done, nonce)
    templates = split_sections(done.stdout.decode(), done.stderr.decode(), nonce)["templates"].text.split()
    assert templates, f"{root.name}: no OS template to create the churning CT from"
    polls: list[Frame] = []
    for index in range(frames):
        at = SIM_T0 + index * REFRESH
        between = at - REFRESH / 2  # the simulator's figures cache is keyed to its clock: act before the poll's time
        if churn and index == CHURN_ARRIVES:
            ctid = str(CHURN_CTID)
            _admin(root, between, ["vzctl", "create", ctid, "--ostemplate", templates[0]], ["vzctl", "start", ctid])
        elif churn and index == CHURN_LEAVES:
            _admin(root, between, ["vzctl", "stop", str(CHURN_CTID), "--fast"], ["vzctl", "destroy", str(CHURN_CTID)])
        nonce = new_nonce()
        done = _run_on_node(root, poll_argv(str(root), str(root / "vz"), nonce), at)
        sections = split_sections(done.stdout.decode(), done.stderr.decode(), nonce)
        broken = {name: s.problem() for name, s in sections.items() if s.problem()}
        assert sections and not broken, f"{root.name}: the simulator's poll failed: {broken or done.stderr[-300:]!r}"
        polls.append(Frame.save(store / f"poll{index}", done, nonce))
    return NodeCapture(static, tuple(polls))


class ReplayTransport(ReplayOnlyTransport):
    """Answers each poll with the node's next captured frame (cyclically) and the static read with its capture."""

    def __init__(self, node: str, capture: NodeCapture) -> None:
        self.node = node
        self._capture = capture
        self._polls = 0

    async def run(self, argv: Sequence[str], *, timeout: float = 60.0, stdin: bytes | None = None) -> CommandResult:
        script = argv[2] if len(argv) > 2 else ""
        if script == POLL_SCRIPT:
            frame = self._capture.polls[self._polls % len(self._capture.polls)]
            self._polls += 1
            return frame.answer(argv, argv[5])
        if script == STATIC_SCRIPT:
            return self._capture.static.answer(argv, argv[5])
        raise TransportError(self.node, f"the replay transport only answers polls, not {argv[:2]}")


class CountingListener:
    """A listener like the UI's, keeping only counters (so it cannot be the thing that grows)."""

    def __init__(self) -> None:
        self.deltas = 0
        self.touched = 0
        self.vanished = 0
        self.errors = 0

    def on_delta(self, delta: NodeDelta) -> None:
        self.deltas += 1
        self.touched += len(delta.changed) + len(delta.appeared)
        self.vanished += len(delta.vanished)
        self.errors += bool(delta.snapshot.error)

    def on_operation(self, op: Operation) -> None:
        return

    def on_output(self, op_id: str, lines: Sequence[OutputLine]) -> None:
        return


# -- what "flat" is measured on ---------------------------------------------------------------------------------

_SIZED = (dict, MappingProxyType, list, tuple, set, frozenset, deque, array)


def engine_inventory(root: object) -> tuple[dict[str, int], int]:
    """The length of every container reachable from ``root`` through engine objects (vztui.backend classes and
    asyncio primitives), by path, and the bytes all of it holds (``sys.getsizeof`` of each object, arrays with their
    buffers). Domain values (Containers, Beancounters) are counted but not entered: they are data, not buffers, and
    are rebuilt whenever they change."""
    sizes: dict[str, int] = {}
    seen: set[int] = set()
    held = 0
    stack: list[tuple[object, str]] = [(root, "cluster")]
    while stack:
        obj, path = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        held += sys.getsizeof(obj)
        if isinstance(obj, _SIZED):
            sizes[path] = len(obj)
            if isinstance(obj, dict | MappingProxyType):
                stack.extend((value, f"{path}[{key!r}]") for key, value in obj.items())
            elif isinstance(obj, list | tuple | deque):
                stack.extend((value, f"{path}[{index}]") for index, value in enumerate(obj))
            continue
        module = type(obj).__module__
        if not module.startswith(("vztui.backend", "asyncio")):
            continue
        if isinstance(obj, asyncio.AbstractEventLoop | asyncio.Future):
            continue
        names = list(getattr(obj, "__dict__", {}))
        for klass in type(obj).__mro__:
            names.extend(getattr(klass, "__slots__", ()))
        for name in names:
            value = getattr(obj, name, None)
            if value is not None:
                stack.append((value, f"{path}.{name}"))
    return sizes, held


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def trimmed_rss_mib() -> float:
    """RSS once glibc has handed freed pages back: what the process retains, not what the allocator happens to
    cache at that instant. Untrimmed, a 50-node run read 108 MiB at one checkpoint and 154 MiB at the next with
    the same live blocks (the engine's own trimmer skips a tick's tail below its byte budget)."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)
    return rss_mib()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The process and the engine at one tick."""

    tick: int
    held: int
    """Bytes reachable from the Cluster through engine objects (see engine_inventory)."""
    blocks: int
    """The interpreter's live allocated blocks (``sys.getallocatedblocks``): leaks outside the Cluster show here."""
    rss_mb: float
    sizes: Mapping[str, int] = field(repr=False)
    tasks: int
    threads: int


def checkpoint(cluster: Cluster, tick: int, *, blocks_before_inventory: bool) -> Checkpoint:
    """``blocks_before_inventory``: count blocks before building this checkpoint's inventory (at the end) or after
    (at warm-up), so the warm-up inventory, kept for the comparison, is in both counts and the end's in neither."""
    gc.collect()
    blocks = sys.getallocatedblocks()
    sizes, held = engine_inventory(cluster)
    gc.collect()
    if not blocks_before_inventory:
        blocks = sys.getallocatedblocks()
    return Checkpoint(tick, held, blocks, trimmed_rss_mib(), sizes, len(asyncio.all_tasks()), threading.active_count())


@dataclass(frozen=True, slots=True)
class LoadRun:
    nodes: int
    cts: int
    ticks: int
    before: Checkpoint
    warm: Checkpoint
    end: Checkpoint
    listener: CountingListener
    history_lengths: frozenset[int]
    """What ``Cluster.history`` returns for every live CT and series at the end."""
    history_keys: int
    """The largest container directly inside the Cluster's History (whatever its layout): one entry per live CT."""

    @property
    def measured_ticks(self) -> int:
        return self.end.tick - self.warm.tick

    def report(self) -> str:
        ticks = self.measured_ticks
        held = self.end.held - self.warm.held
        blocks = self.end.blocks - self.warm.blocks
        rss = self.end.rss_mb - self.warm.rss_mb
        return (
            f"{self.nodes} nodes x {self.cts // self.nodes} CTs, {self.ticks} ticks "
            f"({self.ticks * REFRESH / 60:g} simulated minutes), figures before polling / after {self.warm.tick} "
            f"warm-up ticks / at the end: engine holds {self.before.held / 2**20:.2f} / {self.warm.held / 2**20:.2f}"
            f" / {self.end.held / 2**20:.2f} MiB ({held:+,} B, {held / ticks:+.1f} B/tick); interpreter blocks "
            f"{self.before.blocks:,} / {self.warm.blocks:,} / {self.end.blocks:,} ({blocks:+,}, "
            f"{blocks / ticks:+.2f}/tick); RSS {self.before.rss_mb:.1f} / {self.warm.rss_mb:.1f} / "
            f"{self.end.rss_mb:.1f} MiB ({rss * 1024 / ticks:+.2f} KiB/tick); history lengths "
            f"{sorted(self.history_lengths)}"
        )


async def run_load(captures: Mapping[str, NodeCapture], journal: Path, *, ticks: int, warmup: int) -> LoadRun:
    """Drive ``ticks`` refreshes of every node through a real Cluster; checkpoint before, after warm-up and at the end
    (both at the same phase of the frame cycle)."""
    assert warmup >= DEFAULT_SAMPLES and warmup % FRAMES == 0 and (ticks - warmup) % FRAMES == 0
    specs = [NodeSpec(name, transport=TransportKind.LOCAL) for name in captures]
    cluster = Cluster(
        specs, journal_dir=str(journal), transport_factory=lambda spec: ReplayTransport(spec.name, captures[spec.name])
    )
    listener = CountingListener()
    cluster.set_paused(True)  # the test is the clock: each refresh() is one tick of every node
    await cluster.start()
    try:
        cluster.subscribe(listener)
        before = checkpoint(cluster, 0, blocks_before_inventory=False)
        for _ in range(warmup):
            await cluster.refresh()
        warm = checkpoint(cluster, warmup, blocks_before_inventory=False)
        for _ in range(ticks - warmup):
            await cluster.refresh()
        end = checkpoint(cluster, ticks, blocks_before_inventory=True)
        snapshots = cluster.snapshots()
        cts = sum(len(s.containers) for s in snapshots.values())
        lengths = frozenset(
            len(cluster.history(node, ctid, series))
            for node, snapshot in snapshots.items()
            for ctid in snapshot.containers
            for series in (CPU, *DEFAULT_RESOURCES)
        )
        keys = max(size for path, size in end.sizes.items() if HISTORY_FIELD.fullmatch(path))
        return LoadRun(len(captures), cts, ticks, before, warm, end, listener, lengths, keys)
    finally:
        await cluster.stop()


def assert_flat(run: LoadRun) -> None:
    """Everything the issue promises: bounded history, no per-tick accumulation anywhere, memory flat."""
    ticks = run.ticks
    assert run.listener.deltas == run.nodes * ticks, "every refresh must reach every node"
    assert run.listener.errors == 0, "the replayed polls must assemble cleanly"
    assert run.listener.touched >= run.cts * ticks // 2, "most CTs must change every tick (the history's worst case)"
    churning = -(-run.nodes // CHURN_EVERY)
    assert run.listener.vanished == churning * (ticks // FRAMES), "the churning CT must vanish once a cycle"

    assert max(run.history_lengths) <= DEFAULT_SAMPLES, f"a history series outgrew its cap: {run.history_lengths}"
    assert DEFAULT_SAMPLES in run.history_lengths, "the rings never filled: the warm-up proves nothing"
    assert run.history_keys <= run.cts, f"history keeps {run.history_keys} CTs for {run.cts} live ones"
    # The ring buffers themselves (the public read above trims what it returns) are arrays in the inventory: an
    # uncapped one grows in length and in bytes, which the checks below refuse.

    grown = {
        path: (run.warm.sizes.get(path, 0), size)
        for path, size in run.end.sizes.items()
        if size > run.warm.sizes.get(path, 0)
    }
    worst = sorted(grown.items(), key=lambda item: item[1][0] - item[1][1])[:10]
    assert not grown, f"{len(grown)} engine containers grew after warm-up (before, after): {worst}"
    assert len(run.end.sizes) <= len(run.warm.sizes), "new engine containers keep appearing"
    assert run.end.tasks <= run.warm.tasks, f"asyncio tasks grew: {run.warm.tasks} -> {run.end.tasks}"
    assert run.end.threads <= run.warm.threads, f"threads grew: {run.warm.threads} -> {run.end.threads}"

    held_bound = HELD_GROWTH_PER_CT * run.cts
    held = run.end.held - run.warm.held
    assert held <= held_bound, f"the engine holds {held:,} B more (bound {held_bound:,}): {run.report()}"
    blocks_bound = max(BLOCKS_GROWTH_FLOOR, int(BLOCKS_GROWTH_PER_NODE_TICK * run.nodes * run.measured_ticks))
    blocks = run.end.blocks - run.warm.blocks
    assert blocks <= blocks_bound, f"{blocks:,} more live blocks (bound {blocks_bound:,}): {run.report()}"
    rss = run.end.rss_mb - run.warm.rss_mb
    assert rss <= RSS_GROWTH_MB, f"RSS grew {rss:.1f} MiB (bound {RSS_GROWTH_MB:g}): {run.report()}"


def load_test(tmp_path: Path, *, nodes: int, cts: int, ticks: int, warmup: int) -> LoadRun:
    """Build, capture (every CHURN_EVERY-th node churns: each churning node costs four more simulator runs) and
    drive the load."""
    sim = build_cluster(tmp_path / "sim", nodes=nodes, cts=cts, seed=3)
    captures = {
        name: capture_node(root, tmp_path / "frames" / name, FRAMES, churn=index % CHURN_EVERY == 0)
        for index, (name, root) in enumerate(sim.nodes.items())
    }
    run = asyncio.run(run_load(captures, tmp_path / "journal", ticks=ticks, warmup=warmup))
    print(f"\nload: {run.report()}")
    return run


def test_five_nodes_refreshed_150_ticks_stay_flat(tmp_path: Path) -> None:
    """The CI guard: 5 nodes x 40 CTs, 150 accelerated ticks (5 simulated minutes)."""
    run = load_test(tmp_path, nodes=5, cts=40, ticks=150, warmup=40)
    assert run.cts == 5 * 40
    assert_flat(run)


@pytest.mark.slow
def test_fifty_nodes_of_200_cts_for_ten_simulated_minutes_stay_flat(tmp_path: Path) -> None:
    """The issue's figure: 50 nodes x 200 CTs, 300 ticks at 2 s (10 simulated minutes)."""
    run = load_test(tmp_path, nodes=50, cts=200, ticks=300, warmup=50)
    assert run.cts == 50 * 200
    assert_flat(run)
