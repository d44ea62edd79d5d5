"""SSH with paramiko: one persistent, self-healing connection per node, many channels over it.

Blocking paramiko calls (connect, open a channel, close) run in this transport's own thread pool, so a hung node
can neither block the event loop nor starve other nodes' threads. Channel output is read on the event loop through
the channel's poll pipe (``Channel.fileno()``), without a thread per command.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import paramiko

from vztui.backend.hostkeys import KnownHosts
from vztui.backend.nodespec import NodeSpec
from vztui.backend.sshconfig import load_ssh_config, resolve_spec
from vztui.backend.transport import (
    AuthenticationError,
    CommandResult,
    CommandTimeoutError,
    ExitStatus,
    HostKeyError,
    LinkState,
    LinkStatus,
    Stream,
    StreamEvent,
    Transport,
    TransportError,
)
from vztui.backend.transports._channel import ChannelPump
from vztui.backend.transports._command import Launch, prefixed_path, read_argv, read_error, remote_command
from vztui.backend.transports._lines import LineSplitter
from vztui.backend.transports._ssh_connect import Connector
from vztui.backend.transports._terminal import bridge, terminal_size

T = TypeVar("T")

MAX_CHANNELS = 8
"""Concurrent channels per connection; OpenSSH's sshd allows 10 sessions (MaxSessions) per connection."""


