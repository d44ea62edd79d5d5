"""A transport base for tests and benchmarks that replay captured poll output: it answers ``run`` (the subclass
decides how) and refuses everything else, so a replay can never be mistaken for a node that runs operations."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from vztui.backend.transport import LinkState, LinkStatus, StreamEvent, Transport, TransportError


class ReplayOnlyTransport(Transport):
    """Always connected; ``stream``, ``read_file`` and ``run_interactive`` refuse (subclasses implement ``run``)."""

    node: str

    def stream(self, argv: Sequence[str], *, timeout: float = 3600.0, pty: bool = False) -> AsyncIterator[StreamEvent]:
        raise TransportError(self.node, "the replay transport runs no operations")

    async def read_file(self, path: str) -> bytes:
        raise FileNotFoundError(path)

    def run_interactive(self, argv: Sequence[str]) -> int:
        raise TransportError(self.node, "the replay transport has no terminal")

    def link_status(self) -> LinkStatus:
        return LinkStatus(LinkState.CONNECTED, 0.0)

    async def close(self) -> None:
        return
