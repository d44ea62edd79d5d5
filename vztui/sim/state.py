"""The simulated kernel's runtime state of one node (what is running, mounted, since when), shared by processes.

Everything a real node keeps in kernel memory (running VEs, mounted ploop devices, start times, snapshots in use)
lives in one JSON file under ``ROOT/var/lib/vzsim/``. Readers take a shared ``fcntl`` lock, writers an exclusive
one for the whole read-modify-write, and the file is replaced atomically (tmp + rename), so any number of tool
processes and sshd sessions agree on it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_DIR = "var/lib/vzsim"
"""Where, relative to ROOT, the simulator keeps what a real node holds in kernel memory."""
STATE_FILE = "state.json"
STATE_LOCK = "state.lock"
STATE_VERSION = 1


@dataclass(slots=True)
class SnapshotRecord:
    """One ploop snapshot as ``snapshot-list`` shows it; ``uuid`` keeps its braces (``{xxxxxxxx-...}``)."""

    uuid: str
    parent_uuid: str = ""
    date: str = ""
    name: str = ""
    desc: str = ""


@dataclass(slots=True)
class CtRuntime:
    """The kernel-side state of one container. Absent from the state file means stopped and unmounted.

    ``suspended`` is deliberately not here: like vzctl, the simulator derives it from ``DUMPDIR/Dump.CTID``.
    """

    running: bool = False
    mounted: bool = False
    started_at: float | None = None
    """Wall-clock time (``time.time()``) of the last start; the uptime and all load figures count from it."""
    ploop_minor: int | None = None
    """N of ``/dev/ploopN`` while the image is mounted."""
    snapshots: list[SnapshotRecord] = field(default_factory=list)
    current_snapshot: str = ""
    """UUID of the snapshot the top delta is based on (``*`` in snapshot-list), empty when none."""
    snapshot_mounts: dict[str, str] = field(default_factory=dict)
    """Snapshot UUID → node path it is mounted at (snapshot-mount)."""
    kernel: dict[str, Any] = field(default_factory=dict)
    """Owned by the kernel model (failcnt/maxheld carried across limit changes); other code leaves it alone."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form per-CT data for tools that need more (JSON-serialisable values only)."""

    @property
    def idle(self) -> bool:
        """True when nothing about this CT needs remembering (it can be dropped from the state file)."""
        return not (self.running or self.mounted or self.snapshots or self.snapshot_mounts or self.extra)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CtRuntime:
        snapshots = [SnapshotRecord(**item) for item in data.get("snapshots", [])]
        return cls(
            running=bool(data.get("running", False)),
            mounted=bool(data.get("mounted", False)),
            started_at=data.get("started_at"),
            ploop_minor=data.get("ploop_minor"),
            snapshots=snapshots,
            current_snapshot=str(data.get("current_snapshot", "")),
            snapshot_mounts=dict(data.get("snapshot_mounts", {})),
            kernel=dict(data.get("kernel", {})),
            extra=dict(data.get("extra", {})),
        )


@dataclass(slots=True)
class NodeState:
    """The whole node's runtime state. Mutate it only inside ``SimNode.transaction()``."""

    cts: dict[int, CtRuntime] = field(default_factory=dict)
    generation: int = 0
    """Bumped on every committed write: /proc producers use it to notice that something changed."""
    extra: dict[str, Any] = field(default_factory=dict)

    def ct(self, ctid: int) -> CtRuntime:
        """The runtime record of ``ctid``, created (stopped, unmounted) if absent."""
        runtime = self.cts.get(ctid)
        if runtime is None:
            runtime = self.cts[ctid] = CtRuntime()
        return runtime

    def peek(self, ctid: int) -> CtRuntime:
        """The runtime record of ``ctid`` without adding it (a fresh stopped record when absent)."""
        return self.cts.get(ctid) or CtRuntime()

    def forget(self, ctid: int) -> None:
        """Drop everything the kernel knew about ``ctid`` (destroy, migrated away)."""
        self.cts.pop(ctid, None)

    def running_ctids(self) -> list[int]:
        return sorted(ctid for ctid, rt in self.cts.items() if rt.running)

    def used_ploop_minors(self) -> set[int]:
        return {rt.ploop_minor for rt in self.cts.values() if rt.ploop_minor is not None}

    def to_json(self) -> dict[str, Any]:
        cts = {str(ctid): rt.to_json() for ctid, rt in sorted(self.cts.items()) if not rt.idle or rt.kernel}
        return {"version": STATE_VERSION, "generation": self.generation, "cts": cts, "extra": self.extra}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NodeState:
        cts = {int(key): CtRuntime.from_json(value) for key, value in data.get("cts", {}).items()}
        return cls(cts=cts, generation=int(data.get("generation", 0)), extra=dict(data.get("extra", {})))


class StateStore:
    """Load and save a node's ``NodeState`` under file locks. One instance per process is enough."""

    def __init__(self, root: Path) -> None:
        self.directory = root / STATE_DIR
        self.path = self.directory / STATE_FILE
        self._lock_path = self.directory / STATE_LOCK

    def read(self) -> NodeState:
        """A consistent snapshot (shared lock; writers replace the file atomically anyway)."""
        with self._locked(fcntl.LOCK_SH):
            return self._load()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[NodeState]:
        """Exclusive read-modify-write: the state is saved on normal exit and discarded on an exception."""
        with self._locked(fcntl.LOCK_EX):
            state = self._load()
            yield state
            state.generation += 1
            self._save(state)

    def generation(self) -> int:
        """The generation number, read cheaply (used to decide whether /proc needs rewriting)."""
        return self.read().generation

    @contextlib.contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)

    def _load(self) -> NodeState:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return NodeState()
        try:
            return NodeState.from_json(json.loads(text))
        except (ValueError, TypeError, KeyError, AttributeError):
            # A hand-edited or truncated file: keep it for inspection and boot with nothing running, as a real node
            # comes back from a crash.
            with contextlib.suppress(FileNotFoundError):
                self.path.replace(self.path.with_name(f"{STATE_FILE}.corrupt"))
            return NodeState()

    def _save(self, state: NodeState) -> None:
        tmp = self.path.with_name(f"{STATE_FILE}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(state.to_json(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
