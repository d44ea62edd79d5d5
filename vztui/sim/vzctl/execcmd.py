"""exec, exec2, exec3, enter, runscript and console: running things inside a container.

Commands run in the small bash stand-in of ``shell.py`` over the container's files, with figures (uptime, load,
processes, memory) from the kernel model so they agree with vzlist and /proc. ``exec`` maps any failure to exit 8,
``exec2`` passes the command's own status through; ``enter`` is an interactive prompt that works on a pty or a pipe.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from vztui.openvz.resources import USER_BEANCOUNTERS_ORDER
from vztui.openvz.units import LONG_MAX
from vztui.sim.kernel.model import CtFigures
from vztui.sim.kernel.procfs import BC_HEADER
from vztui.sim.vzctl import fsops
from vztui.sim.vzctl.context import Invocation, VzctlExit
from vztui.sim.vzctl.shell import Process, Shell, ShellContext, ShellExit, run_command

_DAEMONS = (
    ("root", "init", 2048, 19232),
    ("root", "/sbin/udevd -d", 1024, 10644),
    ("root", "/sbin/rsyslogd -i /var/run/syslogd.pid -c 5", 1536, 249076),
    ("root", "/usr/sbin/sshd", 1240, 66236),
    ("root", "crond", 1260, 117292),
    ("root", "/usr/sbin/httpd", 5120, 175284),
    ("apache", "/usr/sbin/httpd", 3072, 175284),
    ("apache", "/usr/sbin/httpd", 3072, 175284),
    ("mysql", "/usr/libexec/mysqld --basedir=/usr --datadir=/var/lib/mysql", 24576, 509392),
    ("root", "/usr/libexec/postfix/master", 2560, 81312),
    ("postfix", "qmgr -l -t fifo -u", 2400, 81560),
    ("postfix", "pickup -l -t fifo -u", 2400, 81392),
)

_WORKERS = (
    ("apache", "/usr/sbin/httpd", 3072, 175284),
    ("apache", "php-fpm: pool www", 18432, 320512),
    ("mysql", "/usr/libexec/mysqld --basedir=/usr --datadir=/var/lib/mysql", 2048, 509392),
    ("root", "sshd: root@notty", 3584, 99956),
)


def prepare(inv: Invocation, options: Sequence[str]) -> Callable[[Invocation], int]:
    """Check the arguments as ``parse_action_opt`` does and return the runner."""
    command = inv.command
    args = list(options)
    if command in {"exec", "exec2", "exec3"}:
        if not args:
            inv.console.raw_err("No command line given for exec\n")
            raise VzctlExit(20)
        return lambda inv: run_exec(inv, args)
    if command == "runscript":
        if not args:
            inv.console.raw_err("Script not specified\n")
            raise VzctlExit(20)
        return lambda inv: run_script(inv, args[0])
    if command == "enter":
        if args:
            if args[0] != "--exec":
                inv.console.raw_err(f"Invalid option '{args[0]}'\n")
                raise VzctlExit(20)
            if len(args) == 1 or args[1] == "":
                inv.console.raw_err("No command line given for --exec\n")
                raise VzctlExit(20)
        return lambda inv: run_enter(inv, args[1:])
    return lambda inv: run_console(inv, args)


def shell_context(inv: Invocation, *, login: bool = False) -> ShellContext:
    """What the container looks like from inside right now."""
    root = fsops.ct_files(inv)
    hostname = inv.conf.get("HOSTNAME", "")
    if not hostname:
        try:
            hostname = (root / "etc" / "hostname").read_text(encoding="utf-8").strip()
        except OSError:
            hostname = ""
    context = ShellContext(ctid=inv.ctid, root=root, hostname=hostname or "localhost", login=login)
    runtime = inv.runtime()
    now = inv.node.now()
    if runtime.started_at is not None:
        context.uptime_seconds = max(now - runtime.started_at, 0.0)
    numproc = len(_DAEMONS)
    try:
        ct = inv.node.kernel_figures().cts.get(inv.ctid)
    except (ImportError, AttributeError, KeyError, ValueError, TypeError):
        ct = None
    if ct is not None:
        context.loadavg = ct.laverage
        context.ips = ct.ips
        numproc = max(ct.numproc, 1)
        phys = ct.beancounters.get("physpages")
        swap = ct.beancounters.get("swappages")
        if phys is not None:
            context.mem_used_kb = phys[0] * 4
            if 0 < phys[3] < 2**40:
                context.mem_total_kb = phys[3] * 4
        if swap is not None:
            context.swap_used_kb = swap[0] * 4
            if 0 < swap[3] < 2**40:
                context.swap_total_kb = swap[3] * 4
    context.processes = _processes(numproc)
    if ct is not None:
        context.virtual_files = _proc_files(inv.ctid, ct, context)
    disk = inv.value("DISKSPACE", "")
    if disk:
        from vztui.sim.vzctl.create import disk_limit_kib

        hard = disk_limit_kib(disk)
        context.disk_total_kb = hard
        context.disk_used_kb = hard // 5
    return context


def _proc_files(ctid: int, ct: CtFigures, context: ShellContext) -> dict[str, str]:
    """The kernel files a process inside the CT reads: its own beancounter block, load, uptime and memory."""
    blank = " " * 10
    rows: list[str] = ["Version: 2.5", BC_HEADER]
    for index, name in enumerate(USER_BEANCOUNTERS_ORDER):
        values = (0, 0, LONG_MAX, LONG_MAX, 0) if name == "dummy" else ct.beancounters[name]
        uid = f"{ctid}:".rjust(10) if index == 0 else blank
        held, maxheld, barrier, limit, failcnt = values
        rows.append(f"{uid}  {name:<12} {held:>20} {maxheld:>20} {barrier:>20} {limit:>20} {failcnt:>20}")
    one, five, fifteen = ct.laverage
    last_pid = context.processes[-1].pid if context.processes else 1
    total_kb, used_kb = context.mem_total_kb, context.mem_used_kb
    swap_total, swap_used = context.swap_total_kb, context.swap_used_kb
    meminfo = "".join(
        f"{key + ':':<16}{value:>8} kB\n"
        for key, value in (
            ("MemTotal", total_kb),
            ("MemFree", max(total_kb - used_kb, 0)),
            ("Cached", used_kb // 3),
            ("Buffers", 0),
            ("Active", used_kb // 2),
            ("Inactive", used_kb // 4),
            ("SwapTotal", swap_total),
            ("SwapFree", max(swap_total - swap_used, 0)),
        )
    )
    return {
        "/proc/user_beancounters": "\n".join(rows) + "\n",
        "/proc/loadavg": f"{one:.2f} {five:.2f} {fifteen:.2f} 1/{len(context.processes)} {last_pid}\n",
        "/proc/uptime": f"{context.uptime_seconds:.2f} {context.uptime_seconds * 3.7:.2f}\n",
        "/proc/meminfo": meminfo,
    }


def _processes(count: int) -> tuple[Process, ...]:
    processes: list[Process] = []
    pid = 1
    for index in range(count):
        user, command, rss, vsz = _DAEMONS[index] if index < len(_DAEMONS) else _WORKERS[index % len(_WORKERS)]
        processes.append(Process(pid=pid, user=user, command=command, rss_kb=rss, vsz_kb=vsz))
        pid += 1 if index == 0 else 3 + (index * 37) % 211
    return tuple(processes)


def _command_words(args: Sequence[str]) -> list[str]:
    """vzctl's unrolling: each argument followed by a space, an empty argument written as ``''``."""
    return [arg if arg else "''" for arg in args]


