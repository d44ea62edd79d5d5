"""The "failing now" ranking: CTs whose failcnt rose recently or whose resources sit at ≥ 90 % of their barrier,
most urgent first. Pure: fed with the increases and near-limit findings the engine's deltas carry.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from vztui.backend.snapshot import FailcntIncrease, NearLimit, NodeSnapshot

RECENT_WINDOW = 300.0
"""How long a failcnt rise keeps a CT in the view (seconds)."""
HOT_WINDOW = 60.0
"""Rises within this many seconds rank above older ones."""


@dataclass(frozen=True, slots=True)
class ResourceRise:
    resource: str
    increase: int
    """failcnt growth within the window."""
    events: int
    last_at: float
    failcnt: int


@dataclass(frozen=True, slots=True)
class FailingEntry:
    node: str
    ctid: int
    name: str
    hostname: str
    rises: tuple[ResourceRise, ...]
    near: tuple[NearLimit, ...]
    now: float

    @property
    def key(self) -> str:
        return f"{self.node}/{self.ctid}"

    @property
    def last_rise(self) -> float | None:
        return max((rise.last_at for rise in self.rises), default=None)

    @property
    def hot(self) -> bool:
        last = self.last_rise
        return last is not None and self.now - last <= HOT_WINDOW

    @property
    def total_increase(self) -> int:
        return sum(rise.increase for rise in self.rises)

    @property
    def max_ratio(self) -> float:
        return max((near.ratio for near in self.near), default=0.0)

    @property
    def severity(self) -> tuple[bool, bool, int, float]:
        """Hot rises first, then any rise in the window, then by how much, then how full."""
        return (self.hot, bool(self.rises), self.total_increase, self.max_ratio)

    @property
    def level(self) -> str:
        if self.hot:
            return "critical"
        if self.rises or self.max_ratio >= 1.0:
            return "error"
        return "warning"


@dataclass(slots=True)
class FailcntLog:
    """A bounded, time-windowed memory of failcnt increases across the cluster (fed by every delta)."""

    window: float = RECENT_WINDOW
    _events: deque[FailcntIncrease] = field(default_factory=deque)

    def add(self, increases: Iterable[FailcntIncrease]) -> None:
        self._events.extend(increases)

    def prune(self, now: float) -> None:
        horizon = now - self.window
        events = self._events
        while events and events[0].at < horizon:
            events.popleft()

    def recent(self, now: float) -> list[FailcntIncrease]:
        self.prune(now)
        return list(self._events)

    def failing_keys(self, now: float) -> set[str]:
        return {f"{event.node}/{event.ctid}" for event in self.recent(now)}


def rank_failing(
    snapshots: Mapping[str, NodeSnapshot],
    increases: Iterable[FailcntIncrease],
    near_limit: Mapping[str, tuple[NearLimit, ...]],
    *,
    now: float,
) -> list[FailingEntry]:
    """Every failing CT across the cluster, most severe first; ties break by CTID then node."""
    rises: dict[tuple[str, int], dict[str, list[FailcntIncrease]]] = {}
    for event in increases:
        rises.setdefault((event.node, event.ctid), {}).setdefault(event.resource, []).append(event)
    nears: dict[tuple[str, int], list[NearLimit]] = {}
    for node, found in near_limit.items():
        for near in found:
            nears.setdefault((node, near.ctid), []).append(near)
    entries: list[FailingEntry] = []
    for node, ctid in rises.keys() | nears.keys():
        snapshot = snapshots.get(node)
        container = snapshot.containers.get(ctid) if snapshot is not None else None
        if container is None:
            continue
        by_resource = rises.get((node, ctid), {})
        resource_rises = tuple(
            sorted(
                (
                    ResourceRise(
                        resource=resource,
                        increase=sum(event.increase for event in events),
                        events=len(events),
                        last_at=max(event.at for event in events),
                        failcnt=max(event.current for event in events),
                    )
                    for resource, events in by_resource.items()
                ),
                key=lambda rise: (-rise.last_at, -rise.increase, rise.resource),
            )
        )
        entries.append(
            FailingEntry(
                node=node,
                ctid=ctid,
                name=container.name or "",
                hostname=container.hostname or "",
                rises=resource_rises,
                near=tuple(sorted(nears.get((node, ctid), ()), key=lambda near: -near.ratio)),
                now=now,
            )
        )
    entries.sort(key=lambda entry: (entry.ctid, entry.node))
    entries.sort(key=lambda entry: entry.severity, reverse=True)
    return entries


def format_age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(seconds)}s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    return f"{int(seconds // 3600)}h ago"
