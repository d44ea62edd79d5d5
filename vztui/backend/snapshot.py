"""What one poll of one node produced (``NodeSnapshot``) and what changed since the previous one (``NodeDelta``).

Snapshots are immutable; the UI keeps the latest per node and applies deltas to its widgets, so nothing is ever
re-rendered wholesale.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from vztui.openvz.models import (
    Container,
    FsUsage,
    LoadAvg,
    MemInfo,
    NodeInfo,
    QuotaUsage,
    VeStat,
)

NEAR_LIMIT_RATIO = 0.9
"""A resource at or above this share of its barrier counts as "near the limit" (failing-now view, gauges)."""


class NodeHealth(enum.StrEnum):
    UP = "up"
    STALE = "stale"
    """The last poll failed; the data shown is from ``taken_at``."""
    UNREACHABLE = "unreachable"
    """Never polled successfully, or the transport gave up; ``error`` says why."""


@dataclass(frozen=True, slots=True)
class NodeSnapshot:
    """Everything one tick learned about one node.

    ``containers`` carries beancounters merged from /proc (held values of running CTs) over vzlist's config view.
    ``cpu_percent`` is per CT, from the vestat delta against the previous tick (absent on the first tick).
    """

    node: str
    taken_at: float
    health: NodeHealth
    containers: Mapping[int, Container] = field(default_factory=lambda: MappingProxyType({}))
    vestat: Mapping[int, VeStat] = field(default_factory=lambda: MappingProxyType({}))
    quota: Mapping[int, QuotaUsage] = field(default_factory=lambda: MappingProxyType({}))
    cpu_percent: Mapping[int, float] = field(default_factory=lambda: MappingProxyType({}))
    started_at: Mapping[int, float] = field(default_factory=lambda: MappingProxyType({}))
    """When each running CT started (epoch seconds, from vestat), stable between ticks: show uptime as
    ``now - started_at[ctid]`` (``uptime()``); the poller leaves ``Container.uptime`` alone so it never churns."""
    meminfo: MemInfo | None = None
    loadavg: LoadAvg | None = None
    filesystems: tuple[FsUsage, ...] = ()
    info: NodeInfo | None = None
    error: str = ""
    poll_duration: float = 0.0
    round_trips: int = 0
    """SSH round trips this tick took (the design promises 1)."""

    def uptime(self, ctid: int, now: float | None = None) -> float | None:
        """Seconds since CT ``ctid`` started, or None when it is not running (or not known)."""
        started = self.started_at.get(ctid)
        if started is None:
            return None
        return max(0.0, (time.time() if now is None else now) - started)

    @property
    def running_count(self) -> int:
        return sum(1 for ct in self.containers.values() if ct.running)


@dataclass(frozen=True, slots=True)
class FailcntIncrease:
    """A beancounter whose failcnt rose since the previous tick: the kernel refused allocations just now."""

    node: str
    ctid: int
    resource: str
    previous: int
    current: int
    at: float

    @property
    def increase(self) -> int:
        return self.current - self.previous


@dataclass(frozen=True, slots=True)
class NearLimit:
    """A resource whose held value is at or above NEAR_LIMIT_RATIO of its effective limit."""

    node: str
    ctid: int
    resource: str
    ratio: float


@dataclass(frozen=True, slots=True)
class NodeDelta:
    """The difference between two consecutive snapshots of one node.

    ``changed`` maps CTID → the names of the Container fields (and ``"cpu_percent"``) whose values differ, so a
    table can update just those cells.
    """

    node: str
    snapshot: NodeSnapshot
    appeared: frozenset[int] = frozenset()
    vanished: frozenset[int] = frozenset()
    changed: Mapping[int, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    failcnt_increases: tuple[FailcntIncrease, ...] = ()
    near_limit: tuple[NearLimit, ...] = ()
    health_changed: bool = False

    @property
    def empty(self) -> bool:
        return not (self.appeared or self.vanished or self.changed or self.failcnt_increases or self.health_changed)
