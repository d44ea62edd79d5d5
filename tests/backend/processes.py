"""Whether a process the tests started (locally, or "remotely" through a loopback sshd) is still alive."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path


def alive(pid: int) -> bool:
    """Running, and not a zombie (a zombie still answers kill(0) but is dead for every purpose here)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # the process may be reaped between the kill(0) and this read: gone counts as dead
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):  # ENOENT, or ESRCH when it dies mid-read
        return False
    return stat.rsplit(") ", 1)[1][0] != "Z"


async def gone(pid: int, within: float = 5.0) -> bool:
    """Wait up to ``within`` seconds for ``pid`` to die; True once it has."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        await asyncio.sleep(0.05)
    return False
