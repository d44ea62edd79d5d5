"""Builds the one string an SSH server's shell receives for an argv list, and where a read lands on disk.

The string is made with a single ``shlex.join`` over a fixed wrapper (a constant ``sh`` script) followed by the
user's argv as positional parameters, so nothing the user typed is ever formatted into shell code.
"""

from __future__ import annotations

import enum
import posixpath
import shlex
from collections.abc import Sequence

SUDO_PREFIX: tuple[str, ...] = ("sudo", "-n", "--")
"""``-n``: never prompt; a node whose sudo wants a password fails fast with sudo's own message."""

WRAPPER_NAME = "vztui"
"""``$0`` of the wrapper script, so ``ps`` on the node shows who started it."""

# $1 is the PATH prefix ("" for none), $2 the number of stdin bytes meant for the command ("" for none), the
# rest is the argv. Those bytes are copied to an unlinked temporary file first, so the command reads exactly them
# and then EOF; otherwise its stdin is /dev/null. The command runs in the background; the watchdog reads the rest of
# the channel's stdin, which only reaches EOF when vztui closes the channel (cancel, timeout, lost connection), and
# then kills the whole process group, itself spared until last: TERM, then KILL two seconds later. sshd starts every
# session in a new session and process group (setsid), so the group is exactly this command and what it spawned.
# When the command ends on its own the watchdog is dismissed before it can fire.
WATCHDOG_SCRIPT = """\
[ -z "$1" ] || PATH=$1:$PATH
n=$2
shift 2
exec 3<&0
if [ -n "$n" ]; then
  t=$(mktemp) || exit 125
  head -c "$n" <&3 >"$t" || exit 125
  exec 4<"$t"
  rm -f "$t"
  "$@" <&4 3<&- 4<&- &
  exec 4<&-
else
  "$@" </dev/null 3<&- &
fi
c=$!
{ while read -r _; do :; done; trap '' TERM; kill -s TERM 0; sleep 2; kill -s KILL 0; } <&3 >/dev/null 2>&1 &
w=$!
exec 3<&-
wait "$c"
r=$?
kill "$w" 2>/dev/null
exit "$r"
"""

# For commands on a pty (streams with pty=True, interactive sessions): no watchdog, the command replaces the shell
# and the pty's hangup (SIGHUP) ends it when the channel closes.
EXEC_SCRIPT = """\
[ -z "$1" ] || PATH=$1:$PATH; shift
exec "$@"
"""


class Launch(enum.Enum):
    """How the far side starts a command, which decides how it can be killed."""

    WATCHED = "watched"
    """Under the watchdog that kills the process group when the channel closes (every non-pty command)."""
    EXEC = "exec"
    """On a pty: exec'd directly, the hangup kills it."""


def remote_command(
    argv: Sequence[str],
    *,
    path: str = "",
    sudo: bool = False,
    launch: Launch = Launch.WATCHED,
    stdin_size: int | None = None,
) -> str:
    """The exact string sent as the SSH ``exec`` request for ``argv``.

    ``stdin_size``: how many bytes vztui will send for the command's stdin (watched launch only); the channel must
    then stay open, because its EOF is the watchdog's signal to kill.
    """
    if not argv:
        raise ValueError("empty argv")
    if any("\0" in arg for arg in (*argv, path)):
        # A NUL cannot be part of a C string: sshd drops the whole connection (and every other command on it).
        raise ValueError("argv contains a NUL character; it cannot be passed to a remote command")
    prefix = list(SUDO_PREFIX) if sudo else []
    if launch is Launch.EXEC:
        if stdin_size is not None:
            raise ValueError("stdin data needs a watched launch")
        if not path:
            return shlex.join([*prefix, *argv])
        return shlex.join([*prefix, "sh", "-c", EXEC_SCRIPT, WRAPPER_NAME, path, *argv])
    size = "" if stdin_size is None else str(stdin_size)
    return shlex.join([*prefix, "sh", "-c", WATCHDOG_SCRIPT, WRAPPER_NAME, path, size, *argv])


def prefixed_path(root_prefix: str, path: str) -> str:
    """Where a read of ``path`` lands: ``root_prefix`` goes in front of absolute paths only."""
    if not root_prefix or not path.startswith("/"):
        return path
    return posixpath.join(root_prefix.rstrip("/") or "/", path.lstrip("/"))


def read_argv(path: str) -> list[str]:
    """The command that reads one file through the node's own channel (so sudo applies)."""
    return ["cat", "--", path]


def read_error(path: str, exit_code: int, stderr: str) -> OSError:
    """The ``OSError`` a failed remote ``cat`` stands for, so callers handle remote reads like local ones."""
    message = stderr.strip().splitlines()[-1] if stderr.strip() else f"cat exited with {exit_code}"
    if "No such file" in message or "Not a directory" in message:
        return FileNotFoundError(2, message, path)
    if "Permission denied" in message:
        return PermissionError(13, message, path)
    if "Is a directory" in message:
        return IsADirectoryError(21, message, path)
    return OSError(5, message, path)
