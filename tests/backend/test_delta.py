"""compute_delta: appeared/vanished/changed, failcnt increases, near-limit, and the identity fast path."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from vztui.backend.delta import compute_delta
from vztui.backend.history import CPU, History
from vztui.backend.snapshot import NodeHealth, NodeSnapshot
from vztui.openvz.models import Beancounter, Container, CtStatus
from vztui.openvz.units import LONG_MAX


def bc(resource: str, held: int, barrier: int = 1000, limit: int = 1000, failcnt: int = 0) -> Beancounter:
    return Beancounter(resource, held, held, barrier, limit, failcnt)


def ct(ctid: int, *, status: CtStatus = CtStatus.RUNNING, **counters: Beancounter) -> Container:
    return Container(ctid=ctid, status=status, hostname=f"ct{ctid}", resources=MappingProxyType(counters))


def snap(
    *containers: Container, cpu: dict[int, float] | None = None, health: NodeHealth = NodeHealth.UP
) -> NodeSnapshot:
    return NodeSnapshot(
        node="hn1",
        taken_at=100.0,
        health=health,
        containers=MappingProxyType({c.ctid: c for c in containers}),
        cpu_percent=MappingProxyType(cpu or {}),
    )


def test_first_tick_everything_appeared() -> None:
    delta = compute_delta(None, snap(ct(101), ct(102)))
    assert delta.appeared == {101, 102} and delta.health_changed and not delta.changed


def test_unchanged_container_objects_produce_an_empty_delta() -> None:
    a, b = ct(101, numproc=bc("numproc", 10)), ct(102)
    delta = compute_delta(snap(a, b), snap(a, b))
    assert delta.empty
    assert delta.changed == {}


def test_changed_fields_are_named_per_ctid() -> None:
    before = ct(101, numproc=bc("numproc", 10))
    after = dataclasses.replace(before, hostname="renamed", status=CtStatus.STOPPED)
    delta = compute_delta(snap(before, ct(102)), snap(after, ct(103)))
    assert delta.changed[101] == {"hostname", "status"}
    assert delta.appeared == {103} and delta.vanished == {102}


def test_equal_but_rebuilt_container_is_not_reported() -> None:
    before = ct(101, numproc=bc("numproc", 10))
    rebuilt = ct(101, numproc=bc("numproc", 10))
    assert rebuilt is not before
    assert compute_delta(snap(before), snap(rebuilt)).changed == {}


def test_failcnt_increase_is_flagged_once_per_tick() -> None:
    t0 = ct(101, kmemsize=bc("kmemsize", 500, failcnt=3), numproc=bc("numproc", 5))
    t1 = ct(101, kmemsize=bc("kmemsize", 600, failcnt=7), numproc=bc("numproc", 5))
    t2 = ct(101, kmemsize=bc("kmemsize", 600, failcnt=7), numproc=bc("numproc", 6))
    first = compute_delta(snap(t0), snap(t1))
    assert [(f.ctid, f.resource, f.previous, f.current, f.increase) for f in first.failcnt_increases] == [
        (101, "kmemsize", 3, 7, 4)
    ]
    assert "resources" in first.changed[101]
    assert compute_delta(snap(t1), snap(t2)).failcnt_increases == ()


def test_near_limit_lists_resources_at_or_above_ninety_percent_of_their_limit() -> None:
    vswap = bc("physpages", 950, barrier=0, limit=1000)
    unlimited = bc("numfile", 10**6, barrier=LONG_MAX, limit=LONG_MAX)
    low = bc("numproc", 10, barrier=100, limit=100)
    delta = compute_delta(None, snap(ct(101, physpages=vswap, numfile=unlimited, numproc=low)))
    assert [(n.ctid, n.resource, round(n.ratio, 2)) for n in delta.near_limit] == [(101, "physpages", 0.95)]


def test_near_limit_cache_reuses_findings_for_the_same_container_object() -> None:
    cache: dict[int, tuple[Container, tuple[object, ...]]] = {}
    hot = ct(101, physpages=bc("physpages", 990, barrier=0, limit=1000))
    compute_delta(None, snap(hot), near_cache=cache)  # type: ignore[arg-type]
    sentinel = cache[101][1]
    again = compute_delta(snap(hot), snap(hot), near_cache=cache)  # type: ignore[arg-type]
    assert cache[101][1] is sentinel and len(again.near_limit) == 1
    compute_delta(snap(hot), snap(ct(102)), near_cache=cache)  # type: ignore[arg-type]
    assert 101 not in cache


def test_cpu_percent_change_is_reported_without_rebuilding_the_container() -> None:
    a = ct(101)
    delta = compute_delta(snap(a, cpu={101: 1.0}), snap(a, cpu={101: 55.5}))
    assert delta.changed[101] == {"cpu_percent"}


def test_health_change_is_reported() -> None:
    a = ct(101)
    delta = compute_delta(snap(a), snap(a, health=NodeHealth.STALE))
    assert delta.health_changed and not delta.empty


def test_history_is_bounded_and_pads_untouched_ticks() -> None:
    history = History(samples=5, resources=("numproc",))
    for tick in range(8):
        container = ct(101, numproc=bc("numproc", tick))
        history.record(snap(container, cpu={101: tick * 10.0}), changed=[101] if tick < 6 else [])
    assert history.get("hn1", 101, "numproc") == [3, 4, 5, 5, 5]
    assert history.get("hn1", 101, CPU) == [30, 40, 50, 50, 50]
    history.record(snap(ct(102)), changed=[102])
    assert history.get("hn1", 101, "numproc") == []


def test_history_keeps_values_beyond_32_bits_exactly() -> None:
    history = History(samples=4, resources=("kmemsize",))
    big = 5 * 2**30  # a kmemsize of 5 GiB does not fit the compact 32-bit series
    for tick, held in enumerate((1000, 2000, big, big + 1)):
        history.record(snap(ct(101, kmemsize=bc("kmemsize", held))), changed=[101])
        assert history.get("hn1", 101, "kmemsize")[-1] == held, tick
    assert history.get("hn1", 101, "kmemsize") == [1000, 2000, big, big + 1]
