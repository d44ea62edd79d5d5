"""Child-process plumbing shared by the local and OpenSSH transports: line pumps and killing with a grace period."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from vztui.backend.transport import OutputLine, Stream
from vztui.backend.transports._lines import LineSplitter

KILL_GRACE = 2.0
"""Seconds between SIGTERM and SIGKILL when a command is cancelled or times out."""

READ_CHUNK = 65536


async def pump_lines(reader: asyncio.StreamReader, stream: Stream, queue: asyncio.Queue[OutputLine | None]) -> None:
    """Put ``reader``'s lines on ``queue`` as they arrive, then ``None``."""
    splitter = LineSplitter(stream)
    try:
        while chunk := await reader.read(READ_CHUNK):
            for line in splitter.feed(chunk):
                queue.put_nowait(line)
        for line in splitter.flush():
            queue.put_nowait(line)
    finally:
        queue.put_nowait(None)


def send_signal(proc: asyncio.subprocess.Process, sig: signal.Signals, *, group: bool) -> None:
    """Signal the process, or its whole process group (it was started with ``start_new_session``)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if group:
            os.killpg(proc.pid, sig)
        elif proc.returncode is None:
            proc.send_signal(sig)


async def terminate(proc: asyncio.subprocess.Process, *, group: bool) -> None:
    """TERM, KILL after the grace period if still there, and reap."""
    send_signal(proc, signal.SIGTERM, group=group)
    try:
        await asyncio.wait_for(proc.wait(), KILL_GRACE)
    except TimeoutError:
        send_signal(proc, signal.SIGKILL, group=group)
        await proc.wait()
    if group:
        send_signal(proc, signal.SIGKILL, group=True)
