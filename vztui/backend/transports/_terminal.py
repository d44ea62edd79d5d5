"""Bridges a pty channel to this process's terminal in raw mode (``vzctl enter`` over paramiko)."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading

import paramiko

_CHUNK = 65536


def terminal_size() -> tuple[int, int]:
    try:
        size = os.get_terminal_size(1)
    except OSError:
        return (80, 24)
    return (size.columns, size.lines)


def bridge(channel: paramiko.Channel) -> None:
    """Copy stdin to the channel and the channel to stdout until the remote side ends, in raw mode."""
    import termios
    import tty

    stdin_fd, stdout_fd = 0, 1  # the terminal itself, whatever sys.stdin/sys.stdout were replaced with
    is_tty = os.isatty(stdin_fd)
    saved = termios.tcgetattr(stdin_fd) if is_tty else None
    in_main = threading.current_thread() is threading.main_thread()
    previous_winch = None
    if in_main and is_tty:

        def resized(_signum: int, _frame: object) -> None:
            columns, lines = terminal_size()
            with contextlib.suppress(paramiko.SSHException, OSError):
                channel.resize_pty(width=columns, height=lines)

        previous_winch = signal.signal(signal.SIGWINCH, resized)
    try:
        if is_tty:
            tty.setraw(stdin_fd)
        stdin_open = True
        while True:
            watched: list[paramiko.Channel | int] = [channel, stdin_fd] if stdin_open else [channel]
            try:
                readable, _, _ = select.select(watched, [], [], 0.5)
            except InterruptedError:
                continue
            if channel in readable:
                data = channel.recv(_CHUNK)
                if not data:
                    break
                os.write(stdout_fd, data)
            if stdin_fd in readable:
                data = os.read(stdin_fd, 4096)
                if data:
                    channel.sendall(data)
                else:
                    stdin_open = False
                    channel.shutdown_write()
            if channel.exit_status_ready() and not channel.recv_ready():
                break
    finally:
        if saved is not None:
            termios.tcsetattr(stdin_fd, termios.TCSADRAIN, saved)
        if previous_winch is not None:
            signal.signal(signal.SIGWINCH, previous_winch)
