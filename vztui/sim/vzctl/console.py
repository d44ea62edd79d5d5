"""vzctl's logger: verbosity-filtered output on stdout/stderr, flushed per line, mirrored into vzctl.log.

Mirrors logger.c: a message of level < 0 is an error and goes to stderr, level >= 0 goes to stdout, and it is shown
only when the console verbosity is >= its level; ``--quiet`` silences the console but not the log file. Direct
``fprintf`` calls of vzctl (usage, getopt errors, ``Bad command``, the status line) bypass the logger: ``raw_out`` and
``raw_err``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TextIO


class Console:
    """Where one vzctl invocation writes its messages."""

    def __init__(self, stdout: TextIO, stderr: TextIO, *, verbose: int = 0, quiet: bool = False) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.verbose = verbose
        self.quiet = quiet
        self._log_path: Path | None = None
        self._log_level = 0
        self._veid = 0
        self._prog = "vzctl"

    def open_log(self, path: Path, *, veid: int, level: int, prog: str = "vzctl") -> None:
        """Start mirroring messages into the node's log file (LOGGING=yes, LOGFILE, LOG_LEVEL of vz.conf)."""
        self._log_path = path
        self._log_level = level
        self._veid = veid
        self._prog = prog

    def log(self, level: int, message: str) -> None:
        """vzctl's ``logger(level, 0, message)``."""
        if not self.quiet and self.verbose >= level:
            stream = self.stderr if level < 0 else self.stdout
            stream.write(message + "\n")
            stream.flush()
        if self._log_path is not None and self._log_level >= level:
            self._append_log(message)

    def info(self, message: str) -> None:
        self.log(0, message)

    def error(self, message: str) -> None:
        self.log(-1, message)

    def debug(self, message: str, level: int = 1) -> None:
        self.log(level, message)

    def raw_out(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def raw_err(self, text: str) -> None:
        self.stderr.write(text)
        self.stderr.flush()

    def _append_log(self, message: str) -> None:
        assert self._log_path is not None
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime())
        prefix = f"{stamp} {self._prog} : "
        if self._veid:
            prefix += f"CT {self._veid} : "
        try:
            self._log_path.parent.mkdir(parents=True, exist_ok=True)
            with self._log_path.open("a", encoding="utf-8") as handle:
                handle.write(prefix + message + "\n")
        except OSError:
            # vzctl carries on when its log file cannot be written; so does the simulator.
            self._log_path = None
