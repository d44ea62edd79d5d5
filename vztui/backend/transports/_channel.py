"""A paramiko channel's output moved onto the event loop through its poll pipe, without a thread per command."""

from __future__ import annotations

import asyncio

import paramiko

from vztui.backend.transport import Stream

_CHUNK = 65536
_QUEUE_HIGH_WATER = 256
"""Chunks buffered for a slow consumer before reading pauses (paramiko's window then throttles the node)."""


class ChannelPump:
    """Moves a channel's bytes onto the event loop as ``(stream, chunk)`` items; ``None`` marks EOF or close."""

    def __init__(self, channel: paramiko.Channel) -> None:
        self.channel = channel
        self.queue: asyncio.Queue[tuple[Stream, bytes] | None] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._fd = channel.fileno()
        self._reading = False
        self._done = False

    def start(self) -> None:
        self._resume()

    def _resume(self) -> None:
        if not self._reading and not self._done:
            self._loop.add_reader(self._fd, self._ready)
            self._reading = True

    def _pause(self) -> None:
        if self._reading:
            self._loop.remove_reader(self._fd)
            self._reading = False

    def _ready(self) -> None:
        channel = self.channel
        ended = channel.eof_received or channel.closed  # read before draining: no data can follow EOF
        while channel.recv_ready():
            self.queue.put_nowait((Stream.STDOUT, channel.recv(_CHUNK)))
        while channel.recv_stderr_ready():
            self.queue.put_nowait((Stream.STDERR, channel.recv_stderr(_CHUNK)))
        if ended:
            self._pause()
            self._done = True
            self.queue.put_nowait(None)
        elif self.queue.qsize() > _QUEUE_HIGH_WATER:
            self._pause()

    async def get(self, timeout: float) -> tuple[Stream, bytes] | None:
        """The next chunk; raises TimeoutError after ``timeout`` seconds."""
        if not self._reading and not self._done and self.queue.qsize() <= _QUEUE_HIGH_WATER // 2:
            self._resume()
        return await asyncio.wait_for(self.queue.get(), max(0.0, timeout))

    def stop(self) -> None:
        self._pause()
        self._done = True