class ParamikoTransport(Transport):
    """One node over paramiko. Safe for many concurrent tasks; at most ``max_channels`` commands run at once."""

    def __init__(
        self,
        spec: NodeSpec,
        *,
        known_hosts: KnownHosts | None = None,
        ssh_config: paramiko.SSHConfig | None = None,
        max_channels: int = MAX_CHANNELS,
        keepalive_interval: float = 15.0,
        keepalive_count: int = 3,
        idle_timeout: float | None = 600.0,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        unreachable_after: float = 30.0,
        use_agent: bool = True,
        tcp_nodelay: bool = True,
    ) -> None:
        self.node = spec.name
        self.spec = spec
        self.known_hosts = known_hosts if known_hosts is not None else KnownHosts()
        self._ssh_config = ssh_config
        self.keepalive_interval = keepalive_interval
        self.keepalive_count = keepalive_count
        self.idle_timeout = idle_timeout
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.unreachable_after = unreachable_after
        self.use_agent = use_agent
        self.tcp_nodelay = tcp_nodelay
        self._pool = ThreadPoolExecutor(max_workers=max_channels + 4, thread_name_prefix=f"vztui-ssh-{spec.name}")
        self._channels = asyncio.Semaphore(max_channels)
        self._lock = threading.Lock()
        self._conn: paramiko.Transport | None = None
        self._jumps: list[paramiko.Transport] = []
        self._status = LinkStatus(LinkState.CONNECTING, time.time())
        self._failures = 0
        self._next_attempt = 0.0
        self._last_error: TransportError | None = None
        self._hosts_stamp: tuple[tuple[int, int], ...] = ()
        self._closed = False
        self._active = 0
        self._last_used = time.monotonic()
        self._monitor: asyncio.Task[None] | None = None
        self._probes: set[asyncio.Task[bool]] = set()

    # ----- the command string -----

    def remote_command(
        self, argv: Sequence[str], *, launch: Launch = Launch.WATCHED, stdin_size: int | None = None
    ) -> str:
        """The exact string the node's shell receives for ``argv`` (PATH and sudo prefixes included)."""
        return remote_command(argv, path=self.spec.path, sudo=self.spec.sudo, launch=launch, stdin_size=stdin_size)

    # ----- connection management (blocking; runs in the pool or in run_interactive's thread) -----

    def _ensure_connected(self) -> paramiko.Transport:
        with self._lock:
            conn = self._conn
            if conn is not None and conn.is_active():
                return conn
            if self._closed:
                raise TransportError(self.node, "transport is closed")
            if conn is not None:
                self._lost("connection closed by the node")
            wait = self._next_attempt - time.monotonic()
            if isinstance(self._last_error, HostKeyError) and self.known_hosts.stamp() != self._hosts_stamp:
                wait = 0.0  # someone trusted a key since the refusal: try now, not after the backoff
            if wait > 0 and self._last_error is not None:
                if isinstance(self._last_error, HostKeyError | AuthenticationError):
                    raise self._last_error.with_traceback(None)
                raise TransportError(self.node, f"{self._last_error.message} (next attempt in {wait:.1f}s)")
            try:
                conn = self._connect()
            except TransportError as exc:
                self._failed(exc)
                raise
            except Exception as exc:  # a bad ssh_config value, a paramiko surprise: still a clear node error
                error = TransportError(self.node, f"cannot connect: {type(exc).__name__}: {exc}")
                self._failed(error)
                raise error from exc
            self._conn = conn
            self._failures = 0
            self._last_error = None
            self._status = LinkStatus(LinkState.CONNECTED, time.time())
            return conn

    def _connect(self) -> paramiko.Transport:
        config = self._ssh_config if self._ssh_config is not None else load_ssh_config()
        self._ssh_config = config
        self._close_jumps()
        connector = Connector(
            self.node, self.known_hosts, ssh_config=config, use_agent=self.use_agent, tcp_nodelay=self.tcp_nodelay
        )
        try:
            return connector.connect(resolve_spec(self.spec, config))
        finally:
            self._jumps = connector.jumps

    def _failed(self, exc: TransportError) -> None:
        self._failures += 1
        delay = min(self.backoff_max, self.backoff_base * 2 ** (self._failures - 1))
        self._next_attempt = time.monotonic() + delay * random.uniform(0.7, 1.3)  # noqa: S311 - jitter, not crypto
        self._last_error = exc
        self._hosts_stamp = self.known_hosts.stamp()
        previous = self._status
        permanent = isinstance(exc, HostKeyError | AuthenticationError)
        if (
            previous.state is LinkState.RECONNECTING
            and not permanent
            and time.time() - previous.since < self.unreachable_after
        ):
            self._status = LinkStatus(LinkState.RECONNECTING, previous.since, exc.message)
        elif previous.state is LinkState.UNREACHABLE:
            self._status = LinkStatus(LinkState.UNREACHABLE, previous.since, exc.message)
        else:
            self._status = LinkStatus(LinkState.UNREACHABLE, time.time(), exc.message)

    def _lost(self, reason: str) -> None:
        """The connection died under us: drop it and report RECONNECTING (the next command reconnects)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            # Transport.close() joins paramiko's thread: never on the event loop.
            self._in_pool_later(conn.close)
        jumps, self._jumps = self._jumps, []
        for jump in jumps:
            self._in_pool_later(jump.close)
        if self._status.state is LinkState.CONNECTED:
            self._status = LinkStatus(LinkState.RECONNECTING, time.time(), reason)

    def _close_jumps(self) -> None:
        for jump in self._jumps:
            jump.close()
        self._jumps.clear()

    def _drop(self, conn: paramiko.Transport, reason: str) -> None:
        with self._lock:
            if self._conn is conn:
                self._lost(reason)

    def retry_now(self) -> None:
        """Forget the backoff (after a trust step or a config change), so the next command connects at once."""
        with self._lock:
            self._next_attempt = 0.0

    # ----- async plumbing -----

    async def _in_pool(self, func: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, func, *args)

    def _in_pool_later(self, func: Callable[..., object], *args: object) -> None:
        """Fire and forget (closing a channel from a generator's ``finally`` must not await)."""
        with contextlib.suppress(RuntimeError):
            self._pool.submit(func, *args)

    async def _connection(self) -> paramiko.Transport:
        conn = self._conn
        if conn is None or not conn.is_active():
            conn = await self._in_pool(self._ensure_connected)
        if self._monitor is None or self._monitor.done():
            self._monitor = asyncio.get_running_loop().create_task(self._watch(), name=f"vztui-ssh-watch-{self.node}")
        return conn

    async def _open(self, command: str, *, pty: bool) -> tuple[paramiko.Transport, paramiko.Channel]:
        conn = await self._connection()
        timeout = self.spec.connect_timeout

        def open_channel() -> paramiko.Channel:
            channel = _open_session_patiently(conn, timeout)
            try:
                if pty:
                    channel.get_pty(term="dumb", width=200, height=50)
                channel.exec_command(command)
            except BaseException:
                channel.close()
                raise
            return channel

        future = asyncio.get_running_loop().run_in_executor(self._pool, open_channel)
        try:
            channel = await asyncio.wait_for(asyncio.shield(future), timeout + 1)
        except asyncio.CancelledError:
            # Abandoned mid-open: a channel that opens after all must not run on with nobody reading it.
            future.add_done_callback(self._close_late_channel)
            raise
        except (paramiko.SSHException, EOFError, OSError, TimeoutError) as exc:
            future.add_done_callback(self._close_late_channel)
            reason = str(exc) or type(exc).__name__
            if not conn.is_active() or isinstance(exc, TimeoutError):
                self._drop(conn, f"connection lost: {reason}")
                raise TransportError(self.node, f"connection lost while starting the command: {reason}") from exc
            raise TransportError(self.node, f"the node refused a new channel: {reason}") from exc
        self._last_used = time.monotonic()
        return conn, channel

    def _close_late_channel(self, future: asyncio.Future[paramiko.Channel]) -> None:
        if not future.cancelled() and future.exception() is None:
            self._in_pool_later(future.result().close)

    async def _exit_code(self, conn: paramiko.Transport, channel: paramiko.Channel, deadline: float) -> int:
        """The exit status after EOF; raises TransportError if the connection died first, TimeoutError if late."""
        if not channel.status_event.is_set():
            remaining = max(0.0, deadline - time.monotonic())
            if not await self._in_pool(channel.status_event.wait, remaining):
                raise TimeoutError
        code = channel.exit_status
        if code >= 0:
            return code
        if not conn.is_active():
            self._drop(conn, "connection lost")
            raise TransportError(self.node, "connection to the node was lost while the command ran")
        # sshd sends exit-signal instead of exit-status for a command killed by a signal; paramiko drops it.
        return -1

    async def _watch(self) -> None:
        """Dead-peer detection (OpenSSH's ServerAliveInterval/CountMax) and the idle disconnect."""
        while not self._closed:
            await asyncio.sleep(self.keepalive_interval)
            conn = self._conn
            if conn is None:
                continue
            if not conn.is_active():  # the node closed it: say so now, not at the next command
                self._drop(conn, "connection closed by the node")
                continue
            idle = time.monotonic() - self._last_used
            if self.idle_timeout is not None and self._active == 0 and idle > self.idle_timeout:
                self._drop(conn, "idle")
                self._status = LinkStatus(LinkState.CONNECTING, time.time(), "idle; reconnects on the next command")
                continue
            await self.probe(conn)

    async def probe(self, conn: paramiko.Transport | None = None) -> bool:
        """Ask the node for a reply; a silent node (frozen sshd, dead network) loses its connection."""
        conn = conn or self._conn
        if conn is None or not conn.is_active():
            return False
        wait = self.keepalive_interval * self.keepalive_count
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, conn.global_request, "keepalive@openssh.com", None, True)
        done, _ = await asyncio.wait({future}, timeout=wait)
        if done and conn.is_active():
            return True
        self._drop(conn, f"no answer from the node for {wait:g}s")
        return False

    # ----- the Transport API -----

    async def run(self, argv: Sequence[str], *, timeout: float = 60.0, stdin: bytes | None = None) -> CommandResult:
        command = self.remote_command(argv, stdin_size=None if stdin is None else len(stdin))
        started = time.monotonic()
        deadline = started + timeout
        async with self._channels:
            self._active += 1
            try:
                try:
                    conn, channel = await asyncio.wait_for(self._open(command, pty=False), timeout)
                except TimeoutError:
                    raise CommandTimeoutError(self.node, f"{argv[0]}: could not start within {timeout:g}s") from None
                pump = ChannelPump(channel)
                pump.start()
                feeder: asyncio.Future[None] | None = None
                if stdin is not None:
                    feeder = asyncio.ensure_future(self._in_pool(_send_all, channel, stdin))
                out = bytearray()
                err = bytearray()
                try:
                    while (item := await pump.get(deadline - time.monotonic())) is not None:
                        (out if item[0] is Stream.STDOUT else err).extend(item[1])
                    code = await self._exit_code(conn, channel, deadline)
                except TimeoutError:
                    await self._on_timeout(conn)
                    raise CommandTimeoutError(
                        self.node, f"{argv[0]} timed out after {timeout:g}s; the command was killed"
                    ) from None
                finally:
                    pump.stop()
                    self._in_pool_later(channel.close)
                    if feeder is not None:
                        feeder.cancel()
                if not conn.is_active() and channel.exit_status < 0:
                    raise TransportError(self.node, "connection to the node was lost while the command ran")
                return CommandResult(tuple(argv), code, bytes(out), bytes(err), time.monotonic() - started)
            finally:
                self._active -= 1
                self._last_used = time.monotonic()

    async def _on_timeout(self, conn: paramiko.Transport) -> None:
        """A command overran: if the node is frozen rather than busy, drop the connection now, not at the next tick."""
        task = asyncio.get_running_loop().create_task(self.probe(conn))
        self._probes.add(task)
        task.add_done_callback(self._probes.discard)

    def stream(self, argv: Sequence[str], *, timeout: float = 3600.0, pty: bool = False) -> AsyncIterator[StreamEvent]:
        return self._stream(argv, timeout, pty)

    async def _stream(self, argv: Sequence[str], timeout: float, pty: bool) -> AsyncIterator[StreamEvent]:
        command = self.remote_command(argv, launch=Launch.EXEC if pty else Launch.WATCHED)
        deadline = time.monotonic() + timeout
        async with self._channels:
            self._active += 1
            try:
                try:
                    conn, channel = await asyncio.wait_for(self._open(command, pty=pty), timeout)
                except TimeoutError:
                    raise CommandTimeoutError(self.node, f"{argv[0]}: could not start within {timeout:g}s") from None
                pump = ChannelPump(channel)
                pump.start()
                splitters = {s: LineSplitter(s) for s in Stream}
                try:
                    try:
                        while (item := await pump.get(deadline - time.monotonic())) is not None:
                            for line in splitters[item[0]].feed(item[1]):
                                yield line
                        for splitter in splitters.values():
                            for line in splitter.flush():
                                yield line
                        code = await self._exit_code(conn, channel, deadline)
                    except TimeoutError:
                        await self._on_timeout(conn)
                        yield ExitStatus(-1, f"timed out after {timeout:g}s; the command was killed")
                        return
                    except TransportError as exc:
                        yield ExitStatus(-1, exc.message)
                        return
                    yield ExitStatus(code, "" if code >= 0 else "killed by a signal")
                finally:
                    pump.stop()
                    self._in_pool_later(channel.close)
            finally:
                self._active -= 1
                self._last_used = time.monotonic()

    async def read_file(self, path: str) -> bytes:
        target = prefixed_path(self.spec.root_prefix, path)
        result = await self.run(read_argv(target), timeout=self.spec.command_timeout)
        if not result.ok:
            raise read_error(target, result.exit_code, result.stderr_text)
        return result.stdout

    def run_interactive(self, argv: Sequence[str]) -> int:
        """A pty channel bridged to this terminal in raw mode; the terminal is restored whatever happens."""
        conn = self._ensure_connected()
        size = terminal_size()
        channel = conn.open_session(timeout=self.spec.connect_timeout)
        try:
            channel.get_pty(term=os.environ.get("TERM", "xterm"), width=size[0], height=size[1])
            channel.exec_command(self.remote_command(argv, launch=Launch.EXEC))
            bridge(channel)
            channel.status_event.wait(self.spec.connect_timeout)
            return channel.exit_status
        finally:
            channel.close()

    def link_status(self) -> LinkStatus:
        return self._status

    async def close(self) -> None:
        self._closed = True
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            await self._in_pool(conn.close)
        await self._in_pool(self._close_jumps)
        self._status = LinkStatus(LinkState.UNREACHABLE, time.time(), "transport closed")
        self._pool.shutdown(wait=False)


