"""The simulated ``vzctl`` 4.11.1: ``main(node, argv, stdout, stderr) -> int``.

The flow is vzctl.c's ``main``: global flags, the command word, the CTID (or a name), vz.conf, the command's own
options, the CT0 and missing-config checks, then the per-CT lock (every command but exec, exec2, enter, console and
status) around the command itself. Each command lives in its own module.
"""

from __future__ import annotations

import contextlib
import io
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import TextIO

from vztui.sim.ctlock import CtLockedError, read_lock_status
from vztui.sim.node import GLOBAL_CONF, SimNode
from vztui.sim.shconf import SkippedLine, parse_shell_conf
from vztui.sim.vzctl.console import Console
from vztui.sim.vzctl.context import Invocation, VzctlExit, warn_skipped
from vztui.sim.vzctl.usage import USAGE, VERSION

VEID_MAX = 2147483644

COMMANDS = frozenset(
    {
        "set",
        "create",
        "start",
        "stop",
        "restart",
        "destroy",
        "delete",
        "mount",
        "umount",
        "exec3",
        "exec2",
        "exec",
        "runscript",
        "enter",
        "console",
        "convert",
        "compact",
        "status",
        "suspend",
        "chkpnt",
        "resume",
        "restore",
        "quotaon",
        "quotaoff",
        "quotainit",
        "snapshot",
        "snapshot-switch",
        "snapshot-delete",
        "snapshot-list",
        "snapshot-mount",
        "snapshot-umount",
    }
)
UNLOCKED = frozenset({"exec", "exec2", "exec3", "enter", "console", "status"})
NEED_NO_CONFIG = frozenset({"create", "status", "set"})

Runner = Callable[[Invocation], int]


