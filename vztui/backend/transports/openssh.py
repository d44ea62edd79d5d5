"""SSH through the system ``ssh`` client with connection sharing (ControlMaster): for what paramiko cannot do.

Choose it per node with ``transport = "openssh"``: legacy sshd (CentOS 6: ssh-rsa host keys and SHA-1 key
exchange only, add ``LEGACY_OPTIONS`` to the node's ``ssh_options``), Kerberos/GSSAPI, or ssh_config features
paramiko ignores. Every ``ssh`` process is a thin client of one master connection per node, so a command costs
one local fork plus one channel, not a handshake. Host keys are checked strictly against the same two files the
paramiko transport reads; BatchMode means ssh never prompts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from vztui.backend.hostkeys import KnownHosts, fetch_host_key, host_pattern
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
    OutputLine,
    Stream,
    StreamEvent,
    Transport,
    TransportError,
)
from vztui.backend.transports._command import Launch, prefixed_path, read_argv, read_error, remote_command
from vztui.backend.transports._process import pump_lines, send_signal, terminate

LEGACY_OPTIONS: tuple[str, ...] = (
    "HostKeyAlgorithms=+ssh-rsa",
    "PubkeyAcceptedAlgorithms=+ssh-rsa",
    "KexAlgorithms=+diffie-hellman-group14-sha1",
)
"""What OpenSSH ≥ 8.8 needs to reach a CentOS 6 sshd (OpenSSH 5.3). ``+`` appends: modern algorithms stay preferred."""

MAX_SESSIONS = 8
"""Concurrent sessions over one master; sshd's MaxSessions (default 10) applies to multiplexed sessions too."""

SSH_FAILED = 255
"""``ssh`` exits 255 when it fails itself (and passes the remote exit code through otherwise)."""

# How ssh words its own failures (exit 255), so they are told apart from a remote command exiting 255.
_HOST_KEY_CHANGED = re.compile(r"REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed", re.IGNORECASE)
_HOST_KEY_FAILED = re.compile(r"Host key verification failed|host key is known for|No \S+ host key is known")
_AUTH_FAILED = re.compile(r"Permission denied \(")
_SSH_FAILURE = re.compile(
    r"^(ssh: |kex_exchange_identification|Connection (closed|reset|timed out|refused)|Unable to negotiate"
    r"|Connection to .* closed by remote host|Received disconnect|mux_client|Control ?Socket|"
    r"banner exchange|Timeout, server .* not responding|Bad owner or permissions|ControlPath"
    r"|hostname contains invalid characters)",
    re.MULTILINE,
)
_CHANGED_FINGERPRINT = re.compile(r"(SHA256:[A-Za-z0-9+/]+)")


def default_control_dir() -> Path:
    """Where master sockets live: ``$XDG_RUNTIME_DIR/vztui``, else a per-user directory under the temp dir.

    Kept short, because a socket path must fit in 108 bytes (``%C`` adds 40).
    """
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return Path(runtime) / "vztui" if runtime else Path(tempfile.gettempdir()) / f"vztui-ssh-{os.getuid()}"


def _quote_ssh_config_word(path: Path) -> str:
    """ssh_config splits option values on blanks; double quotes keep a path with spaces whole."""
    text = str(path)
    return f'"{text}"' if any(c.isspace() for c in text) else text