def _send_all(channel: paramiko.Channel, data: bytes) -> None:
    """Send the command's stdin bytes; no EOF after them (EOF is the watchdog's kill signal)."""
    with contextlib.suppress(OSError, paramiko.SSHException):
        channel.sendall(data)


SESSION_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8)
"""Back-off when sshd refuses a session at its MaxSessions limit: channels we have finished with may still count
there until sshd has processed their close, so a refusal right after a wave of commands is transient."""


def _open_session_patiently(conn: paramiko.Transport, timeout: float) -> paramiko.Channel:
    """``open_session``, retried a few times on sshd's "Connect failed" (OPEN_CONNECT_FAILED) refusal while the
    connection itself stays up; any other failure, or a refusal that outlasts the back-off, is raised.

    paramiko keeps the refusal in one per-connection slot, so when several threads open channels at once a refused
    thread may find the slot emptied by another and get the generic "Unable to open channel." instead: the same
    refusal, retried the same way.
    """
    for delay in SESSION_RETRY_DELAYS:
        try:
            return conn.open_session(timeout=timeout)
        except paramiko.ChannelException as exc:
            if exc.code != paramiko.common.OPEN_FAILED_CONNECT_FAILED or not conn.is_active():
                raise
        except paramiko.SSHException as exc:
            if str(exc) != "Unable to open channel." or not conn.is_active():
                raise
        time.sleep(delay)  # on the transport's worker thread, never on the event loop
    return conn.open_session(timeout=timeout)