def run_exec(inv: Invocation, args: list[str]) -> int:
    command = inv.command
    if not inv.is_running():
        inv.error("Container is not running")
        return 8 if command == "exec" else 31
    inv.console.debug("Executing command: " + "".join(f"{word} " for word in _command_words(args)))
    context = shell_context(inv)
    out, err = inv.console.stdout, inv.console.stderr
    if args[0] == "-" and command != "exec3":
        shell = Shell(context, out, err)
        status = 0
        try:
            for line in sys.stdin:
                status = shell.run_line(line.rstrip("\n"))
        except ShellExit as done:
            status = done.status
    elif command == "exec3":
        status = run_command(context, [" ".join(_quote(arg) for arg in args)], out, err)
    else:
        status = run_command(context, _command_words(args), out, err)
    out.flush()
    err.flush()
    if status and command == "exec":
        return 8
    return status


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


def run_script(inv: Invocation, script: str) -> int:
    """``vps_run_script``: a host-side script run inside the CT (the root is mounted first if needed)."""
    host_script = inv.host(script) if script.startswith("/") else None
    if host_script is None or not host_script.is_file():
        inv.error(f"Script {script} not found: No such file or directory")
        return 11
    mounted_here = False
    if not inv.is_running() and not inv.is_mounted():
        code = fsops.mount(inv)
        if code:
            return code
        mounted_here = True
    context = shell_context(inv)
    shell = Shell(context, inv.console.stdout, inv.console.stderr)
    status = 0
    try:
        for line in host_script.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("#!") or not line.strip():
                continue
            status = shell.run_line(line)
    except ShellExit as done:
        status = done.status
    if mounted_here:
        fsops.unmount_lines(inv)
        inv.info("Container is unmounted")
    return status


