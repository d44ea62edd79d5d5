"""The CLI's one way to stop early: a message for stderr and an exit code, never a traceback."""

from __future__ import annotations

from vztui.cli import exitcodes


class CliError(Exception):
    def __init__(self, message: str, code: int = exitcodes.USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
