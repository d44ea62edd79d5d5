"""What changed between two snapshots of one node: changed fields per CT, appeared and vanished CTs, failcnt
increases and near-limit resources.

Cheap by construction: the poller reuses the previous tick's Container (and Beancounter) objects when nothing
about them changed, so the common case is an identity check per CT; fields are compared only for CTs that were
rebuilt. Near-limit findings are cached per Container object for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from collections.abc import Set as AbstractSet
from dataclasses import fields
from operator import attrgetter
from types import MappingProxyType

from vztui.backend.gcpause import paused_collector
from vztui.backend.snapshot import (
    NEAR_LIMIT_RATIO,
    FailcntIncrease,
    NearLimit,
    NodeDelta,
    NodeSnapshot,
)
from vztui.openvz.models import Beancounter, BeancounterTable, Container
from vztui.openvz.units import INT_MAX, LONG_MAX

_CONTAINER_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Container) if f.name != "resources")

_read_fields = attrgetter(*_CONTAINER_FIELDS)

NearCache = MutableMapping[int, tuple[Container, tuple[NearLimit, ...]]]
"""ctid → (the Container object the findings were computed for, its near-limit findings)."""


@paused_collector
def compute_delta(
    prev: NodeSnapshot | None,
    cur: NodeSnapshot,
    *,
    near_cache: NearCache | None = None,
    counters_only: AbstractSet[int] = frozenset(),
) -> NodeDelta:
    """The delta from ``prev`` (None on the first tick: everything appeared) to ``cur``.

    ``changed`` names Container fields, ``resources`` when any beancounter changed, and ``cpu_percent``.
    ``near_limit`` is the complete current list (not only new entries), so a "failing now" view can show it as is.
    Pass the same ``near_cache`` every tick of one node to skip recomputing unchanged CTs. ``counters_only`` names
    CTs known to differ only in beancounters (and numproc, which follows them): their other fields are not compared.
    """
    cache: NearCache = near_cache if near_cache is not None else {}
    health_changed = prev is None or prev.health is not cur.health or prev.error != cur.error
    near = _near_limits(cur, cache)
    if prev is None:
        return NodeDelta(
            node=cur.node,
            snapshot=cur,
            appeared=frozenset(cur.containers),
            health_changed=health_changed,
            near_limit=near,
        )
    old = prev.containers
    new = cur.containers
    appeared = frozenset(ctid for ctid in new if ctid not in old)
    vanished = frozenset(ctid for ctid in old if ctid not in new)
    changed: dict[int, frozenset[str]] = {}
    increases: list[FailcntIncrease] = []
    old_cpu = prev.cpu_percent
    new_cpu = cur.cpu_percent
    for ctid, container in new.items():
        before = old.get(ctid)
        if before is None:
            continue
        names: list[str] = []
        if before is not container:
            names = (
                _changed_counters(before, container) if ctid in counters_only else _changed_fields(before, container)
            )
            if before.resources is not container.resources:
                rising = _failcnt_increases(cur.node, ctid, before.resources, container.resources, cur.taken_at)
                increases.extend(rising)
        if old_cpu.get(ctid) != new_cpu.get(ctid):
            names.append("cpu_percent")
        if names:
            changed[ctid] = frozenset(names)
    return NodeDelta(
        node=cur.node,
        snapshot=cur,
        appeared=appeared,
        vanished=vanished,
        changed=MappingProxyType(changed),
        failcnt_increases=tuple(increases),
        near_limit=near,
        health_changed=health_changed,
    )


def _changed_fields(before: Container, after: Container) -> list[str]:
    # All fields at once at C speed first: most rebuilt CTs differ in one or two fields (a disk usage, a counter).
    old_values, new_values = _read_fields(before), _read_fields(after)
    if old_values == new_values:
        names = []
    else:
        names = [name for name, old, new in zip(_CONTAINER_FIELDS, old_values, new_values, strict=True) if old != new]
    return names + _changed_counters(before, after, numproc=False)


def _changed_counters(before: Container, after: Container, *, numproc: bool = True) -> list[str]:
    names = ["numproc"] if numproc and before.numproc != after.numproc else []
    old, new = before.resources, after.resources
    if isinstance(old, BeancounterTable) and isinstance(new, BeancounterTable):
        if old is not new and (old.names != new.names or old.numbers != new.numbers):
            names.append("resources")
        return names
    # Identity first: an unchanged beancounter is usually the very same object; equality only when it is not.
    if old is not new and (
        len(old) != len(new) or any((other := new.get(name)) is not bc and other != bc for name, bc in old.items())
    ):
        names.append("resources")
    return names


def _failcnt_increases(
    node: str,
    ctid: int,
    before: Mapping[str, Beancounter],
    after: Mapping[str, Beancounter],
    at: float,
) -> Iterable[FailcntIncrease]:
    if isinstance(before, BeancounterTable) and isinstance(after, BeancounterTable) and before.names == after.names:
        old_counts, new_counts = before.failcnts(), after.failcnts()
        if old_counts != new_counts:
            for resource, old_count, new_count in zip(after.names, old_counts, new_counts, strict=True):
                if new_count > old_count:
                    yield FailcntIncrease(node, ctid, resource, old_count, new_count, at)
        return
    for resource, bc in after.items():
        old = before.get(resource)
        if old is None or old is bc:
            continue
        if bc.failcnt > old.failcnt:
            yield FailcntIncrease(node, ctid, resource, old.failcnt, bc.failcnt, at)


def near_limits_of(node: str, container: Container) -> tuple[NearLimit, ...]:
    """Every resource of ``container`` at or above NEAR_LIMIT_RATIO of its effective limit."""
    found: list[NearLimit] = []
    resources = container.resources
    if isinstance(resources, BeancounterTable):
        numbers = resources.numbers
        for resource, held, barrier, limit in zip(
            resources.names, numbers[0::5], numbers[2::5], numbers[3::5], strict=True
        ):
            bound = barrier if 0 < barrier < INT_MAX or INT_MAX < barrier < LONG_MAX else limit
            if not 0 < bound < LONG_MAX or bound == INT_MAX or held < bound * NEAR_LIMIT_RATIO:
                continue
            found.append(NearLimit(node, container.ctid, resource, held / bound))
        return tuple(found)
    for resource, bc in resources.items():
        # Beancounter.usage_ratio, inlined: this runs for every changed CT on every tick.
        bound = bc.barrier if 0 < bc.barrier < INT_MAX or INT_MAX < bc.barrier < LONG_MAX else bc.limit
        if not 0 < bound < LONG_MAX or bound == INT_MAX or bc.held < bound * NEAR_LIMIT_RATIO:
            continue
        found.append(NearLimit(node, container.ctid, resource, bc.held / bound))
    return tuple(found)


def _near_limits(snapshot: NodeSnapshot, cache: NearCache) -> tuple[NearLimit, ...]:
    result: list[NearLimit] = []
    live = snapshot.containers
    for ctid, container in live.items():
        hit = cache.get(ctid)
        if hit is not None and hit[0] is container:
            found = hit[1]
        else:
            found = near_limits_of(snapshot.node, container) if container.resources else ()
            cache[ctid] = (container, found)
        if found:
            result.extend(found)
    if len(cache) > len(live):
        for ctid in [ctid for ctid in cache if ctid not in live]:
            del cache[ctid]
    return tuple(result)
