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
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import paramiko
from paramiko.ssh_exception import IncompatiblePeer

from vztui.backend.hostkeys import KnownHosts, Verdict, fingerprint, host_pattern
from vztui.backend.nodespec import NodeSpec
from vztui.backend.sshconfig import SshTarget, load_ssh_config, resolve, resolve_spec
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
from vztui.backend.transports._command import Launch, prefixed_path, read_argv, read_error, remote_command
from vztui.backend.transports._lines import LineSplitter

T = TypeVar("T")

MAX_CHANNELS = 8
"""Concurrent channels per connection; OpenSSH's sshd allows 10 sessions (MaxSessions) per connection."""

LEGACY_HINT = (
    "the node's sshd only offers algorithms paramiko 5 no longer implements (ssh-rsa host keys, SHA-1 key exchange: "
    'a CentOS 6-era sshd). Use the system OpenSSH client for this node: transport = "openssh" with ssh_options = '
    '["HostKeyAlgorithms=+ssh-rsa", "PubkeyAcceptedAlgorithms=+ssh-rsa", "KexAlgorithms=+diffie-hellman-group14-sha1"]'
)

_CHUNK = 65536
_QUEUE_HIGH_WATER = 256
"""Chunks buffered for a slow consumer before reading pauses (paramiko's window then throttles the node)."""


