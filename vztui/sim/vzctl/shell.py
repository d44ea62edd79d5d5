"""A tiny bash stand-in for ``vzctl exec``/``exec2``/``enter``: common commands over a CT's file tree.

It answers what an admin or vztui's inspection actually types into a container (``hostname``, ``uptime``,
``cat /etc/issue``, ``ps``, ``df``, ``free``, ``uname``, ``grep``/``wc``/``head``/``tail`` in pipelines…) from the
simulated container's files and kernel numbers. Lists (``;``, ``&&``, ``||``), pipelines and ``<``/``>``/``>>``
work; background jobs, substitutions and globbing do not. Anything unknown fails exactly like bash:
``bash: X: command not found`` and status 127.
"""

from __future__ import annotations

import io
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TextIO


@dataclass(frozen=True, slots=True)
class Process:
    """One line of the container's process table."""

    pid: int
    user: str
    command: str
    rss_kb: int = 0
    vsz_kb: int = 0


@dataclass(slots=True)
class ShellContext:
    """What the interpreter knows about the container it runs in."""

    ctid: int
    root: Path
    hostname: str
    uptime_seconds: float = 0.0
    loadavg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    processes: tuple[Process, ...] = ()
    mem_total_kb: int = 262144
    mem_used_kb: int = 0
    swap_total_kb: int = 0
    swap_used_kb: int = 0
    disk_total_kb: int = 0
    disk_used_kb: int = 0
    ips: tuple[str, ...] = ()
    cwd: str = "/"
    login: bool = False
    env: dict[str, str] = field(default_factory=dict)
    virtual_files: dict[str, str] = field(default_factory=dict)
    """Files the kernel provides inside the CT (``/proc/user_beancounters``, ``/proc/loadavg``…), by path."""


