"""Measures taken in a real pty (``ui_pty``): first frame of ``vztui --demo``, bytes per second written to the
terminal (idle and 20 cells changing every 2 s, against ``htop`` in the same pty), and key → paint latency while
10k rows refresh every 2 s.
"""

from __future__ import annotations

import bisect
import json
import os
import random
import re
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.benchmarks.common import REPO, rss_mib
from tests.benchmarks.ui_pty import SYNC_END, PtyProgram, bursts, first_frame, launch

VZTUI = Path(sys.executable).with_name("vztui")
CHILD = Path(__file__).resolve().with_name("ui_child.py")
HTOP = shutil.which("htop")
DOWN = b"\x1b[B"


def _env(scratch: Path) -> dict[str, str]:
    """A clean HOME (no user config for htop or vztui), the demo's cluster inside the scratch directory, and
    bytecode cached under the scratch directory (an installed vztui has its .pyc files; a shell that sets
    PYTHONDONTWRITEBYTECODE would otherwise make every launch compile every edited module again)."""
    home = scratch / "home"
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PYTHONDONTWRITEBYTECODE": "",
        "PYTHONPYCACHEPREFIX": str(scratch.parent / "pycache"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "VZTUI_DEMO_DIR": str(scratch / "demo"),
        "VZTUI_SIM_SPEED": "0",
    }


def prepare_demo(scratch: Path, *, nodes: int = 3, cts: int | None = None) -> float:
    """Build the demo cluster beforehand (``vztui --demo`` builds it on first use): cold start measures the launch,
    not the one-off build. Returns the build's seconds."""
    import subprocess

    began = time.perf_counter()
    code = f"from vztui.demo import prepare_demo; prepare_demo(nodes={nodes}, cts={cts!r})"
    subprocess.run([sys.executable, "-c", code], env={**os.environ, **_env(scratch)}, check=True, cwd=REPO)
    return time.perf_counter() - began


# -- cold start ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Launch:
    first_frame: float | None
    marker_at: float | None
    alt_screen: float | None
    rss_mb: float | None


def launch_demo(
    scratch: Path, *, size: tuple[int, int], args: tuple[str, ...] = (), full_marker: bytes = b"CTID", wait: float = 8.0
) -> Launch:
    """``vztui --demo`` in a fresh pty: when the first frame with visible content arrived (the cluster's name), when
    ``full_marker`` first showed, and the process's RSS at that moment."""
    program = launch([str(VZTUI), "--demo", *args], size=size, env=_env(scratch), cwd=scratch)
    rss = None
    try:
        if program.pump(wait, until=full_marker):
            program.pump(0.3)
            rss = rss_mib(program.process.pid)[0]
    finally:
        program.stop()
    output = program.output
    alt = next((at for at, chunk in program.chunks if b"\x1b[?1049h" in chunk), None)
    return Launch(first_frame(program, b"demo"), first_frame(program, full_marker), alt, rss if output else None)


@dataclass(frozen=True)
class ChildLaunch:
    first_frame: float | None
    full_table: float | None
    rss_mb: float | None
    data_rss_mb: float | None


def child_launch(*, size: tuple[int, int], nodes: int, per_node: int, scratch: Path) -> ChildLaunch:
    """The dashboard over the benchmark engine (all snapshots there from the start): first frame, the first frame
    whose status line counts every row (the full table), and the RSS once the table is full, with the RSS of the
    same process before the app was created (the generated snapshots alone)."""
    total = nodes * per_node
    log_path = scratch / "child-launch.log"
    log_path.unlink(missing_ok=True)
    argv = [sys.executable, str(CHILD), "--mode", "idle", "--nodes", str(nodes), "--per-node", str(per_node)]
    program = launch([*argv, "--log", str(log_path)], size=size, env=_env(scratch), cwd=REPO)
    marker = f"{total}/{total} CTs".encode()
    try:
        _pump_until_log(program, ChildLog(log_path), "ready", 60.0)
        program.pump(0.5)
    finally:
        program.stop()
    ready = next((entry for entry in _read_log(log_path) if "ready" in entry), {})
    return ChildLaunch(
        first_frame(program, b"bench"), first_frame(program, marker), ready.get("rss_mb"), ready.get("engine_rss_mb")
    )


