"""The one exception configuration loading raises: every problem found, each as ``file:LINE: message``."""

from __future__ import annotations

from collections.abc import Sequence


class ConfigError(Exception):
    """The configuration is unusable. ``problems`` are complete lines for the terminal; the CLI exits 2."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))
