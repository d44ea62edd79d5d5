"""Applying the engine's deltas in slices, so a key pressed while fifty nodes report at once is handled at once.

Every node's poll ends in one ``on_delta`` call on the event loop. At 10,000 CTs the fifty of a tick often arrive
in the same loop iteration, and applying them back to back (~25 ms) made a key pressed meanwhile wait behind all
of them. The pacer applies deltas immediately, as long as the deltas of this burst have cost less than ``slice``
seconds; past that it queues the rest and applies them a slice per loop iteration, so the input handler and the
repaint timer run in between (in-process key -> paint p95 at 10,000 CTs with 5 % changing every 2 s: 27-28 ms
without slicing, 11-17 ms with it). A lone delta (every test that pushes one, a small cluster) is still applied before
``push`` returns, and queued deltas keep their order (a node's later delta never overtakes its earlier one).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable

from vztui.backend.snapshot import NodeDelta

log = logging.getLogger(__name__)

SLICE = 0.008
"""Seconds of delta work between two chances for keys and repaints: well under a 60 Hz frame."""


class DeltaPacer:
    """``push`` deltas as they arrive; ``apply`` sees each exactly once, in arrival order."""

    def __init__(self, apply: Callable[[NodeDelta], None], *, slice_seconds: float = SLICE) -> None:
        self._apply = apply
        self._slice = slice_seconds
        self._queued: deque[NodeDelta] = deque()
        self._spent = 0.0
        """Seconds applied in the current burst (reset once the loop has run everything that was ready)."""
        self._burst_open = False
        self._drain_scheduled = False
        self._when_idle: list[Callable[[], None]] = []
        self._idle_check_scheduled = False

    @property
    def queued(self) -> int:
        """Deltas waiting for the next slice."""
        return len(self._queued)

    def push(self, delta: NodeDelta) -> None:
        if self._queued or self._spent >= self._slice:
            self._queued.append(delta)
            self._schedule_drain()
            return
        began = time.perf_counter()
        try:
            self._apply(delta)
        finally:
            self._spent += time.perf_counter() - began
            if not self._burst_open:
                # Runs after every callback already waiting on the loop (the other nodes' deltas of this tick).
                self._burst_open = True
                asyncio.get_running_loop().call_soon(self._close_burst)

    def when_idle(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once every delta pushed so far (and any pushed before it runs) has been applied: work
        that a whole tick makes stale once, such as re-sorting a table by a live column, is then done once a tick
        instead of once a slice. Runs on a later loop iteration, never inside ``push``."""
        self._when_idle.append(callback)
        self._schedule_idle_check()

    def clear(self) -> None:
        """Forget what is queued (the screen that showed it is gone) and what waited for it."""
        self._queued.clear()
        self._when_idle.clear()

    def _schedule_idle_check(self) -> None:
        if not self._idle_check_scheduled:
            self._idle_check_scheduled = True
            asyncio.get_running_loop().call_soon(self._idle_check)

    def _idle_check(self) -> None:
        self._idle_check_scheduled = False
        if self._queued:
            return  # the drain checks again once the queue is empty
        waiting, self._when_idle = self._when_idle, []
        for callback in waiting:
            try:
                callback()
            except Exception:
                log.exception("a callback waiting for the deltas to settle failed")

    def _close_burst(self) -> None:
        self._burst_open = False
        self._spent = 0.0

    def _schedule_drain(self) -> None:
        if not self._drain_scheduled:
            self._drain_scheduled = True
            asyncio.get_running_loop().call_soon(self._drain)

    def _drain(self) -> None:
        self._drain_scheduled = False
        began = time.perf_counter()
        while self._queued and time.perf_counter() - began < self._slice:
            delta = self._queued.popleft()
            try:
                self._apply(delta)
            except Exception:  # as the engine treats a listener that fails on a delta applied at once
                log.exception("applying a queued delta of %s failed", delta.node)
        if self._queued:
            self._schedule_drain()
        elif self._when_idle:
            self._schedule_idle_check()
