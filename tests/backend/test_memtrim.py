"""Heap trimming after assembly: only when nothing else waits, at most once per interval, failures included."""

from __future__ import annotations

import sys

import pytest

from vztui.backend.memtrim import MemoryTrimmer, _load_trim


def _recorder() -> tuple[list[int], MemoryTrimmer]:
    calls: list[int] = []

    def trim(pad: int) -> int:
        calls.append(pad)
        return 1

    return calls, MemoryTrimmer(trim, min_interval=3600.0)


def test_trims_once_when_the_queue_is_empty_and_then_waits_for_the_interval() -> None:
    calls, trimmer = _recorder()
    assert trimmer.run(lambda: "busy", lambda: False) == "busy"
    assert calls == []
    trimmer.run(lambda: None, lambda: True)
    trimmer.run(lambda: None, lambda: True)
    assert calls == [0]
    assert trimmer.trims == 1


def test_a_failing_job_still_trims_and_its_error_propagates() -> None:
    calls, trimmer = _recorder()

    def broken() -> None:
        raise RuntimeError("parser bug")

    with pytest.raises(RuntimeError, match="parser bug"):
        trimmer.run(broken, lambda: True)
    assert calls == [0]


def test_without_malloc_trim_nothing_is_called() -> None:
    trimmer = MemoryTrimmer(None)
    assert trimmer.run(lambda: 5, lambda: True) == 5
    assert trimmer.trims == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_glibc_malloc_trim_is_found_and_callable() -> None:
    trim = _load_trim()
    assert trim is not None
    assert trim(0) in (0, 1)