def main(node: SimNode, argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """Run ``vzctl argv`` (argv excludes the program name) on ``node``; returns the exit code."""
    console = Console(stdout, stderr)
    try:
        return _main(node, list(argv), console)
    except VzctlExit as done:
        return done.code


def _parse_ctid(node: SimNode, text: str) -> tuple[int, str | None]:
    """``parse_int`` (base 10, whole string, leading blanks and a sign allowed) else a name; -1 when neither."""
    if text == "":
        return 0, None  # strtol("") parses nothing and leaves no tail: vzctl takes it as CT 0
    body = text.lstrip(" \t\n\v\f\r")
    digits = body[1:] if body[:1] in "+-" and body[:1] else body
    if digits.isdigit() and digits.isascii():
        value = int(body)
        if -(2**31) <= value < 2**31:
            return value, None
        return -1, None
    ctid = node.ctid_by_name(text)
    # get_veid_by_name stat()s through the symlink: a name whose config is gone resolves to nothing.
    if ctid is None or not node.config_exists(ctid):
        return -1, text
    return ctid, text


def _main(node: SimNode, argv: list[str], console: Console) -> int:
    verbose = 0
    verbose_custom = False
    quiet = False
    skiplock = False
    index = 0
    while index < len(argv):
        flag = argv[index]
        if flag == "--verbose":
            verbose += 1
            verbose_custom = True
        elif flag == "--quiet":
            quiet = True
        elif flag == "--version":
            console.raw_out(f"vzctl version {VERSION}\n")
            return 0
        elif flag == "--skiplock":
            skiplock = True
        else:
            break
        index += 1
    if index >= len(argv):
        console.raw_err(USAGE)
        return 20
    command = argv[index]
    rest = argv[index + 1 :]
    console.verbose = verbose
    console.quiet = quiet
    if command == "--help":
        console.raw_out(USAGE)
        return 0
    if command in {"status", "snapshot-list"}:
        verbose = -1
        verbose_custom = True
        console.verbose = -1
    if command not in COMMANDS:
        console.raw_err(f"Bad command: {command}\n")
        return 20
    if not rest:
        console.raw_err("CT ID missing\n")
        return 21
    ctid, name = _parse_ctid(node, rest[0])
    if ctid < 0 or ctid > VEID_MAX:
        console.raw_err(f"Bad CT ID {rest[0]}\n")
        return 21
    if not node.has_vzconf():
        console.error("Unable to open /etc/vz/vz.conf: No such file or directory")
        return 10
    inv = Invocation(node=node, console=console, command=command, ctid=ctid, argv=list(argv))
    gconf = node.vzconf
    skipped: list[SkippedLine] = []
    parse_shell_conf(node.host(GLOBAL_CONF).read_text(encoding="utf-8", errors="replace"), skipped)
    if gconf.get("LOGGING", "yes").lower() != "no":
        logfile = gconf.get("LOGFILE", "/var/log/vzctl.log")
        try:
            level = int(gconf.get("LOG_LEVEL", "0"))
        except ValueError:
            level = 0
        console.open_log(node.host(logfile), veid=ctid, level=level)
    if not verbose_custom and "VERBOSE" in gconf:
        try:
            console.verbose = max(int(gconf["VERBOSE"]), -1)
        except ValueError:
            console.verbose = 0
    warn_skipped(console, GLOBAL_CONF, skipped)
    options = rest[1:]
    runner = _prepare(inv, options)
    if ctid == 0 and command != "set":
        console.raw_err("Only set actions are allowed for CT0\n")
        return 21
    inv.reload_conf(warn=True)
    if inv.has_conf:
        own_name = inv.conf.get("NAME")
        if name is not None and own_name is not None and own_name != name:
            console.error(f"Unable to find container by name {name}")
            return 21
    elif command not in NEED_NO_CONFIG:
        console.error("Container config file does not exist")
        return 14
    if command in UNLOCKED or skiplock:
        return runner(inv)
    try:
        # The status line of the lock file carries our command line: a simulator process's own
        # /proc/<pid>/cmdline names the interpreter and ROOT, which a real node would never show.
        lock = node.lock_ct(ctid, inv.cmdline, stdout=console.stdout if not console.quiet else io.StringIO())
    except CtLockedError as locked:
        if locked.pid <= 0:
            console.error("Unable to lock container")
            return 3
        cmdline = read_lock_status(node.host(node.lock_file(ctid))) or locked.cmdline
        console.error(f"Locked by: pid {locked.pid}, cmdline {cmdline}")
        console.error("Container already locked")
        return 9
    with lock, _cancellable(console):
        return runner(inv)


@contextlib.contextmanager
def _cancellable(console: Console) -> Iterator[None]:
    """SIGINT/SIGTERM during a locked operation print ``\nCancelling...`` (as vzctl's cleanup handler does) and
    unwind, so the lock is released; the runner reports the interruption (exit 130)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def cancel(signum: int, frame: FrameType | None) -> None:
        console.raw_err("\nCancelling...\n")
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, cancel) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _prepare(inv: Invocation, options: Sequence[str]) -> Runner:
    """Parse the command's options (exiting with vzctl's code on errors) and return what runs it."""
    from vztui.sim.vzctl import basic, lifecycle

    command = inv.command
    if command in {"start", "stop", "restart"}:
        parsed = lifecycle.parse_startstop(
            inv, options, start=command in {"start", "restart"}, stop=command in {"stop", "restart"}
        )
        action = {"start": lifecycle.start, "stop": lifecycle.stop, "restart": lifecycle.restart}[command]
        return lambda inv: action(inv, parsed)
    if command in {"suspend", "chkpnt", "resume", "restore"}:
        restore_mode = command in {"resume", "restore"}
        cpt = lifecycle.parse_cpt(inv, options, restore_mode=restore_mode)
        if restore_mode:
            return lambda inv: lifecycle.resume(inv, cpt)
        return lambda inv: lifecycle.suspend(inv, cpt)
    if command == "set":
        from vztui.sim.vzctl import setcmd

        return setcmd.prepare(inv, options)
    if command == "create":
        from vztui.sim.vzctl import create

        return create.prepare(inv, options)
    if command in {"exec", "exec2", "exec3", "enter", "runscript", "console"}:
        from vztui.sim.vzctl import execcmd

        runner: Runner = execcmd.prepare(inv, options)
        return runner
    if command.startswith("snapshot") or command in {"convert", "compact"}:
        from vztui.sim.vzctl import snapshot

        return snapshot.prepare(inv, options)
    basic.reject_options(inv, options)
    if command == "status":
        return basic.status
    if command in {"destroy", "delete"}:
        return basic.destroy
    if command == "mount":
        return basic.mount
    if command == "umount":
        return basic.umount
    return lambda inv: basic.quota(inv, command)


__all__ = ["main"]
