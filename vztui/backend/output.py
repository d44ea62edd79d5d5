"""Operation output in memory: a bounded per-operation buffer, and a coalescer that hands lines to listeners in
batches (every ~50 ms) instead of one callback per line, so a chatty command cannot flood the event loop.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence

from vztui.backend.transport import OutputLine, Stream

FLUSH_INTERVAL = 0.05
"""Seconds between two batches handed to listeners (Toolong-style coalescing)."""

DEFAULT_MAX_LINES = 10_000
"""Lines kept in memory per operation; the journal's output file keeps everything."""


class OutputBuffer:
    """The last ``max_lines`` lines of one operation, plus how many earlier lines were dropped."""

    __slots__ = ("_lines", "dropped", "total")

    def __init__(self, max_lines: int = DEFAULT_MAX_LINES) -> None:
        self._lines: deque[OutputLine] = deque(maxlen=max_lines)
        self.dropped = 0
        self.total = 0

    def extend(self, lines: Sequence[OutputLine]) -> None:
        overflow = len(self._lines) + len(lines) - (self._lines.maxlen or 0)
        if overflow > 0:
            self.dropped += overflow
        self._lines.extend(lines)
        self.total += len(lines)

    def lines(self, *, full_output_at: str = "") -> list[OutputLine]:
        """The kept lines; when some were dropped, a first line says how many and where the full output is."""
        kept = list(self._lines)
        if not self.dropped:
            return kept
        where = f" (full output: {full_output_at})" if full_output_at else ""
        note = OutputLine(Stream.STDERR, f"[vztui: {self.dropped} earlier lines not kept in memory{where}]", at=0.0)
        return [note, *kept]


BatchSink = Callable[[dict[str, list[OutputLine]]], None]


class OutputCoalescer:
    """Collects lines per operation and delivers them to ``sink`` at most once per ``interval`` on the loop.

    The first line after a quiet period arms one timer; every line until it fires joins the same batch.
    ``flush()`` delivers at once (an operation finishing flushes, so its last lines precede its final state).
    """

    def __init__(self, sink: BatchSink, *, interval: float = FLUSH_INTERVAL) -> None:
        self._sink = sink
        self._interval = interval
        self._pending: dict[str, list[OutputLine]] = {}
        self._timer: asyncio.TimerHandle | None = None

    def add(self, op_id: str, line: OutputLine) -> None:
        bucket = self._pending.get(op_id)
        if bucket is None:
            self._pending[op_id] = [line]
        else:
            bucket.append(line)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._interval, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        batch, self._pending = self._pending, {}
        self._sink(batch)

    def close(self) -> None:
        self.flush()
