"""Per-CT locks shared by every vztui process of one user (the dashboard and ``vztui run`` scripts): advisory
``flock`` files next to the journal, so two instances never send two commands to one CT at once.

vzctl's own lock would refuse the second command with exit 9 ("Container already locked"); waiting here instead
turns that collision into an orderly queue. A lock directory that cannot be used never blocks an operation: the
queue then runs without it, as before, and vzctl's lock remains the last line of defence.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import re
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.05
"""How often a waiting operation retries the lock (non-blocking, so waiting stays cancellable)."""

_SAFE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _file_name(node: str, ctid: int) -> str:
    safe = node if _SAFE.fullmatch(node) and not node.startswith(".") else hashlib.sha256(node.encode()).hexdigest()
    return f"{safe}.{int(ctid)}.lock"


class CtLocks:
    """Lock files under ``directory`` (created on first use)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @contextlib.asynccontextmanager
    async def hold(self, node: str, ctids: Iterable[int]) -> AsyncIterator[None]:
        """Hold the locks of ``ctids`` on ``node`` (taken in CTID order, so two holders never deadlock)."""
        fds: list[int] = []
        try:
            for ctid in sorted(set(ctids)):
                fd = self._open(node, ctid)
                if fd is None:
                    continue
                fds.append(fd)
                while not _try_lock(fd):
                    await asyncio.sleep(POLL_INTERVAL)
            yield
        finally:
            for fd in reversed(fds):
                with contextlib.suppress(OSError):
                    os.close(fd)  # closing drops the flock

    def _open(self, node: str, ctid: int) -> int | None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            return os.open(self.directory / _file_name(node, ctid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            log.warning(
                "CT lock directory %s unusable (%s): CT %s on %s runs unguarded", self.directory, exc, ctid, node
            )
            return None


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        log.warning("CT lock failed (%s): running unguarded", exc)
    return True
