"""Runs commands as child processes of vztui itself: for vztui running on the hardware node (and the demo)."""

from __future__ import annotations

import asyncio
import os
import pty
import signal
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Sequence

from vztui.backend.nodespec import NodeSpec
from vztui.backend.transport import (
    CommandResult,
    CommandTimeoutError,
    ExitStatus,
    LinkState,
    LinkStatus,
    OutputLine,
    Stream,
    StreamEvent,
    Transport,
    TransportError,
)
from vztui.backend.transports._command import SUDO_PREFIX, prefixed_path, read_error
from vztui.backend.transports._lines import LineSplitter
from vztui.backend.transports._process import READ_CHUNK, pump_lines, send_signal, terminate

_NOT_FOUND_EXIT = 127
_NOT_EXECUTABLE_EXIT = 126


class LocalTransport(Transport):
    """Every command runs in its own session (process group), so cancelling kills it and all its children."""

    def __init__(self, spec: NodeSpec) -> None:
        self.node = spec.name
        self.spec = spec
        self._since = time.time()
        self._children: set[asyncio.subprocess.Process] = set()
        self._reapers: set[asyncio.Task[None]] = set()
        self._closed = False

    def command_argv(self, argv: Sequence[str]) -> list[str]:
        """The argv actually executed: with ``sudo -n`` (and PATH passed through ``env``, which sudo resets)."""
        if not argv:
            raise ValueError("empty argv")
        if not self.spec.sudo:
            return list(argv)
        env_path = [f"PATH={self._path()}"] if self.spec.path else []
        return [*SUDO_PREFIX, "env", *env_path, *argv]

    def _path(self) -> str:
        current = os.environ.get("PATH", os.defpath)
        return f"{self.spec.path}:{current}" if self.spec.path else current

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PATH"] = self._path()
        return env

    async def _spawn(self, argv: Sequence[str], **kwargs: object) -> asyncio.subprocess.Process | CommandResult:
        """Start ``argv``; a missing or non-executable program becomes exit 127/126 like a shell reports it."""
        if self._closed:
            raise TransportError(self.node, "transport is closed")
        full = self.command_argv(argv)
        started = time.monotonic()
        try:
            proc = await asyncio.create_subprocess_exec(
                *full,
                env=self._env(),
                start_new_session=True,
                **kwargs,  # type: ignore[arg-type]
            )
        except FileNotFoundError:
            code, why = _NOT_FOUND_EXIT, "command not found"
        except PermissionError:
            code, why = _NOT_EXECUTABLE_EXIT, "Permission denied"
        else:
            self._children.add(proc)
            return proc
        message = f"{full[0]}: {why}\n".encode()
        return CommandResult(tuple(argv), code, b"", message, time.monotonic() - started)

    async def run(self, argv: Sequence[str], *, timeout: float = 60.0, stdin: bytes | None = None) -> CommandResult:
        started = time.monotonic()
        spawned = await self._spawn(
            argv,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        if isinstance(spawned, CommandResult):
            return spawned
        proc = spawned
        try:
            stdout, stderr = await asyncio.wait_for(proc.communicate(stdin), timeout)
        except TimeoutError:
            await terminate(proc, group=True)
            raise CommandTimeoutError(self.node, f"{argv[0]} timed out after {timeout:g}s and was killed") from None
        finally:
            if proc.returncode is None:  # cancelled by the caller
                self._reap_in_background(proc)
            self._children.discard(proc)
        assert proc.returncode is not None
        return CommandResult(tuple(argv), proc.returncode, stdout, stderr, time.monotonic() - started)

    def stream(self, argv: Sequence[str], *, timeout: float = 3600.0, pty: bool = False) -> AsyncIterator[StreamEvent]:
        return self._stream_pty(argv, timeout) if pty else self._stream_pipes(argv, timeout)

    async def _stream_pipes(self, argv: Sequence[str], timeout: float) -> AsyncIterator[StreamEvent]:
        spawned = await self._spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if isinstance(spawned, CommandResult):
            for line in LineSplitter(Stream.STDERR).feed(spawned.stderr):
                yield line
            yield ExitStatus(spawned.exit_code)
            return
        proc = spawned
        assert proc.stdout is not None and proc.stderr is not None
        queue: asyncio.Queue[OutputLine | None] = asyncio.Queue()
        pumps = [
            asyncio.create_task(pump_lines(proc.stdout, Stream.STDOUT, queue)),
            asyncio.create_task(pump_lines(proc.stderr, Stream.STDERR, queue)),
        ]
        deadline = time.monotonic() + timeout
        finished = False
        try:
            open_streams = len(pumps)
            while open_streams:
                try:
                    item = await asyncio.wait_for(queue.get(), max(0.0, deadline - time.monotonic()))
                except TimeoutError:
                    await terminate(proc, group=True)
                    yield ExitStatus(-1, f"timed out after {timeout:g}s; killed")
                    finished = True
                    return
                if item is None:
                    open_streams -= 1
                else:
                    yield item
            try:
                code = await asyncio.wait_for(proc.wait(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                await terminate(proc, group=True)
                yield ExitStatus(-1, f"timed out after {timeout:g}s; killed")
                finished = True
                return
            finished = True
            yield ExitStatus(code)
        finally:
            for pump in pumps:
                pump.cancel()
            if not finished or proc.returncode is None:
                self._reap_in_background(proc)
            self._children.discard(proc)

    async def _stream_pty(self, argv: Sequence[str], timeout: float) -> AsyncIterator[StreamEvent]:
        master, slave = pty.openpty()
        try:
            spawned = await self._spawn(argv, stdin=slave, stdout=slave, stderr=slave)
        finally:
            os.close(slave)
        if isinstance(spawned, CommandResult):
            os.close(master)
            for line in LineSplitter(Stream.STDOUT).feed(spawned.stderr):
                yield line
            yield ExitStatus(spawned.exit_code)
            return
        proc = spawned
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes] = asyncio.Queue()

        def readable() -> None:
            try:
                data = os.read(master, READ_CHUNK)
            except OSError:  # EIO once every slave fd is closed: the pty's way of saying EOF
                data = b""
            if not data:
                loop.remove_reader(master)
            queue.put_nowait(data)

        loop.add_reader(master, readable)
        splitter = LineSplitter(Stream.STDOUT)
        deadline = time.monotonic() + timeout
        finished = False
        try:
            while True:
                try:
                    data = await asyncio.wait_for(queue.get(), max(0.0, deadline - time.monotonic()))
                except TimeoutError:
                    await terminate(proc, group=True)
                    yield ExitStatus(-1, f"timed out after {timeout:g}s; killed")
                    finished = True
                    return
                if not data:
                    break
                for line in splitter.feed(data):
                    yield line
            for line in splitter.flush():
                yield line
            code = await proc.wait()
            finished = True
            yield ExitStatus(code)
        finally:
            loop.remove_reader(master)
            os.close(master)
            if not finished or proc.returncode is None:
                self._reap_in_background(proc)
            self._children.discard(proc)

    async def read_file(self, path: str) -> bytes:
        target = prefixed_path(self.spec.root_prefix, path)
        if self.spec.sudo:
            result = await self.run(["cat", "--", target], timeout=self.spec.command_timeout)
            if not result.ok:
                raise read_error(target, result.exit_code, result.stderr_text)
            return result.stdout
        return await asyncio.to_thread(_read_bytes, target)

    def run_interactive(self, argv: Sequence[str]) -> int:
        """Run in the foreground of this terminal; vztui ignores Ctrl-C meanwhile so it reaches the child only."""
        full = self.command_argv(argv)
        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main else None
        try:
            return subprocess.call(full, env=self._env())
        except FileNotFoundError:
            return _NOT_FOUND_EXIT
        finally:
            if in_main:
                signal.signal(signal.SIGINT, previous)

    def _reap_in_background(self, proc: asyncio.subprocess.Process) -> None:
        """Kill an abandoned command without awaiting (callable from a generator's ``finally``); ``close`` waits."""
        send_signal(proc, signal.SIGTERM, group=True)
        try:
            task = asyncio.get_running_loop().create_task(terminate(proc, group=True))
        except RuntimeError:  # no loop any more (interpreter shutdown): the TERM above is all we can do
            return
        self._reapers.add(task)
        task.add_done_callback(self._reapers.discard)

    def link_status(self) -> LinkStatus:
        if self._closed:
            return LinkStatus(LinkState.UNREACHABLE, self._since, "transport closed")
        return LinkStatus(LinkState.CONNECTED, self._since)

    async def close(self) -> None:
        self._closed = True
        self._since = time.time()
        for proc in list(self._children):
            if proc.returncode is None:
                send_signal(proc, signal.SIGKILL, group=True)
        self._children.clear()
        if self._reapers:
            await asyncio.gather(*self._reapers, return_exceptions=True)


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()
