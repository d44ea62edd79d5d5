"""The one interface every way of reaching a node implements: local subprocess, paramiko SSH, system OpenSSH.

Commands are argv lists. A transport that must cross a shell (SSH exec) joins them once with ``shlex.join``;
nothing else ever builds a command string.
"""

from __future__ import annotations

import enum
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field


class TransportError(Exception):
    """The node could not be reached or the command could not be delivered (not: the command failed)."""

    def __init__(self, node: str, message: str) -> None:
        self.node = node
        self.message = message
        super().__init__(f"{node}: {message}")


class CommandTimeoutError(TransportError):
    """The command did not finish in time; the remote process was killed."""


class HostKeyError(TransportError):
    """The node's host key is unknown or has changed. Nothing was sent.

    ``fingerprint`` is the SHA256 fingerprint as OpenSSH prints it (``SHA256:…``) so a trust step can show it.
    """

    def __init__(
        self,
        node: str,
        message: str,
        *,
        hostname: str,
        key_type: str,
        fingerprint: str,
        changed: bool,
        key_base64: str = "",
    ) -> None:
        super().__init__(node, message)
        self.hostname = hostname
        self.key_type = key_type
        self.fingerprint = fingerprint
        self.changed = changed
        self.key_base64 = key_base64


class AuthenticationError(TransportError):
    """The node refused every key and the agent."""


@dataclass(frozen=True, slots=True)
class CommandResult:
    """The whole outcome of one command."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: bytes
    stderr: bytes
    duration: float

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def stdout_text(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")

    @property
    def stderr_text(self) -> str:
        return self.stderr.decode("utf-8", errors="replace")


class Stream(enum.StrEnum):
    STDOUT = "stdout"
    STDERR = "stderr"


@dataclass(frozen=True, slots=True)
class OutputLine:
    """One line of a streamed command's output, without its newline, decoded with replacement."""

    stream: Stream
    text: str
    at: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True)
class ExitStatus:
    """The last event of a stream: the command's exit code (or -1 with ``reason`` when it was cut off)."""

    exit_code: int
    reason: str = ""


StreamEvent = OutputLine | ExitStatus


class LinkState(enum.StrEnum):
    """Reachability of a node as the transport sees it."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class LinkStatus:
    state: LinkState
    since: float
    reason: str = ""


class Transport(ABC):
    """Runs argv lists on one node. Implementations are safe to use from several asyncio tasks at once."""

    node: str

    @abstractmethod
    async def run(self, argv: Sequence[str], *, timeout: float = 60.0, stdin: bytes | None = None) -> CommandResult:
        """Run to completion. Raises CommandTimeoutError (after killing the command) or TransportError."""

    @abstractmethod
    def stream(self, argv: Sequence[str], *, timeout: float = 3600.0, pty: bool = False) -> AsyncIterator[StreamEvent]:
        """Yield output lines as they arrive, then exactly one ExitStatus.

        Closing the iterator early (``aclose()`` or task cancellation) cancels the command: the remote process dies.
        """

    @abstractmethod
    async def read_file(self, path: str) -> bytes:
        """Read one file on the node (through the same channel, so sudo and root prefixes apply)."""

    @abstractmethod
    def run_interactive(self, argv: Sequence[str]) -> int:
        """Run ``argv`` on the node attached to the controlling terminal (a pty on the far side); block until it ends.

        For ``vzctl enter``: the UI calls it inside ``App.suspend()`` and gets the exit code back.
        """

    @abstractmethod
    def link_status(self) -> LinkStatus:
        """Current reachability, for the node tree and the header."""

    @abstractmethod
    async def close(self) -> None:
        """Drop connections and kill anything still running."""
