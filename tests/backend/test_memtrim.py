"""Heap trimming after assembly: only when nothing else waits and enough was assembled since the last trim."""

from __future__ import annotations

import ctypes
import sys

import pytest

from vztui.backend.memtrim import MemoryTrimmer, _load_trim, pin_mmap_threshold


def _recorder(min_bytes: int = 100) -> tuple[list[int], MemoryTrimmer]:
    calls: list[int] = []

    def trim(pad: int) -> int:
        calls.append(pad)
        return 1

    return calls, MemoryTrimmer(trim, min_bytes=min_bytes)


def test_trims_only_when_idle_and_after_enough_output() -> None:
    calls, trimmer = _recorder()
    assert trimmer.run(lambda: "busy", lambda: False, 150) == "busy"
    assert calls == []  # enough output, but another node's output waits
    trimmer.run(lambda: None, lambda: True, 10)
    assert calls == [0]
    trimmer.run(lambda: None, lambda: True, 60)
    assert calls == [0]  # idle, but only 60 bytes since the last trim
    trimmer.run(lambda: None, lambda: True, 60)
    assert calls == [0, 0]
    assert trimmer.trims == 2


def test_a_failing_job_still_counts_and_its_error_propagates() -> None:
    calls, trimmer = _recorder()

    def broken() -> None:
        raise RuntimeError("parser bug")

    with pytest.raises(RuntimeError, match="parser bug"):
        trimmer.run(broken, lambda: True, 500)
    assert calls == [0]


def test_without_malloc_trim_nothing_is_called() -> None:
    trimmer = MemoryTrimmer(None)
    assert trimmer.run(lambda: 5, lambda: True, 1 << 30) == 5
    assert trimmer.trims == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_glibc_malloc_trim_is_found_and_callable() -> None:
    trim = _load_trim()
    assert trim is not None
    assert trim(0) in (0, 1)


def test_pinning_the_mmap_threshold_sets_glibcs_parameter() -> None:
    calls: list[tuple[int, int]] = []

    def mallopt(param: int, value: int) -> int:
        calls.append((param, value))
        return 1

    assert pin_mmap_threshold(mallopt) is True
    assert calls == [(-3, 128 << 10), (-1, 128 << 10)]  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD: glibc's defaults
    assert pin_mmap_threshold(lambda param, value: 0) is False


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
    ] + [("keepcost", ctypes.c_size_t)]


@pytest.mark.skipif(not sys.platform.startswith("linux") or _load_trim() is None, reason="glibc's allocator")
def test_after_pinning_a_big_buffer_freed_earlier_does_not_move_the_next_one_onto_the_heap() -> None:
    """Without the pin, freeing a 700 KB mmapped block raises glibc's threshold past 600 KB, so the next 600 KB
    block comes from the heap (and stays resident after it is freed): the poll output of every tick did that."""
    libc = ctypes.CDLL(None)
    mallinfo2 = getattr(libc, "mallinfo2", None)
    if mallinfo2 is None:
        pytest.skip("glibc older than 2.33 has no mallinfo2")
    mallinfo2.restype = _MallInfo2
    assert pin_mmap_threshold() is True
    first = bytearray(700_000)
    del first
    mapped = mallinfo2().hblks
    second = bytearray(600_000)
    assert mallinfo2().hblks == mapped + 1  # its own mapping: unmapped (returned) when freed
    del second
    assert mallinfo2().hblks == mapped