class _ChannelPump:
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
        # Off only to measure what it buys (tests/benchmarks/ssh_overhead.py): ~45 ms vs ~4 ms per command.
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

    def _target(self) -> SshTarget:
        config = self._ssh_config if self._ssh_config is not None else load_ssh_config()
        self._ssh_config = config
        return resolve_spec(self.spec, config)

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
        target = self._target()
        self._close_jumps()
        sock: socket.socket | paramiko.Channel | paramiko.ProxyCommand
        if target.proxy_jump:
            sock = self._through_jumps(target)
        elif target.proxy_command:
            try:
                sock = _ProxyCommand(target.proxy_command)
            except (paramiko.SSHException, OSError, ValueError) as exc:
                raise TransportError(self.node, f"ProxyCommand {target.proxy_command!r} failed: {exc}") from exc
        else:
            sock = self._tcp(target)
        return self._handshake(sock, target)

    def _tcp(self, target: SshTarget) -> socket.socket:
        try:
            sock = socket.create_connection((target.hostname, target.port), timeout=target.connect_timeout)
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise TransportError(self.node, f"cannot connect to {target.hostname}:{target.port}: {reason}") from exc
        # paramiko leaves Nagle on: every small command would then wait for a delayed ACK (~40 ms on loopback).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(self.tcp_nodelay))
        return sock

    def _through_jumps(self, target: SshTarget) -> paramiko.Channel:
        config = self._ssh_config
        hops = [
            resolve(hop.host, port=hop.port, user=hop.user, connect_timeout=target.connect_timeout, config=config)
            for hop in target.proxy_jump
        ]
        sock: socket.socket | paramiko.Channel = self._tcp(hops[0])
        for index, hop in enumerate(hops):
            jump = self._handshake(sock, hop)
            self._jumps.append(jump)
            following = hops[index + 1] if index + 1 < len(hops) else target
            try:
                sock = jump.open_channel(
                    "direct-tcpip",
                    (following.hostname, following.port),
                    ("127.0.0.1", 0),
                    timeout=target.connect_timeout,
                )
            except (paramiko.SSHException, OSError) as exc:
                raise TransportError(
                    self.node, f"jump host {hop.alias} cannot reach {following.hostname}:{following.port}: {exc}"
                ) from exc
        assert isinstance(sock, paramiko.Channel)
        return sock

    def _handshake(
        self, sock: socket.socket | paramiko.Channel | paramiko.ProxyCommand, target: SshTarget
    ) -> paramiko.Transport:
        """Key exchange, host key verification (before any command), then public key authentication."""
        conn = paramiko.Transport(sock)
        conn.banner_timeout = target.connect_timeout
        conn.auth_timeout = target.connect_timeout
        try:
            # Ask for a key type already on file first, as OpenSSH does; an RSA key is filed as "ssh-rsa" but
            # negotiated as rsa-sha2-512/256 (paramiko 5 has no SHA-1 ssh-rsa).
            preferred: list[str] = []
            for known in self.known_hosts.known_types(target.hostname, target.port):
                preferred += ["rsa-sha2-512", "rsa-sha2-256"] if known == "ssh-rsa" else [known]
            options = conn.get_security_options()
            supported = [t for t in preferred if t in options.key_types]
            if supported:
                options.key_types = tuple(supported) + tuple(t for t in options.key_types if t not in supported)
            try:
                conn.start_client(timeout=target.connect_timeout)
            except IncompatiblePeer as exc:
                raise TransportError(self.node, f"{target.hostname}:{target.port}: {exc}: {LEGACY_HINT}") from exc
            except (paramiko.SSHException, EOFError, OSError) as exc:
                raise TransportError(
                    self.node, f"SSH handshake with {target.hostname}:{target.port} failed: {exc or type(exc).__name__}"
                ) from exc
            self._verify_host_key(conn, target)
            self._authenticate(conn, target)
        except BaseException:
            conn.close()
            raise
        return conn

    def _verify_host_key(self, conn: paramiko.Transport, target: SshTarget) -> None:
        key = conn.get_remote_server_key()
        key_type, blob = key.get_name(), key.get_base64()
        verdict = self.known_hosts.check(target.hostname, target.port, key_type, blob)
        if verdict is Verdict.KNOWN:
            return
        name = host_pattern(target.hostname, target.port)
        print_fp = fingerprint(blob)
        if verdict is Verdict.UNKNOWN:
            message = (
                f"host key of {name} is not known: {key_type} {print_fp}. Nothing was sent. Compare the "
                f"fingerprint with the node's (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then trust it: "
                f"vztui nodes trust {self.node}"
            )
        else:
            what = "is REVOKED" if verdict is Verdict.REVOKED else "has CHANGED"
            message = (
                f"WARNING: the host key of {name} {what}: it now presents {key_type} {print_fp}. Someone may be "
                f"intercepting the connection, or the node was reinstalled. Nothing was sent. Verify with the "
                f"node's admin before removing the old key from {self.known_hosts.user_file} or "
                f"{self.known_hosts.vztui_file}."
            )
        raise HostKeyError(
            self.node,
            message,
            hostname=name,
            key_type=key_type,
            fingerprint=print_fp,
            changed=verdict is not Verdict.UNKNOWN,
            key_base64=blob,
        )

    def _authenticate(self, conn: paramiko.Transport, target: SshTarget) -> None:
        """The agent's keys first, then the identity files (the spec's, ssh_config's, or the default ones)."""
        tried: list[str] = []
        agent: paramiko.Agent | None = None
        if self.use_agent and os.environ.get("SSH_AUTH_SOCK"):
            try:
                agent = paramiko.Agent()
            except (paramiko.SSHException, OSError) as exc:
                tried.append(f"ssh-agent unusable ({exc})")
        try:
            for label, key in self._candidate_keys(agent, target, tried):
                try:
                    conn.auth_publickey(target.user, key)
                except paramiko.AuthenticationException:
                    tried.append(f"{label} (refused)")
                    continue
                except (paramiko.SSHException, EOFError, OSError) as exc:
                    raise TransportError(self.node, f"authentication with {target.hostname} broke off: {exc}") from exc
                if conn.is_authenticated():
                    return
        finally:
            if agent is not None:
                agent.close()
        detail = "; ".join(tried) or "no keys found (no agent, no identity file)"
        raise AuthenticationError(self.node, f"{target.user}@{target.hostname} refused every key: {detail}")

    def _candidate_keys(
        self, agent: paramiko.Agent | None, target: SshTarget, tried: list[str]
    ) -> list[tuple[str, paramiko.PKey]]:
        keys: list[tuple[str, paramiko.PKey]] = []
        if agent is not None:
            with contextlib.suppress(paramiko.SSHException, OSError):
                keys.extend((f"agent key {k.fingerprint}", k) for k in agent.get_keys())
        for path in target.identity_files:
            if not os.path.exists(path):
                if target.explicit_identity:
                    tried.append(f"{path} (missing)")
                continue
            try:
                keys.append((path, paramiko.PKey.from_path(path)))
            except paramiko.PasswordRequiredException:
                tried.append(f"{path} (passphrase-protected: load it into ssh-agent)")
            except (paramiko.SSHException, OSError, ValueError) as exc:
                tried.append(f"{path} (unreadable: {exc})")
        return keys

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
            channel = conn.open_session(timeout=timeout)
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
                pump = _ChannelPump(channel)
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
                pump = _ChannelPump(channel)
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
        size = _terminal_size()
        channel = conn.open_session(timeout=self.spec.connect_timeout)
        try:
            channel.get_pty(term=os.environ.get("TERM", "xterm"), width=size[0], height=size[1])
            channel.exec_command(self.remote_command(argv, launch=Launch.EXEC))
            _bridge(channel)
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


class _ProxyCommand(paramiko.ProxyCommand):
    """paramiko's ProxyCommand, with a close that reaps the process and may be called twice (paramiko does)."""

    def close(self) -> None:
        process = self.process
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


def _send_all(channel: paramiko.Channel, data: bytes) -> None:
    """Send the command's stdin bytes; no EOF after them (EOF is the watchdog's kill signal)."""
    with contextlib.suppress(OSError, paramiko.SSHException):
        channel.sendall(data)


def _terminal_size() -> tuple[int, int]:
    try:
        size = os.get_terminal_size(1)
    except OSError:
        return (80, 24)
    return (size.columns, size.lines)


def _bridge(channel: paramiko.Channel) -> None:
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
            columns, lines = _terminal_size()
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
