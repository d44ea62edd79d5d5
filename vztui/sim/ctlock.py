"""Per-container lock files, exactly as vzctl keeps them: ``<LOCKDIR>/<CTID>.lck`` holding ``"<pid>\\n<status>\\n"``.

A lock is taken by writing a private temp file and hard-linking it to the lock name (atomic on POSIX). A lock whose
pid no longer exists is stale: it is removed with vzctl's ``Removing stale lock file <path>`` message and the
attempt is retried, so a tool killed mid-operation never wedges a container.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

_ATTEMPTS = 3


class CtLockedError(Exception):
    """Another live process holds the container's lock (vzctl exit 9)."""

    def __init__(self, ctid: int, pid: int, cmdline: str) -> None:
        self.ctid = ctid
        self.pid = pid
        self.cmdline = cmdline
        super().__init__(f"CT {ctid} locked by pid {pid} ({cmdline})")

    @property
    def messages(self) -> tuple[str, str]:
        """The two stderr lines vzctl prints before exiting 9."""
        return f"Locked by: pid {self.pid}, cmdline {self.cmdline}", "Container already locked"


class CtLock:
    """A held container lock. Release it with ``release()`` or use it as a context manager."""

    def __init__(self, path: Path, ctid: int) -> None:
        self.path = path
        self.ctid = ctid
        self.pid = os.getpid()

    def release(self) -> None:
        """Remove the lock file if it is still ours (a stale-lock cleanup by someone else must not be undone)."""
        if read_lock_pid(self.path) == self.pid:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> CtLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire(lockdir: Path, ctid: int, status: str, *, display_path: str, stdout: TextIO | None = None) -> CtLock:
    """Take ``<lockdir>/<ctid>.lck`` or raise ``CtLockedError``; stale locks are reported on ``stdout``."""
    lockdir.mkdir(parents=True, exist_ok=True)
    path = lockdir / f"{ctid}.lck"
    pid = os.getpid()
    tmp = lockdir / f"{ctid}.{pid}.{os.urandom(3).hex()}"
    tmp.write_text(f"{pid}\n{status}\n", encoding="ascii")
    try:
        for _ in range(_ATTEMPTS):
            try:
                os.link(tmp, path)
                return CtLock(path, ctid)
            except FileExistsError:
                pass
            holder = read_lock_pid(path)
            if holder is None:
                # Half-written or just removed by its owner: look again.
                continue
            if holder == pid:
                return CtLock(path, ctid)
            if pid_alive(holder):
                raise CtLockedError(ctid, holder, process_cmdline(holder))
            out = stdout if stdout is not None else sys.stdout
            out.write(f"Removing stale lock file {display_path}\n")
            out.flush()
            path.unlink(missing_ok=True)
        holder = read_lock_pid(path) or 0
        raise CtLockedError(ctid, holder, process_cmdline(holder))
    finally:
        tmp.unlink(missing_ok=True)


def read_lock_pid(path: Path) -> int | None:
    """The pid on the first line of a lock file, or None if missing or not a number."""
    try:
        first = path.read_text(encoding="ascii", errors="replace").split("\n", 1)[0].strip()
    except FileNotFoundError:
        return None
    return int(first) if first.isdigit() else None


def read_lock_status(path: Path) -> str:
    """The status word vzctl wrote on the second line ("" when none)."""
    try:
        lines = path.read_text(encoding="ascii", errors="replace").split("\n")
    except FileNotFoundError:
        return ""
    return lines[1] if len(lines) > 1 else ""


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists, as vzctl checks ``/proc/<pid>`` (zombies count as gone)."""
    if pid <= 0:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[-1].split()
        return not fields or fields[0] != "Z"
    except FileNotFoundError:
        pass
    except OSError:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not os.path.isdir("/proc/self")


def process_cmdline(pid: int) -> str:
    """The holder's command line, with a simulator wrapper's interpreter prefix removed (``vzctl start 101``)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    argv = [part.decode(errors="replace") for part in raw.split(b"\0") if part]
    for index, arg in enumerate(argv[:4]):
        if "/bin/" in arg and not os.path.basename(arg).startswith("python"):
            argv = [os.path.basename(arg), *argv[index + 1 :]]
            break
    return " ".join(argv)
