"""Handing memory the engine freed back to the operating system once the assembly thread has caught up.

Each tick frees the previous tick's poll text and parsed objects (tens of MB at 10,000 CTs), but glibc keeps freed
heap pages mapped for reuse, so resident memory settled ~45 MB above what the engine really holds. ``malloc_trim``
returns those pages; it costs a few ms, so it runs only when no node's output is waiting to be assembled and at
most every ``MIN_INTERVAL`` seconds. Where the C library has no ``malloc_trim`` (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable
from typing import TypeVar

R = TypeVar("R")

MIN_INTERVAL = 0.5
"""Seconds between two trims: at 50 nodes polled together that is one trim per tick (~3 ms of CPU)."""


def _load_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


class MemoryTrimmer:
    """Trims the heap after an assembly job that left no other job waiting (rate-limited)."""

    def __init__(self, trim: Callable[[int], int] | None, *, min_interval: float = MIN_INTERVAL) -> None:
        self._trim = trim
        self._min_interval = min_interval
        self._lock = threading.Lock()
        self._last = float("-inf")
        self.trims = 0
        """How many times the heap was trimmed (for tests and diagnostics)."""

    def run(self, job: Callable[[], R], idle: Callable[[], bool]) -> R:
        """Run one assembly ``job`` (on the assembly thread), then trim if ``idle()`` says nothing else waits."""
        try:
            return job()
        finally:
            if self._trim is not None and idle():
                with self._lock:
                    now = time.monotonic()
                    due = now - self._last >= self._min_interval
                    if due:
                        self._last = now
                if due:
                    self._trim(0)
                    self.trims += 1


trimmer = MemoryTrimmer(_load_trim())
"""The process-wide trimmer the pollers share (there is one assembly thread)."""
