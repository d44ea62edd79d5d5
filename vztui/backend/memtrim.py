"""Handing memory the engine freed back to the operating system once the assembly thread has caught up.

Each tick frees the previous tick's poll text and parsed objects (tens of MB at 10,000 CTs), but glibc keeps freed
heap pages mapped for reuse, so resident memory settled ~45 MB above what the engine really holds. ``malloc_trim``
returns those pages; it costs a few ms, so it runs only when no node's output is waiting to be assembled and
``MIN_BYTES`` of output were assembled since the last trim. Where the C library has no ``malloc_trim`` (musl,
macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from typing import TypeVar

R = TypeVar("R")

MIN_BYTES = 4 << 20
"""Poll output assembled between two trims: ~1/9 of a 10,000-CT tick's output (so at most ~9 trims of ~3 ms a
tick there, when every node's output arrives after the previous one was assembled), while a small cluster trims
every few ticks."""


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
    """Trims the heap after an assembly job that left no other job waiting, once ``min_bytes`` of poll output were
    assembled since the last trim (a budget in work, not time, so the end of a busy tick is always trimmed)."""

    def __init__(self, trim: Callable[[int], int] | None, *, min_bytes: int = MIN_BYTES) -> None:
        self._trim = trim
        self._min_bytes = min_bytes
        self._lock = threading.Lock()
        self._assembled = 0
        self.trims = 0
        """How many times the heap was trimmed (for tests and diagnostics)."""

    def run(self, job: Callable[[], R], idle: Callable[[], bool], size: int) -> R:
        """Run one assembly ``job`` over ``size`` bytes of poll output (on the assembly thread), then trim if
        ``idle()`` says nothing else waits and enough was assembled since the last trim."""
        try:
            return job()
        finally:
            if self._trim is not None:
                with self._lock:
                    self._assembled += size
                    due = self._assembled >= self._min_bytes and idle()
                    if due:
                        self._assembled = 0
                if due:
                    self._trim(0)
                    self.trims += 1


trimmer = MemoryTrimmer(_load_trim())
"""The process-wide trimmer the pollers share (there is one assembly thread)."""
