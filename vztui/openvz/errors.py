"""Exceptions of the domain layer: what went wrong, and where in the input."""

from __future__ import annotations


class ParseError(ValueError):
    """Raised by every parser on input it cannot understand.

    Carries the 1-based line number of the offending line (0 when the input as a whole is wrong, e.g. empty or
    truncated) so an admin can find it in the raw output.
    """

    def __init__(self, message: str, line: int = 0, *, source: str = "") -> None:
        self.message = message
        self.line = line
        self.source = source
        where = f"{source}:" if source else ""
        where += f"line {line}: " if line else (": " if source else "")
        super().__init__(f"{where}{message}")


class ValidationError(ValueError):
    """A value a user typed (form field, CLI argument, config file) that vztui refuses to turn into a command.

    ``field`` names the option (``"--ram"``, ``"hostname"``) so forms can put the message beside the right input.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
