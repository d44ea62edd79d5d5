"""Handing memory the engine freed back to the operating system: at once for big buffers, after assembly for the rest.

Each tick frees the previous tick's poll text and parsed objects (tens of MB at 10,000 CTs), but glibc keeps freed
heap pages mapped for reuse. Two measures, both no-ops where the C library lacks them (musl, macOS):

* ``pin_mmap_threshold``: every node's poll output (~0.7 MB at 200 CTs, as bytes, then as str, then cut into
  sections) is a block above glibc's 128 KiB mmap threshold, so the first one is mmapped and unmapped when freed.
  But glibc then *raises* the threshold to the size of the block it just unmapped (its "dynamic threshold"), so
  from the second tick on every output is carved from the heap and its pages stay resident after it is freed. At
  10,000 CTs that left 35-45 MB of freed output resident unless a ``malloc_trim`` happened to run after the last
  node's output was freed, which is why the engine measured 89-97 MB in some runs and 131-140 MB in others (same
  data, same ticks: only where the last trim fell). Pinning the threshold at 128 KiB keeps such blocks mmapped, so
  freeing one returns its pages at once. Measured with the later engine changes too: 83.5-95.6 MB over 6 runs,
  83-85 MB after a final ``malloc_trim``; what still varies (0-11 MB) is small freed blocks of the last nodes,
  freed on the event loop after the assembly thread's last trim.
* ``MemoryTrimmer``: ``malloc_trim`` returns the free pages left between the smaller objects; it costs a few ms, so
  it runs only when no node's output is waiting to be assembled and ``MIN_BYTES`` of output were assembled since
  the last trim.
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


MMAP_THRESHOLD = 128 << 10
"""glibc's own default: blocks of this size and larger get their own mapping, returned to the system when freed."""
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
"""mallopt's parameter numbers (malloc.h). Setting the mmap threshold turns the dynamic one off; the trim threshold
(free memory at the heap's top above which free() shrinks the heap) is set too, back to glibc's default (128 KiB,
like the mmap threshold's), because every raise of the mmap threshold before the pin set it to twice that."""


def _load_mallopt() -> Callable[[int, int], int] | None:
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None or getattr(libc, "malloc_trim", None) is None:  # mallopt alone: not glibc's parameters
        return None
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt  # type: ignore[no-any-return]


def pin_mmap_threshold(mallopt: Callable[[int, int], int] | None = None, threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` (and so turn off its raising after each big free; see the module
    docstring for why and what it saved); True when the C library took both. Process-wide; calling it again is
    harmless."""
    chosen = mallopt if mallopt is not None else _load_mallopt()
    if chosen is None:
        return False
    return chosen(_M_MMAP_THRESHOLD, threshold) == 1 and chosen(_M_TRIM_THRESHOLD, threshold) == 1


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