HELLO = """
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("hello from textual")

Hello().run()
"""


def textual_first_frame(size: tuple[int, int], scratch: Path) -> float | None:
    """What Textual itself costs: a one-widget Textual app's first frame on the same pty."""
    program = launch([sys.executable, "-c", HELLO], size=size, env=_env(scratch))
    try:
        program.pump(5.0, until=b"hello from textual")
        program.pump(0.1)
    finally:
        program.stop()
    return first_frame(program, b"hello from textual")


def htop_first_frame(size: tuple[int, int], scratch: Path) -> float | None:
    program = launch([HTOP or "htop"], size=size, env=_env(scratch))
    try:
        program.pump(3.0, until=b"Tasks")
        program.pump(0.1)
    finally:
        program.stop()
    return first_frame(program, b"Tasks")


def python_pass(size: tuple[int, int], scratch: Path) -> float:
    """The floor: this interpreter starting and exiting on the same pty."""
    program = launch([sys.executable, "-c", "pass"], size=size, env=_env(scratch))
    program.process.wait()
    took = time.perf_counter() - program.launched
    program.stop()
    return took


# -- bytes per second -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bytes:
    per_second: float
    window: float
    total: int
    log: list[dict[str, Any]]


def child_bytes(
    mode: str, *, size: tuple[int, int], nodes: int, per_node: int, warmup: float, window: float, scratch: Path
) -> Bytes:
    """The dashboard over the benchmark engine in ``mode`` (idle/active): bytes written over ``window`` seconds,
    counted after the table is full and ``warmup`` seconds have passed."""
    log_path = scratch / f"child-{mode}.log"
    log_path.unlink(missing_ok=True)
    argv = [sys.executable, str(CHILD), "--mode", mode, "--nodes", str(nodes), "--per-node", str(per_node)]
    program = launch([*argv, "--log", str(log_path)], size=size, env=_env(scratch), cwd=REPO)
    try:
        if not _pump_until_log(program, ChildLog(log_path), "ready", 60.0):
            raise RuntimeError(f"ui_child.py --mode {mode} never became ready: {_tail(program)}")
        program.pump(warmup)
        start = time.perf_counter() - program.launched
        program.pump(window)
        end = time.perf_counter() - program.launched
    finally:
        program.stop()
    total = program.bytes_between(start, end)
    return Bytes(total / (end - start), end - start, total, _read_log(log_path))


def htop_bytes(*, size: tuple[int, int], warmup: float, window: float, scratch: Path) -> Bytes:
    program = launch([HTOP or "htop"], size=size, env=_env(scratch))
    try:
        program.pump(warmup)
        start = time.perf_counter() - program.launched
        program.pump(window)
        end = time.perf_counter() - program.launched
    finally:
        program.stop()
    total = program.bytes_between(start, end)
    return Bytes(total / (end - start), end - start, total, [])


