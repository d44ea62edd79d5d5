"""A program in a real pseudo-terminal, watched byte by byte: what the UI measures use for first frame, key
latency and bytes per second, for vztui and for its baselines (``htop``, ``python -c pass``) alike.

The watcher plays a modern terminal (xterm-256color, a fixed size) and answers the one query Textual waits for:
synchronized output (DECRQM 2026) is reported as supported, as kitty, WezTerm, iTerm2, foot and Windows Terminal
do, so each Textual frame arrives wrapped in begin/end markers. Every chunk read is kept with its arrival time.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ALT_SCREEN = b"\x1b[?1049h"
SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"
SYNC_END = b"\x1b[?2026l"
BURST_GAP = 0.005
"""Output chunks closer than this belong to one write of the program (one frame)."""


@dataclass
class PtyProgram:
    """A running program on a pty; ``chunks`` is everything it wrote, as (seconds since launch, bytes)."""

    argv: Sequence[str]
    process: subprocess.Popen[bytes]
    master: int
    launched: float
    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    sent: list[tuple[float, bytes]] = field(default_factory=list)
    _tail: bytes = b""

    @property
    def output(self) -> bytes:
        return b"".join(chunk for _, chunk in self.chunks)

    def pump(self, seconds: float, *, until: bytes | None = None) -> bool:
        """Read for up to ``seconds`` (answering queries); True as soon as ``until`` appears in the output."""
        deadline = time.perf_counter() + seconds
        while True:
            if until is not None and until in self.output:
                return True
            left = deadline - time.perf_counter()
            if left <= 0:
                return False
            ready, _, _ = select.select([self.master], [], [], min(left, 0.05))
            if not ready:
                if self.process.poll() is not None and not self._drain():
                    return until is not None and until in self.output
                continue
            if not self._read_once():
                return until is not None and until in self.output

    def _drain(self) -> bool:
        ready, _, _ = select.select([self.master], [], [], 0)
        return bool(ready) and self._read_once()

    def _read_once(self) -> bool:
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the program exited and the pty closed
            return False
        if not data:
            return False
        self.chunks.append((time.perf_counter() - self.launched, data))
        window = self._tail + data
        if SYNC_QUERY in window:
            os.write(self.master, SYNC_REPLY)
        self._tail = window[-16:]
        return True

    def send(self, data: bytes) -> float:
        """Type ``data``; returns the moment (seconds since launch) it was written to the terminal."""
        at = time.perf_counter() - self.launched
        os.write(self.master, data)
        self.sent.append((at, data))
        return at

    def bytes_between(self, start: float, end: float) -> int:
        return sum(len(chunk) for at, chunk in self.chunks if start <= at < end)

    def stop(self, *, grace: float = 3.0) -> int | None:
        """Ask politely (SIGTERM, as a closing terminal would send SIGHUP), then kill; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            deadline = time.perf_counter() + grace
            while self.process.poll() is None and time.perf_counter() < deadline:
                self.pump(0.05)
        if self.process.poll() is None:
            self.process.kill()
        code = self.process.wait()
        while self._drain():  # what the program wrote just before it exited
            pass
        os.close(self.master)
        return code


def launch(
    argv: Sequence[str], *, size: tuple[int, int], env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> PtyProgram:
    """Start ``argv`` on a fresh pty of ``size`` (columns, rows) as its controlling terminal."""
    master, slave = os.openpty()
    columns, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    full_env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(rows)}
    full_env.pop("TEXTUAL", None)
    full_env.update(env or {})

    def make_controlling() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    launched = time.perf_counter()
    process = subprocess.Popen(
        list(argv),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=full_env,
        cwd=cwd,
        start_new_session=True,
        preexec_fn=make_controlling,  # noqa: PLW1509 - one ioctl between fork and exec
    )
    os.close(slave)
    return PtyProgram(argv, process, master, launched)


def bursts(chunks: Sequence[tuple[float, bytes]], gap: float = BURST_GAP) -> list[tuple[float, float, bytes]]:
    """Chunks grouped into writes: (first arrival, last arrival, bytes)."""
    found: list[tuple[float, float, bytes]] = []
    for at, data in chunks:
        if found and at - found[-1][1] <= gap:
            start, _, joined = found[-1]
            found[-1] = (start, at, joined + data)
        else:
            found.append((at, at, data))
    return found


def first_frame(program: PtyProgram, marker: bytes) -> float | None:
    """Seconds from launch to the end of the first write, after the alternate screen was entered, that (with what
    came before it) shows ``marker``: the first frame with visible content."""
    seen = b""
    entered = False
    for _, end, data in bursts(program.chunks):
        seen += data
        if not entered:
            if ALT_SCREEN not in seen:
                continue
            entered = True
            seen = seen[seen.index(ALT_SCREEN) :]
        if marker in seen:
            return end
    return None
