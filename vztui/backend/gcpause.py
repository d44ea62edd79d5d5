"""Pausing Python's cyclic garbage collector while the engine turns one poll into a snapshot, delta and history.

A tick at 10,000 CTs allocates a few hundred thousand short-lived objects; with the collector running, every 700
allocations start a scan, and the older generations (which hold the whole previous snapshot) are re-scanned many
times a tick, which made tick CPU grow faster than the CT count. The engine makes no reference cycles, so nothing
waits for the collector: paused, the same objects are freed by reference counting and the collector runs once at
its next trigger after the tick.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the collector for the block; nested and concurrent pauses re-enable it only when the last one ends,
    and only if it was enabled when the first one began (a program that disabled it keeps it disabled)."""
    global _depth, _was_enabled  # noqa: PLW0603 - one process-wide collector, one count of who paused it
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def paused_collector(function: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of ``collector_paused`` for the engine's per-tick entry points."""

    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with collector_paused():
            return function(*args, **kwargs)

    return run