class ShellExit(Exception):  # noqa: N818 - it is a control-flow signal, like SystemExit
    """``exit``/``logout`` was run; carries the status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


Builtin = Callable[["Shell", list[str]], int]


class Shell:
    """Runs command lines against a ShellContext, writing to the given streams."""

    def __init__(self, context: ShellContext, stdout: TextIO, stderr: TextIO) -> None:
        self.ctx = context
        self.out = stdout
        self.err = stderr
        self.terminal = stdout
        self.status = 0
        self.stdin: str | None = None
        """What the previous command of a pipeline wrote (None: the terminal, read as empty)."""

    @property
    def _prefix(self) -> str:
        return "-bash" if self.ctx.login else "bash"

    def run_line(self, line: str) -> int:
        """Run one command line (``a | b; c && d || e``, ``>``/``>>``/``<``); returns the last status."""
        line = line.split("\0", 1)[0]  # a C string: everything after a NUL never reaches bash
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
            lexer.whitespace_split = True
            lexer.commenters = "#"
            tokens = list(lexer)
        except ValueError:
            self.err.write(f"{self._prefix}: -c: line 1: unexpected EOF while looking for matching quote\n")
            self.status = 2
            return self.status
        pipeline: list[list[str]] = [[]]
        pending = ";"
        for word in [*tokens, ";"]:
            if word in {";", "&&", "||"}:
                if len(pipeline) > 1 and not all(pipeline):
                    self.err.write(f"{self._prefix}: syntax error near unexpected token `|'\n")
                    self.status = 2
                    return self.status
                if any(pipeline) and self._should_run(pending):
                    self.status = self._pipeline(pipeline)
                pipeline = [[]]
                pending = word
            elif word in {"|"}:
                pipeline.append([])
            elif word in {"<", ">", ">>"} or not set(word) <= set(";&|<>"):
                pipeline[-1].append(word)
            else:
                self.err.write(f"{self._prefix}: syntax error near unexpected token `{word}'\n")
                self.status = 2
                return self.status
        return self.status

    def _should_run(self, connector: str) -> bool:
        if connector == "&&":
            return self.status == 0
        if connector == "||":
            return self.status != 0
        return True

    def _pipeline(self, commands: list[list[str]]) -> int:
        """Run ``a | b | c``: each command's output is the next one's input; the last writes to the terminal."""
        data: str | None = None
        status = 0
        saved_out = self.out
        try:
            for index, words in enumerate(commands):
                argv, stdin_file, stdout_file, append = self._redirections(words)
                if argv is None:
                    return 2
                if stdin_file is not None:
                    try:
                        data = self.resolve(stdin_file).read_text(encoding="utf-8", errors="replace")
                    except OSError:
                        self.err.write(f"{self._prefix}: {stdin_file}: No such file or directory\n")
                        return 1
                last = index == len(commands) - 1
                buffer = io.StringIO()
                self.out = buffer if (not last or stdout_file is not None) else saved_out
                self.stdin = data
                status = self._run(argv) if argv else 0
                self.out = saved_out
                if stdout_file is not None:
                    status = self._write_file(stdout_file, buffer.getvalue(), append) or status
                    data = ""
                else:
                    data = buffer.getvalue()
        finally:
            self.out = saved_out
            self.stdin = None
        return status

    def _redirections(self, words: list[str]) -> tuple[list[str] | None, str | None, str | None, bool]:
        argv: list[str] = []
        stdin_file = stdout_file = None
        append = False
        iterator = iter(words)
        for word in iterator:
            if word in {"<", ">", ">>"}:
                target = next(iterator, None)
                if target is None or target in {"<", ">", ">>"}:
                    self.err.write(f"{self._prefix}: syntax error near unexpected token `newline'\n")
                    return None, None, None, False
                if word == "<":
                    stdin_file = target
                else:
                    stdout_file, append = target, word == ">>"
            else:
                argv.append(word)
        return argv, stdin_file, stdout_file, append

    def _write_file(self, name: str, text: str, append: bool) -> int:
        if not name:
            self.err.write(f"{self._prefix}: : No such file or directory\n")
            return 1
        target = self.resolve(name)
        if target.is_dir():
            self.err.write(f"{self._prefix}: {name}: Is a directory\n")
            return 1
        if not target.parent.is_dir():
            self.err.write(f"{self._prefix}: {name}: No such file or directory\n")
            return 1
        with open(target, "a" if append else "w", encoding="utf-8") as handle:
            handle.write(text)
        return 0

    def _run(self, argv: list[str]) -> int:
        name, args = argv[0], argv[1:]
        builtin = _BUILTINS.get(name) or _BUILTINS.get(PurePosixPath(name).name if "/" in name else "")
        if builtin is None:
            self.err.write(f"{self._prefix}: {name}: command not found\n")
            return 127
        return builtin(self, args)

    def absolute(self, path: str) -> str:
        """``path`` made absolute against the working directory, ``..`` resolved."""
        relative = self.resolve(path).relative_to(self.ctx.root)
        return "/" + "/".join(relative.parts)

    def resolve(self, path: str) -> Path:
        """Map a path inside the container onto the host, never escaping the container root."""
        posix = PurePosixPath(self.ctx.cwd) / path
        parts: list[str] = []
        for part in posix.parts[1:]:
            if part == "..":
                if parts:
                    parts.pop()
            elif part not in {"", "."}:
                parts.append(part)
        return self.ctx.root.joinpath(*parts)

    def write(self, text: str) -> None:
        self.out.write(text)


def _hostname(shell: Shell, args: list[str]) -> int:
    if args and args[0] in {"-I", "-i"}:
        shell.write(" ".join(shell.ctx.ips) + " \n")
        return 0
    shell.write(shell.ctx.hostname + "\n")
    return 0


def _uptime_text(ctx: ShellContext) -> str:
    now = time.strftime("%H:%M:%S")
    seconds = int(ctx.uptime_seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        up = f"{days} day{'s' if days != 1 else ''}, {hours:2d}:{minutes:02d}"
    elif hours:
        up = f"{hours:2d}:{minutes:02d}"
    else:
        up = f"{minutes} min"
    load = ", ".join(f"{value:.2f}" for value in ctx.loadavg)
    return f" {now} up {up},  0 users,  load average: {load}\n"


def _uptime(shell: Shell, args: list[str]) -> int:
    shell.write(_uptime_text(shell.ctx))
    return 0


def _cat(shell: Shell, args: list[str]) -> int:
    status = 0
    if not args:
        shell.write(shell.stdin or "")
        return 0
    for name in args:
        virtual = shell.ctx.virtual_files.get(shell.absolute(name))
        if virtual is not None:
            shell.write(virtual)
            continue
        target = shell.resolve(name)
        if target.is_dir():
            shell.err.write(f"cat: {name}: Is a directory\n")
            status = 1
            continue
        try:
            shell.write(target.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            shell.err.write(f"cat: {name}: No such file or directory\n")
            status = 1
    return status


def _echo(shell: Shell, args: list[str]) -> int:
    newline = True
    if args and args[0] == "-n":
        newline = False
        args = args[1:]
    shell.write(" ".join(args) + ("\n" if newline else ""))
    return 0


def _true(shell: Shell, args: list[str]) -> int:
    return 0


def _false(shell: Shell, args: list[str]) -> int:
    return 1


def _exit(shell: Shell, args: list[str]) -> int:
    status = shell.status
    if args:
        try:
            status = int(args[0]) & 0xFF
        except ValueError:
            shell.err.write(f"{shell._prefix}: exit: {args[0]}: numeric argument required\n")
            status = 255
    raise ShellExit(status)


def _ps(shell: Shell, args: list[str]) -> int:
    wide = any(flag in {"aux", "-aux", "-ef", "-e", "ax", "-A"} for flag in args)
    if wide:
        shell.write("USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n")
        total = max(shell.ctx.mem_total_kb, 1)
        for proc in shell.ctx.processes:
            mem = 100.0 * proc.rss_kb / total
            shell.write(
                f"{proc.user:<8} {proc.pid:>5}  0.0 {mem:4.1f} {proc.vsz_kb:>6} {proc.rss_kb:>5} ?        Ss   "
                f"00:00   0:00 {proc.command}\n"
            )
        return 0
    shell.write("  PID TTY          TIME CMD\n")
    for proc in shell.ctx.processes[-2:]:
        shell.write(f"{proc.pid:>5} ?        00:00:00 {proc.command.split()[0].rsplit('/', 1)[-1]}\n")
    return 0


def _pwd(shell: Shell, args: list[str]) -> int:
    shell.write(shell.ctx.cwd + "\n")
    return 0


def _cd(shell: Shell, args: list[str]) -> int:
    target = args[0] if args else "/root"
    host = shell.resolve(target)
    if not host.is_dir():
        shell.err.write(f"{shell._prefix}: cd: {target}: No such file or directory\n")
        return 1
    shell.ctx.cwd = "/" + "/".join(host.relative_to(shell.ctx.root).parts)
    return 0


def _ls(shell: Shell, args: list[str]) -> int:
    names = [arg for arg in args if not arg.startswith("-")] or ["."]
    status = 0
    for name in names:
        host = shell.resolve(name)
        if host.is_dir():
            entries = sorted(entry.name for entry in host.iterdir() if not entry.name.startswith("."))
            if entries and shell.ctx.login and shell.out is shell.terminal:
                shell.write("  ".join(entries) + "\n")
            else:
                shell.write("".join(f"{entry}\n" for entry in entries))
        elif host.exists():
            shell.write(name + "\n")
        else:
            shell.err.write(f"ls: cannot access {name}: No such file or directory\n")
            status = 2
    return status


def _uname(shell: Shell, args: list[str]) -> int:
    kernel, release, machine = "Linux", "2.6.32-042stab127.2", "x86_64"
    fields = {"-s": kernel, "-n": shell.ctx.hostname, "-r": release, "-m": machine, "-o": "GNU/Linux"}
    if not args:
        shell.write(kernel + "\n")
    elif "-a" in args:
        version = "#1 SMP Thu Jan 4 16:41:41 MSK 2018"
        shell.write(f"{kernel} {shell.ctx.hostname} {release} {version} {machine} {machine} {machine} GNU/Linux\n")
    else:
        shell.write(" ".join(fields.get(arg, kernel) for arg in args) + "\n")
    return 0


def _whoami(shell: Shell, args: list[str]) -> int:
    shell.write("root\n")
    return 0


def _id(shell: Shell, args: list[str]) -> int:
    shell.write("uid=0(root) gid=0(root) groups=0(root)\n")
    return 0


def _date(shell: Shell, args: list[str]) -> int:
    shell.write(time.strftime("%a %b %e %H:%M:%S %Z %Y") + "\n")
    return 0


def _free(shell: Shell, args: list[str]) -> int:
    ctx = shell.ctx
    divisor = 1024 if "-m" in args else 1
    total, used = ctx.mem_total_kb // divisor, ctx.mem_used_kb // divisor
    free = max(total - used, 0)
    shell.write("             total       used       free     shared    buffers     cached\n")
    shell.write(f"Mem:    {total:>10} {used:>10} {free:>10} {0:>10} {0:>10} {0:>10}\n")
    shell.write(f"-/+ buffers/cache: {used:>10} {free:>10}\n")
    swap_total, swap_used = ctx.swap_total_kb // divisor, ctx.swap_used_kb // divisor
    shell.write(f"Swap:   {swap_total:>10} {swap_used:>10} {max(swap_total - swap_used, 0):>10}\n")
    return 0


def _df(shell: Shell, args: list[str]) -> int:
    ctx = shell.ctx
    total, used = ctx.disk_total_kb, ctx.disk_used_kb
    avail = max(total - used, 0)
    percent = f"{(100 * used + total - 1) // total}%" if total else "0%"
    shell.write("Filesystem     1K-blocks    Used Available Use% Mounted on\n")
    shell.write(f"{'/dev/simfs':<14} {total:>9} {used:>7} {avail:>9} {percent:>4} /\n")
    shell.write(f"{'none':<14} {ctx.mem_total_kb // 2:>9} {4:>7} {ctx.mem_total_kb // 2 - 4:>9} {'1%':>4} /dev\n")
    return 0


def _input_lines(shell: Shell, files: list[str]) -> list[str] | None:
    if not files:
        return (shell.stdin or "").splitlines()
    lines: list[str] = []
    for name in files:
        try:
            lines.extend(shell.resolve(name).read_text(encoding="utf-8", errors="replace").splitlines())
        except OSError:
            shell.err.write(f"{name}: No such file or directory\n")
            return None
    return lines


def _count_option(args: list[str], default: int) -> tuple[int, list[str]]:
    count, rest = default, []
    iterator = iter(args)
    for arg in iterator:
        if arg == "-n":
            text = next(iterator, str(default))
            if not text.lstrip("-").isdigit():
                raise ValueError(text)
            count = abs(int(text))
        elif arg.startswith("-") and arg[1:].isdigit():
            count = int(arg[1:])
        else:
            rest.append(arg)
    return count, rest


def _head(shell: Shell, args: list[str]) -> int:
    try:
        count, files = _count_option(args, 10)
    except ValueError as exc:
        shell.err.write(f"head: invalid number of lines: '{exc.args[0]}'\n")
        return 1
    lines = _input_lines(shell, files)
    if lines is None:
        return 1
    shell.write("".join(f"{line}\n" for line in lines[:count]))
    return 0


def _tail(shell: Shell, args: list[str]) -> int:
    try:
        count, files = _count_option(args, 10)
    except ValueError as exc:
        shell.err.write(f"tail: invalid number of lines: '{exc.args[0]}'\n")
        return 1
    lines = _input_lines(shell, files)
    if lines is None:
        return 1
    shell.write("".join(f"{line}\n" for line in lines[-count:] if count))
    return 0


def _wc(shell: Shell, args: list[str]) -> int:
    flags = [arg for arg in args if arg.startswith("-")]
    lines = _input_lines(shell, [arg for arg in args if not arg.startswith("-")])
    if lines is None:
        return 1
    text = "\n".join(lines) + ("\n" if lines else "")
    counts = {"-l": len(lines), "-w": len(text.split()), "-c": len(text.encode())}
    chosen = [counts[flag] for flag in ("-l", "-w", "-c") if flag in flags] or list(counts.values())
    shell.write(" ".join(str(value) for value in chosen) + "\n")
    return 0


def _grep(shell: Shell, args: list[str]) -> int:
    flags = {arg for arg in args if arg.startswith("-") and len(arg) > 1}
    words = [arg for arg in args if arg not in flags]
    if not words:
        shell.err.write("Usage: grep [OPTION]... PATTERN [FILE]...\n")
        return 2
    pattern, files = words[0], words[1:]
    lines = _input_lines(shell, files)
    if lines is None:
        return 2
    ignore = "-i" in flags
    invert = "-v" in flags
    needle = pattern.lower() if ignore else pattern
    found = [line for line in lines if ((needle in (line.lower() if ignore else line)) != invert)]
    if "-c" in flags:
        shell.write(f"{len(found)}\n")
    else:
        shell.write("".join(f"{line}\n" for line in found))
    return 0 if found else 1


def _sort(shell: Shell, args: list[str]) -> int:
    lines = _input_lines(shell, [arg for arg in args if not arg.startswith("-")])
    if lines is None:
        return 2
    shell.write("".join(f"{line}\n" for line in sorted(lines, reverse="-r" in args)))
    return 0


def _sleep(shell: Shell, args: list[str]) -> int:
    from vztui.sim.vzctl.timing import pause

    try:
        pause(float(args[0]) if args else 0.0)
    except ValueError:
        shell.err.write(f"sleep: invalid time interval '{args[0]}'\n")
        return 1
    return 0


_BUILTINS: dict[str, Builtin] = {
    "hostname": _hostname,
    "uptime": _uptime,
    "cat": _cat,
    "echo": _echo,
    "true": _true,
    ":": _true,
    "false": _false,
    "exit": _exit,
    "logout": _exit,
    "ps": _ps,
    "pwd": _pwd,
    "cd": _cd,
    "ls": _ls,
    "uname": _uname,
    "whoami": _whoami,
    "id": _id,
    "date": _date,
    "free": _free,
    "df": _df,
    "sleep": _sleep,
    "head": _head,
    "tail": _tail,
    "wc": _wc,
    "grep": _grep,
    "sort": _sort,
}


def run_command(context: ShellContext, command: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """``bash -c "<words joined by spaces>"`` as vzctl exec runs it."""
    shell = Shell(context, stdout, stderr)
    try:
        return shell.run_line(" ".join(command))
    except ShellExit as done:
        return done.status
