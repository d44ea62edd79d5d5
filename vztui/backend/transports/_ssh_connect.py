"""Opening one authenticated paramiko connection: TCP (or ProxyCommand, or ProxyJump hops), key exchange, host key
verification before anything else is sent, then public key authentication (agent first, then key files)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess

import paramiko
from paramiko.ssh_exception import IncompatiblePeer

from vztui.backend.hostkeys import KnownHosts, Verdict, fingerprint, host_pattern
from vztui.backend.sshconfig import SshTarget, resolve
from vztui.backend.transport import AuthenticationError, HostKeyError, TransportError

LEGACY_HINT = (
    "the node's sshd only offers algorithms paramiko 5 no longer implements (ssh-rsa host keys, SHA-1 key exchange: "
    'a CentOS 6-era sshd). Use the system OpenSSH client for this node: transport = "openssh" with ssh_options = '
    '["HostKeyAlgorithms=+ssh-rsa", "PubkeyAcceptedAlgorithms=+ssh-rsa", "KexAlgorithms=+diffie-hellman-group14-sha1"]'
)


class Connector:
    """Connects one node; ``jumps`` holds the bastion connections of the last ProxyJump chain (close them too)."""

    def __init__(
        self,
        node: str,
        known_hosts: KnownHosts,
        *,
        ssh_config: paramiko.SSHConfig,
        use_agent: bool = True,
        tcp_nodelay: bool = True,
    ) -> None:
        self.node = node
        self.known_hosts = known_hosts
        self.ssh_config = ssh_config
        self.use_agent = use_agent
        # Off only to measure what it buys (tests/benchmarks/ssh_overhead.py): ~45 ms vs ~4 ms per command.
        self.tcp_nodelay = tcp_nodelay
        self.jumps: list[paramiko.Transport] = []

    def connect(self, target: SshTarget) -> paramiko.Transport:
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
        config = self.ssh_config
        hops = [
            resolve(hop.host, port=hop.port, user=hop.user, connect_timeout=target.connect_timeout, config=config)
            for hop in target.proxy_jump
        ]
        sock: socket.socket | paramiko.Channel = self._tcp(hops[0])
        for index, hop in enumerate(hops):
            jump = self._handshake(sock, hop)
            self.jumps.append(jump)
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
