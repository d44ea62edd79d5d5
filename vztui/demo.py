"""``vztui --demo``: a simulated cluster (built once per nodes/cts/seed and reused), its kernel ticker, and the
NodeSpecs that point the real backend at it through the local transport.

This is the only production module that imports ``vztui.sim``; everything downstream sees ordinary nodes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from vztui.backend.nodespec import NodeSpec, TransportKind

DEMO_DIR_ENV = "VZTUI_DEMO_DIR"
COMPLETE_MARKER = "demo.json"
"""Written last: the node layout; its presence means the cluster was built completely."""
MAX_NODES = 64
MAX_CTS = 20000
KERNEL_INTERVAL = 1.0
"""Seconds between /proc rewrites by the simulator's kernel ticker (the backend polls every ``refresh``)."""


class DemoError(ValueError):
    """Bad demo parameters (shown as a usage error)."""


@dataclass(frozen=True, slots=True)
class Demo:
    directory: Path
    specs: tuple[NodeSpec, ...]

    @property
    def journal_dir(self) -> Path:
        """The demo journals next to its cluster: never into the user's real journal."""
        return self.directory / "journal"


def demo_base() -> Path:
    """``$VZTUI_DEMO_DIR`` or the platformdirs user cache directory."""
    if os.environ.get(DEMO_DIR_ENV):
        return Path(os.environ[DEMO_DIR_ENV]).expanduser()
    from platformdirs import user_cache_path

    return user_cache_path("vztui") / "demo"


def demo_directory(nodes: int, cts: int | None, seed: int) -> Path:
    return demo_base() / f"nodes{nodes}-cts{'default' if cts is None else cts}-seed{seed}"


def demo_journal_dir(nodes: int, cts: int | None, seed: int) -> Path:
    return demo_directory(nodes, cts, seed) / "journal"


def _check(nodes: int, cts: int | None, seed: int) -> None:
    if not 1 <= nodes <= MAX_NODES:
        raise DemoError(f"--nodes: must be between 1 and {MAX_NODES}, got {nodes}")
    if cts is not None and not 0 <= cts <= MAX_CTS:
        raise DemoError(f"--cts: must be between 0 and {MAX_CTS}, got {cts}")
    if seed < 0:
        raise DemoError(f"--seed: must be 0 or more, got {seed}")


@contextlib.contextmanager
def _build_lock(directory: Path) -> Iterator[None]:
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / f".{directory.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_demo(*, nodes: int = 3, cts: int | None = None, seed: int = 0) -> Demo:
    """The demo cluster for these parameters, built on first use (a half-built one is rebuilt)."""
    _check(nodes, cts, seed)
    directory = demo_directory(nodes, cts, seed)
    marker = directory / COMPLETE_MARKER
    if not marker.exists():
        with _build_lock(directory):
            if not marker.exists():
                from vztui.sim.cluster import build_cluster

                # The node wrappers embed their ROOT, so the cluster is built in place (not renamed into place).
                shutil.rmtree(directory, ignore_errors=True)
                directory.mkdir(parents=True)
                cluster = build_cluster(directory / "cluster", nodes=nodes, cts=cts, seed=seed)
                layout = {name: [str(root), str(cluster.bin_dir(name))] for name, root in cluster.nodes.items()}
                marker.write_text(json.dumps(layout, indent=1), encoding="utf-8")
    return Demo(directory, tuple(_specs(marker)))


def _specs(marker: Path) -> list[NodeSpec]:
    """NodeSpecs from the layout recorded when the cluster was built (name → ROOT, ROOT/bin)."""
    layout: dict[str, list[str]] = json.loads(marker.read_text(encoding="utf-8"))
    return [
        NodeSpec(name=name, host=name, transport=TransportKind.LOCAL, root_prefix=root, path=bin_dir, refresh=2.0)
        for name, (root, bin_dir) in layout.items()
    ]


def _parent_death_signal() -> Callable[[], None] | None:
    """A preexec function making the child get SIGTERM when vztui dies, even by SIGKILL (Linux PR_SET_PDEATHSIG).

    libc is loaded here, in the parent, so the child only makes one system call between fork and exec.
    """
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, signal.SIGTERM)


@contextlib.contextmanager
def kernel_ticker(demo: Demo, *, interval: float = KERNEL_INTERVAL) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``vztui-sim kernel`` over the demo cluster for the duration of the block; it dies with vztui."""
    argv = [
        sys.executable,
        "-c",
        "import sys; from vztui.sim.cli import main; sys.exit(main(sys.argv[1:]))",
        "kernel",
        str(demo.directory / "cluster"),
        "--interval",
        str(interval),
    ]
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_parent_death_signal(),  # noqa: PLW1509 - one prctl call, nothing that could take a lock
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