class OpenSshTransport(Transport):
    """One node through ``ssh`` with ControlMaster=auto and ControlPersist; many sessions share one connection."""

    def __init__(
        self,
        spec: NodeSpec,
        *,
        known_hosts: KnownHosts | None = None,
        control_dir: Path | str | None = None,
        ssh_binary: str = "ssh",
        control_persist: int = 600,
        keepalive_interval: int = 15,
        keepalive_count: int = 3,
        ssh_config_file: str | None = None,
    ) -> None:
        self.node = spec.name
        self.spec = spec
        self.known_hosts = known_hosts if known_hosts is not None else KnownHosts()
        self.control_dir = Path(control_dir) if control_dir is not None else default_control_dir()
        self.ssh_binary = shutil.which(ssh_binary) or ssh_binary
        self.control_persist = control_persist
        self.keepalive_interval = keepalive_interval
        self.keepalive_count = keepalive_count
        self.ssh_config_file = ssh_config_file
        self._sessions = asyncio.Semaphore(MAX_SESSIONS)
        self._status = LinkStatus(LinkState.CONNECTING, time.time())
        self._children: set[asyncio.subprocess.Process] = set()
        self._closed = False

    # ----- command lines -----

    def remote_command(
        self, argv: Sequence[str], *, launch: Launch = Launch.WATCHED, stdin_size: int | None = None
    ) -> str:
        """The exact string the node's shell receives for ``argv``."""
        return remote_command(argv, path=self.spec.path, sudo=self.spec.sudo, launch=launch, stdin_size=stdin_size)

    def ssh_options(self) -> list[str]:
        """The ``ssh`` options before the destination (shared by commands, ``-O check`` and ``-O exit``)."""
        known = " ".join(_quote_ssh_config_word(p) for p in self.known_hosts.files)
        options = [
            "BatchMode=yes",
            "StrictHostKeyChecking=yes",
            f"UserKnownHostsFile={known}",
            "ControlMaster=auto",
            f"ControlPath={self.control_dir}/%C",
            f"ControlPersist={self.control_persist}",
            f"ConnectTimeout={max(1, round(self.spec.connect_timeout))}",
            f"ServerAliveInterval={self.keepalive_interval}",
            f"ServerAliveCountMax={self.keepalive_count}",
            *self.spec.ssh_options,
        ]
        argv: list[str] = []
        if self.ssh_config_file is not None:
            argv += ["-F", self.ssh_config_file]
        for option in options:
            argv += ["-o", option]
        if self.spec.port is not None:
            argv += ["-p", str(self.spec.port)]
        if self.spec.user:
            argv += ["-l", self.spec.user]
        if self.spec.identity_file:
            argv += ["-i", os.path.expanduser(self.spec.identity_file)]
        return argv

    def ssh_argv(
        self,
        argv: Sequence[str],
        *,
        launch: Launch = Launch.WATCHED,
        tty: bool = False,
        stdin_size: int | None = None,
    ) -> list[str]:
        """The local ``ssh`` command line that runs ``argv`` on the node."""
        return [
            self.ssh_binary,
            *self.ssh_options(),
            "-tt" if tty else "-T",
            "--",
            self.spec.address,
            self.remote_command(argv, launch=launch, stdin_size=stdin_size),
        ]

    def _prepare(self) -> None:
        """Refuse a control directory others could write to: whoever owns it could hijack the master socket."""
        if self._closed:
            raise TransportError(self.node, "transport is closed")
        try:
            self.control_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            info = self.control_dir.stat()
        except OSError as exc:
            raise TransportError(self.node, f"cannot create {self.control_dir}: {exc.strerror or exc}") from exc
        if info.st_uid != os.getuid() or info.st_mode & 0o077:
            raise TransportError(
                self.node, f"{self.control_dir} is not private (owner uid {info.st_uid}, mode {info.st_mode & 0o777:o})"
            )

    # ----- outcome bookkeeping -----

    async def _ssh_failure(self, exit_code: int, stderr: str) -> TransportError | None:
        """The transport error an ``ssh`` exit stands for, or None when the remote command itself exited."""
        if exit_code != SSH_FAILED:
            return None
        if _HOST_KEY_CHANGED.search(stderr) or _HOST_KEY_FAILED.search(stderr):
            return await self._host_key_error(stderr)
        if _AUTH_FAILED.search(stderr):
            return AuthenticationError(self.node, f"the node refused every key: {_last_line(stderr)}")
        if _SSH_FAILURE.search(stderr) or not stderr.strip():
            silent = "the connection to the node failed or was lost (ssh exit 255, no message)"
            return TransportError(self.node, _last_line(stderr) or silent)
        return None

    async def _host_key_error(self, stderr: str) -> HostKeyError:
        changed = bool(_HOST_KEY_CHANGED.search(stderr))
        config = load_ssh_config(Path(self.ssh_config_file)) if self.ssh_config_file else load_ssh_config()
        target = resolve_spec(self.spec, config)
        name = host_pattern(target.hostname, target.port)
        found = _CHANGED_FINGERPRINT.search(stderr)
        key_type, key_b64, print_fp = "", "", found.group(1) if found else ""
        # Under BatchMode ssh prints no fingerprint for an unknown key: ask the server for it (no authentication).
        with contextlib.suppress(OSError):
            key = await asyncio.to_thread(fetch_host_key, target.hostname, target.port, timeout=target.connect_timeout)
            if not print_fp or print_fp == key.fingerprint:
                key_type, key_b64, print_fp = key.key_type, key.base64, key.fingerprint
        verb = "has CHANGED" if changed else "is not known"
        message = f"host key of {name} {verb}"
        if print_fp:
            message += f": {key_type or 'key'} {print_fp}"
        message += ". Nothing was sent."
        if changed:
            message = (
                "WARNING: " + message + " Someone may be intercepting the connection, or the node was reinstalled."
            )
        else:
            message += f" Verify the fingerprint, then trust it: vztui nodes trust {self.node}"
        return HostKeyError(
            self.node,
            message,
            hostname=name,
            key_type=key_type,
            fingerprint=print_fp,
            changed=changed,
            key_base64=key_b64,
        )

    def _succeeded(self) -> None:
        if self._status.state is not LinkState.CONNECTED:
            self._status = LinkStatus(LinkState.CONNECTED, time.time())

    def _failed(self, error: TransportError) -> None:
        permanent = isinstance(error, HostKeyError | AuthenticationError)
        if self._status.state in (LinkState.CONNECTED, LinkState.RECONNECTING) and not permanent:
            since = self._status.since if self._status.state is LinkState.RECONNECTING else time.time()
            self._status = LinkStatus(LinkState.RECONNECTING, since, error.message)
        else:
            self._status = LinkStatus(LinkState.UNREACHABLE, time.time(), error.message)

    async def _spawn(self, ssh_argv: list[str]) -> asyncio.subprocess.Process:
        self._prepare()
        try:
            proc = await asyncio.create_subprocess_exec(
                *ssh_argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise TransportError(self.node, f"cannot run {ssh_argv[0]}: {exc.strerror or exc}") from exc
        self._children.add(proc)
        return proc

    # ----- the Transport API -----

    async def run(self, argv: Sequence[str], *, timeout: float = 60.0, stdin: bytes | None = None) -> CommandResult:
        started = time.monotonic()
        async with self._sessions:
            proc = await self._spawn(self.ssh_argv(argv, stdin_size=None if stdin is None else len(stdin)))
            try:
                # stdin carries the command's bytes, then stays open until the end: its EOF means "kill it".
                stdout, stderr = await asyncio.wait_for(_communicate_keep_stdin(proc, stdin or b""), timeout)
            except TimeoutError:
                await terminate(proc, group=False)
                raise CommandTimeoutError(
                    self.node, f"{argv[0]} timed out after {timeout:g}s; the command was killed"
                ) from None
            finally:
                if proc.returncode is None:
                    send_signal(proc, signal.SIGTERM, group=False)
                self._children.discard(proc)
        assert proc.returncode is not None
        failure = await self._ssh_failure(proc.returncode, stderr.decode("utf-8", "replace"))
        if failure is not None:
            self._failed(failure)
            raise failure
        self._succeeded()
        return CommandResult(tuple(argv), proc.returncode, stdout, stderr, time.monotonic() - started)

    def stream(self, argv: Sequence[str], *, timeout: float = 3600.0, pty: bool = False) -> AsyncIterator[StreamEvent]:
        return self._stream(argv, timeout, pty)

    async def _stream(self, argv: Sequence[str], timeout: float, pty: bool) -> AsyncIterator[StreamEvent]:
        launch = Launch.EXEC if pty else Launch.WATCHED
        deadline = time.monotonic() + timeout
        async with self._sessions:
            proc = await self._spawn(self.ssh_argv(argv, launch=launch, tty=pty))
            assert proc.stdout is not None and proc.stderr is not None
            queue: asyncio.Queue[OutputLine | None] = asyncio.Queue()
            errors = _Tee(proc.stderr)
            pumps = [
                asyncio.create_task(pump_lines(proc.stdout, Stream.STDOUT, queue)),
                asyncio.create_task(pump_lines(errors.reader, Stream.STDERR, queue)),
            ]
            held: list[OutputLine] = []
            finished = False
            yielded = False
            try:
                open_streams = len(pumps)
                while open_streams:
                    try:
                        item = await asyncio.wait_for(queue.get(), max(0.0, deadline - time.monotonic()))
                    except TimeoutError:
                        await terminate(proc, group=False)
                        finished = True
                        yield ExitStatus(-1, f"timed out after {timeout:g}s; the command was killed")
                        return
                    if item is None:
                        open_streams -= 1
                    elif pty and item.stream is Stream.STDERR:
                        # With a tty the command's stdout and stderr both arrive on the pty (our stdout): ssh's own
                        # stderr is only ssh talking ("Shared connection to … closed." after every command). It
                        # names a failure (read from ``errors``), never the command's output.
                        continue
                    elif item.stream is Stream.STDERR and proc.returncode is None and _may_be_ssh(item.text):
                        held.append(item)  # may be ssh's own complaint: decide once the exit code is known
                    else:
                        for line in held:
                            yield line
                        held.clear()
                        yielded = True
                        yield item
                code = await proc.wait()
                finished = True
                failure = await self._ssh_failure(code, errors.text())
                if failure is None:
                    self._succeeded()
                    for line in held:
                        yield line
                    yield ExitStatus(code)
                elif isinstance(failure, HostKeyError | AuthenticationError) or (
                    not yielded and not _started(errors.text())
                ):
                    # ssh refuses a key or a login before it opens any session: the command never ran.
                    self._failed(failure)
                    raise failure
                else:
                    self._failed(failure)
                    yield ExitStatus(-1, failure.message)
            finally:
                for pump in pumps:
                    pump.cancel()
                if not finished and proc.returncode is None:
                    send_signal(proc, signal.SIGTERM, group=False)
                self._children.discard(proc)
                if proc.stdin is not None:
                    proc.stdin.close()

    async def read_file(self, path: str) -> bytes:
        target = prefixed_path(self.spec.root_prefix, path)
        result = await self.run(read_argv(target), timeout=self.spec.command_timeout)
        if not result.ok:
            raise read_error(target, result.exit_code, result.stderr_text)
        return result.stdout

    def run_interactive(self, argv: Sequence[str]) -> int:
        """``ssh -t`` in the foreground of this terminal; Ctrl-C goes to the remote side, not to vztui."""
        self._prepare()
        command = [
            self.ssh_binary,
            *self.ssh_options(),
            "-t",
            "--",
            self.spec.address,
            self.remote_command(argv, launch=Launch.EXEC),
        ]
        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main else None
        try:
            return subprocess.call(command)
        finally:
            if in_main:
                signal.signal(signal.SIGINT, previous)

    def link_status(self) -> LinkStatus:
        return self._status

    async def close(self) -> None:
        """Stop running commands and the master connection (``ssh -O exit``)."""
        self._closed = True
        for proc in list(self._children):
            send_signal(proc, signal.SIGTERM, group=False)
        exit_argv = [self.ssh_binary, *self.ssh_options(), "-O", "exit", "--", self.spec.address]
        with contextlib.suppress(OSError, TimeoutError):
            proc = await asyncio.create_subprocess_exec(
                *exit_argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            await asyncio.wait_for(proc.wait(), 5)
        self._status = LinkStatus(LinkState.UNREACHABLE, time.time(), "transport closed")


async def _communicate_keep_stdin(proc: asyncio.subprocess.Process, data: bytes) -> tuple[bytes, bytes]:
    """Like ``communicate()`` but leaves stdin open until the command ends (the far side's watchdog reads it)."""
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stdin = proc.stdin

    async def feed() -> None:
        if data:
            with contextlib.suppress(ConnectionError):
                stdin.write(data)
                await stdin.drain()

    _, stdout, stderr = await asyncio.gather(feed(), proc.stdout.read(), proc.stderr.read())
    await proc.wait()
    if proc.stdin is not None:
        proc.stdin.close()
    return stdout, stderr


class _Tee:
    """Keeps a copy of stderr (to recognise ssh's own failure messages) while lines stream through."""

    def __init__(self, source: asyncio.StreamReader) -> None:
        self._source = source
        self._copy = bytearray()
        self.reader = asyncio.StreamReader()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while chunk := await self._source.read(65536):
                if len(self._copy) < 65536:
                    self._copy += chunk
                self.reader.feed_data(chunk)
        finally:
            self.reader.feed_eof()

    def text(self) -> str:
        return self._copy.decode("utf-8", "replace")


def _may_be_ssh(line: str) -> bool:
    """Whether a stderr line may be ssh's own complaint rather than the command's (held until ssh's exit code)."""
    return bool(_SSH_FAILURE.match(line) or _HOST_KEY_FAILED.search(line) or _AUTH_FAILED.search(line))


def _started(stderr: str) -> bool:
    """Whether anything suggests the remote command ran (then a failure is a cut-off, not a refusal)."""
    return "closed by remote host" in stderr or "Timeout, server" in stderr


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