def run_enter(inv: Invocation, exec_args: list[str]) -> int:
    """``vzctl enter``: ``entered into CT N``, a ``[root@host /]# `` prompt, ``exited from CT N``."""
    if not inv.is_running():
        raise inv.fail(31, "Container is not running")
    out, err = inv.console.stdout, inv.console.stderr
    context = shell_context(inv, login=True)
    context.cwd = "/"
    inv.console.raw_out(f"entered into CT {inv.ctid}\n")
    shell = Shell(context, out, err)
    status = 0
    try:
        if exec_args:
            status = shell.run_line(" ".join(_command_words(exec_args)))
        else:
            debian = inv.value("OSTEMPLATE", "").startswith(("debian", "ubuntu"))
            status = _interactive(shell, context, sys.stdin, out, debian_style=debian)
    except ShellExit as done:
        status = done.status
        out.write("logout\n")
    out.flush()
    inv.console.raw_out(f"exited from CT {inv.ctid}\n")
    return status


def _prompt(context: ShellContext, debian_style: bool) -> str:
    """bash's default root prompt: Debian/Ubuntu ``root@host:/dir# ``, Red Hat ``[root@host dir]# ``."""
    short = context.hostname.split(".", 1)[0]
    if debian_style:
        return f"root@{short}:{context.cwd}# "
    folder = context.cwd.rsplit("/", 1)[-1] or "/"
    return f"[root@{short} {folder}]# "


def _interactive(shell: Shell, context: ShellContext, stdin: TextIO, out: TextIO, *, debian_style: bool = False) -> int:
    status = 0
    while True:
        out.write(_prompt(context, debian_style))
        out.flush()
        try:
            line = stdin.readline()
        except KeyboardInterrupt:
            # ^C at the prompt: bash drops the line and prompts again.
            out.write("\n")
            status = 130
            continue
        if not line:
            out.write("logout\n")
            return status
        status = shell.run_line(line.rstrip("\r\n"))
        out.flush()


def run_console(inv: Invocation, args: list[str]) -> int:
    """``vzctl console``: attach to the CT's console (here: the same prompt), ``Esc .`` is read as end of input."""
    if len(args) > 1:
        raise inv.fail(20, "Invalid syntax: too many parameters!")
    if args and (not args[0].isdigit()):
        raise inv.fail(21, f"Invalid tty number: {args[0]}")
    if not inv.is_running():
        raise inv.fail(31, "Container is not running")
    inv.console.raw_err(f"Attached to CT {inv.ctid} (ESC . to detach)\n")
    context = shell_context(inv, login=True)
    shell = Shell(context, inv.console.stdout, inv.console.stderr)
    try:
        _interactive(shell, context, sys.stdin, inv.console.stdout)
    except ShellExit:
        inv.console.stdout.write("logout\n")
    inv.console.raw_err(f"\nDetached from CT {inv.ctid}\n")
    return 0
