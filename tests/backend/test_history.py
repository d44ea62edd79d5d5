"""The compact history ring: late series are not back-filled, skipped ticks carry the last value, rows are bounded."""

from __future__ import annotations

from tests.backend.test_delta import bc, ct, snap
from vztui.backend.history import CPU, History


def test_a_series_that_appears_late_has_only_its_own_samples() -> None:
    history = History(samples=4, resources=("numproc", "numfile"))
    history.record(snap(ct(101, numproc=bc("numproc", 1))), changed=[101])
    history.record(snap(ct(101, numproc=bc("numproc", 2), numfile=bc("numfile", 7))), changed=[101])
    assert history.get("hn1", 101, "numproc") == [1, 2]
    assert history.get("hn1", 101, "numfile") == [7]
    assert history.get("hn1", 101, CPU) == []
    assert history.get("hn1", 101, "kmemsize") == []


def test_a_missing_value_carries_the_last_one_and_rows_stay_bounded() -> None:
    history = History(samples=3, resources=("numproc",))
    for held in (5, 6, 7, 8):
        history.record(snap(ct(101, numproc=bc("numproc", held)), cpu={101: float(held)}), changed=[101])
    history.record(snap(ct(101), cpu={101: 9.0}), changed=[101])
    assert history.get("hn1", 101, "numproc") == [7, 8, 8]
    assert history.get("hn1", 101, CPU) == [7, 8, 9]


def test_a_long_gap_is_padded_to_at_most_the_ring_size() -> None:
    history = History(samples=3, resources=("numproc",))
    history.record(snap(ct(101, numproc=bc("numproc", 1))), changed=[101])
    for _ in range(10):
        history.record(snap(ct(101, numproc=bc("numproc", 1))), changed=[])
    history.record(snap(ct(101, numproc=bc("numproc", 4))), changed=[101])
    assert history.get("hn1", 101, "numproc") == [1, 1, 4]


def test_forgetting_a_node_drops_its_cts() -> None:
    history = History(samples=3, resources=("numproc",))
    history.record(snap(ct(101, numproc=bc("numproc", 1))), changed=[101])
    history.forget_node("hn1")
    assert history.get("hn1", 101, "numproc") == []


def test_a_full_ring_stops_counting_and_reads_the_same() -> None:
    """Past the small-int cache (256) and far beyond: a ring's bookkeeping stays bounded, its reads stay right, and a
    series that appeared late fills its own ring before the ring counts as full."""
    history = History(samples=4, resources=("numproc", "numfile"))
    for tick in range(600):
        numfile = bc("numfile", tick) if tick >= 300 else None
        container = ct(101, numproc=bc("numproc", tick), **({"numfile": numfile} if numfile else {}))
        history.record(snap(container, cpu={101: 1.0}), changed=[101])
        if tick == 301:
            assert history.get("hn1", 101, "numfile") == [300, 301], "the late series still reads only its own"
    ring = history._rings[("hn1", 101)]
    assert ring.full and ring.written == 304, "full once the late series had 4 samples of its own"
    assert history.get("hn1", 101, "numproc") == [596, 597, 598, 599]
    assert history.get("hn1", 101, "numfile") == [596, 597, 598, 599]
    assert history.get("hn1", 101, CPU) == [1, 1, 1, 1]
