"""Heap trimming after assembly: only when nothing else waits and enough was assembled since the last trim."""

from __future__ import annotations

import sys

import pytest

from vztui.backend.memtrim import MemoryTrimmer, _load_trim


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