# -- key latency ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    latencies_ms: list[float]
    ticks: int
    rss_mb: float | None
    keys_sent: int
    peak_rss_mb: float | None = None
    full_table_s: float | None = None

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def key_latency(
    *,
    size: tuple[int, int],
    nodes: int,
    per_node: int,
    seconds: float,
    scratch: Path,
    seed: int = 5,
    replay: Path | None = None,
) -> Keys:
    """Cursor-down keys typed into the pty at random moments while 5 % of the table's cells change every 2 s (or,
    with ``replay``, while vztui's real engine replays captured polls: see ``ui_child``).

    A key's latency runs from the parent's write of the key to the arrival of the end of the first frame that shows
    the cursor moved (the child names that frame by its number; the parent numbers the frame ends it reads).
    """
    rng = random.Random(seed)
    log_path = scratch / "child-keys.log"
    log_path.unlink(missing_ok=True)
    argv = [sys.executable, str(CHILD), "--mode", "load", "--nodes", str(nodes), "--per-node", str(per_node)]
    if replay is not None:
        argv = [sys.executable, str(CHILD), "--mode", "replay", "--replay", str(replay)]
    program = launch([*argv, "--log", str(log_path)], size=size, env=_env(scratch), cwd=REPO)
    sent: list[float] = []
    child_log = ChildLog(log_path)
    try:
        if not _pump_until_log(program, child_log, "ready", 180.0):
            raise RuntimeError(f"ui_child.py {' '.join(argv[2:4])} never became ready: {_tail(program)}")
        program.pump(1.0)
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            program.pump(rng.uniform(0.05, 0.25))
            sent.append(program.send(DOWN))
            if not _pump_until_log(program, child_log, "cursor_frame", 10.0, count=len(sent)):
                raise RuntimeError(f"key {len(sent)} was never painted: {_tail(program)}")
        program.pump(0.2)
    finally:
        program.stop()
    log = _read_log(log_path)
    frames = [entry["cursor_frame"] for entry in log if "cursor_frame" in entry]
    ends = _sync_end_times(program)
    latencies = [(ends[frame - 1] - at) * 1000 for at, frame in zip(sent, frames, strict=False) if frame <= len(ends)]
    ticks = max((entry.get("ticks", 0) for entry in log), default=0)
    rss = next((entry["rss_mb"] for entry in log if "ready" in entry), None)
    last = max((entry["rss_mb"] for entry in log if "rss_mb" in entry), default=None)
    full = next((entry["full_table_s"] for entry in log if "full_table_s" in entry), None)
    written = next((entry["frames_total"] for entry in log if "frames_total" in entry), None)
    if written is not None and written != len(ends):
        raise RuntimeError(f"frame count mismatch: the child wrote {written} frames, the terminal read {len(ends)}")
    return Keys(latencies, ticks, rss, len(sent), last, full)


def htop_key_latency(*, size: tuple[int, int], seconds: float, scratch: Path, seed: int = 5) -> list[float]:
    """The same keys typed into htop in the same pty: latency to the end of the first write after the key (htop
    repaints on a key; its periodic repaint every 1.5 s could be taken for the key's only if it came first)."""
    rng = random.Random(seed)
    program = launch([HTOP or "htop"], size=size, env=_env(scratch))
    sent: list[float] = []
    try:
        program.pump(1.5)
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            program.pump(rng.uniform(0.05, 0.25))
            before = len(program.chunks)
            sent.append(program.send(DOWN))
            deadline = time.perf_counter() + 5.0
            while len(program.chunks) == before and time.perf_counter() < deadline:
                program.pump(0.002)
        program.pump(0.1)
    finally:
        program.stop()
    writes = bursts(program.chunks)
    latencies = []
    for at in sent:
        after = next((end for start, end, _ in writes if start >= at), None)
        if after is not None:
            latencies.append((after - at) * 1000)
    return latencies


def _sync_end_times(program: PtyProgram) -> list[float]:
    """Arrival time of every synchronized-frame end, in order (a marker split across reads counts when complete)."""
    ends: list[int] = []
    offset = 0
    for _, chunk in program.chunks:
        offset += len(chunk)
        ends.append(offset)
    stream = program.output
    times = []
    for match in re.finditer(re.escape(SYNC_END), stream):
        times.append(program.chunks[bisect.bisect_left(ends, match.end())][0])
    return times


# -- helpers --------------------------------------------------------------------------------------------------------


def _read_log(path: Path) -> list[dict[str, Any]]:
    return ChildLog(path).entries()


class ChildLog:
    """The child's JSON-lines log, read incrementally (the parent polls it between keys without re-reading it)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = 0
        self._entries: list[dict[str, Any]] = []

    def entries(self) -> list[dict[str, Any]]:
        if self._path.exists():
            with self._path.open("rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
            complete = data[: data.rfind(b"\n") + 1]
            self._offset += len(complete)
            self._entries.extend(json.loads(line) for line in complete.splitlines() if line.strip())
        return self._entries

    def count(self, key: str) -> int:
        return sum(1 for entry in self.entries() if key in entry)


def _pump_until_log(program: PtyProgram, log: ChildLog, key: str, seconds: float, *, count: int = 1) -> bool:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if log.count(key) >= count:
            return True
        if program.process.poll() is not None:
            return False
        program.pump(0.005)
    return False


def _tail(program: PtyProgram) -> str:
    text = re.sub(rb"\x1b\[[0-9;?<>$]*[a-zA-Z~]", b"", program.output[-3000:]).decode("utf-8", "replace")
    return " ".join(text.split())[-400:]


def median(values: list[float]) -> float:
    return statistics.median(values)
